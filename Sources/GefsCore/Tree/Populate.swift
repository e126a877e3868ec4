/// Why a host directory cannot be copied into an image (the Device layer's host errors).
public typealias PopulateError = HostFileError

/// One file or directory found under the host directory, with the qid it gets.
public struct HostEntry: Equatable, Sendable {
    /// The host path, as bytes (names need not be UTF-8).
    public var path: [UInt8]
    public var name: [UInt8]
    /// qid of the directory holding it (0 for the root).
    public var parent: UInt64
    public var qid: UInt64
    public var isDirectory: Bool
    /// Host permission bits (`& 0777`).
    public var permissions: UInt32
    /// Modification time, nanoseconds since 1970.
    public var mtime: Int64
    /// File length in bytes; 0 for directories.
    public var length: Int64

    /// Blocks the file spans, holes included.
    public var blockCount: Int { Int((length + Format.blockSize64 - 1) / Format.blockSize64) }
}

/// What a scan of a host directory found: entries in the order they get their qids.
public struct HostScan: Equatable, Sendable {
    public var root: String
    /// Depth first, names in byte order, each directory before its contents; qids ascend.
    public var entries: [HostEntry]
    /// One line per thing skipped.
    public var warnings: [String]
    public var nextqid: UInt64

    public var directories: Int { entries.filter(\.isDirectory).count }
    public var files: Int { entries.count - directories }
}

/// Copying a host directory into a file tree, like `mke2fs -d` (FORMAT.md §11).
public enum Populate {
    /// Scans `root` (itself may be a symbolic link to a directory) without following the
    /// symbolic links below it. Directories and regular files are kept;
    /// symbolic links, devices, FIFOs, sockets, names gefs cannot hold and directories met twice
    /// are skipped with one warning each. Every kept file and directory is opened once, so an
    /// unreadable one fails the scan, before anything is written.
    public static func scan(_ root: String, firstQid: UInt64 = 3, names: NameRule = .gefs8) throws -> HostScan {
        let rootPath = Array(root.utf8)
        let st = try HostStatus.of(rootPath, follow: true)
        guard st.kind == .directory else { throw PopulateError.notDirectory(root) }
        var result = HostScan(root: root, entries: [], warnings: [], nextqid: firstQid)
        var seen: Set<[UInt64]> = [st.identity]
        // Pending names, last to visit first: children are pushed in reverse byte order.
        var stack: [(path: [UInt8], name: [UInt8], parent: UInt64)] = []
        for name in try HostDirectory.names(rootPath).reversed() { stack.append((HostDirectory.join(rootPath, name), name, 0)) }
        while let (path, name, parent) = stack.popLast() {
            if let why = unholdable(name, names) {
                result.warnings.append("skipped \(printable(path)): \(why)")
                continue
            }
            let st = try HostStatus.of(path)
            guard st.kind == .directory || st.kind == .regular else {
                result.warnings.append("skipped \(printable(path)): \(st.kind.name)")
                continue
            }
            if st.kind == .directory, !seen.insert(st.identity).inserted {
                result.warnings.append("skipped \(printable(path)): directory already copied (a bind mount loop)")
                continue
            }
            let qid = result.nextqid
            result.nextqid += 1
            result.entries.append(HostEntry(path: path, name: name, parent: parent, qid: qid,
                                            isDirectory: st.kind == .directory, permissions: st.permissions,
                                            mtime: st.mtime, length: st.kind == .directory ? 0 : st.size))
            if st.kind == .directory {
                for child in try HostDirectory.names(path).reversed() { stack.append((HostDirectory.join(path, child), child, qid)) }
            } else {
                try HostFile(path).close()
            }
        }
        return result
    }

    /// Which names a format's file server accepts (§9.5 of each format's text).
    public enum NameRule: Sendable {
        /// FORMAT.md: 1 to 244 bytes, no `/` or NUL, not `.` or `..`.
        case gefs8
        /// FORMAT-9FRONT.md: the same, and no byte below 0x20 (the genuine gefs refuses them).
        case gefs9
    }

    /// Why gefs cannot hold a name (§9.5), or nil.
    static func unholdable(_ name: [UInt8], _ rule: NameRule = .gefs8) -> String? {
        switch NameFault(name) {
        case nil: break
        case .tooLong: return "name longer than \(Format.nameMax) bytes"
        case .slash, .nul: return "name contains '/' or NUL"
        case .empty, .dots: return "name is empty, '.' or '..'"
        }
        if rule == .gefs9, name.contains(where: { $0 < 0x20 }) { return "name contains a control character (the genuine gefs refuses bytes below 0x20)" }
        return nil
    }
}

/// Which blocks of each file hold data (the rest are holes): what placing a populated tree
/// needs to know of the files' contents.
public struct DataPlan: Equatable, Sendable {
    /// Per entry index of the scan, the indices of the blocks that are not all zeros;
    /// nil when every block counts.
    var blocks: [Int: [Int]]
    /// Data blocks over all files.
    public let dataBlocks: Int

    /// Every block of every file, holes not looked for: the most a populate can need.
    public static func upperBound(_ scan: HostScan) -> DataPlan {
        DataPlan(blocks: [:], dataBlocks: scan.entries.reduce(0) { $0 + $1.blockCount })
    }

    /// Reads every file to find its all-zero blocks.
    public static func read(_ scan: HostScan) throws -> DataPlan {
        var blocks: [Int: [Int]] = [:]
        var total = 0
        for (i, e) in scan.entries.enumerated() where !e.isDirectory && e.length > 0 {
            let f = try HostFile(e.path)
            defer { f.close() }
            var list: [Int] = []
            try f.forEachDataBlock(length: e.length) { off, _ in list.append(Int(off / Format.blockSize64)) }
            total += list.count
            blocks[i] = list
        }
        return DataPlan(blocks: blocks, dataBlocks: total)
    }

    /// Block indices of entry `i` that hold data.
    func dataBlocks(of i: Int, _ e: HostEntry) -> [Int] { blocks[i] ?? Array(0..<e.blockCount) }
}
