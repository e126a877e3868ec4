/// Why a host directory cannot be copied into an image (the Device layer's host errors).
public typealias PopulateError = HostFileError

/// One file or directory found under the host directory, with the qid it gets. Its name is
/// enough to find it: the walks look in the directory holding it, open.
public struct HostEntry: Equatable, Sendable {
    /// Its name in the directory holding it, as bytes (names need not be UTF-8).
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

    /// Its key in the file tree, `Kent(parent, name)`.
    public var key: Key { .ent(parent: parent, name: name) }

    /// Its directory entry as a populate writes it (both formats, §11): the host's mode bits and
    /// modification time (as atime too), uid, gid and muid 1.
    public var xdir: Xdir {
        Xdir(qidPath: qid, mode: (isDirectory ? Mode.dir : 0) | (permissions & 0o777), atime: mtime, mtime: mtime,
             length: UInt64(length), uid: 1, gid: 1, muid: 1)
    }

    /// Its `Kent` record.
    public var record: Record { Record(key: key.encode(), value: xdir.encode()) }

    /// The order of entries' keys within a directory: by name length, then name bytes.
    public static func keyOrder(_ a: HostEntry, _ b: HostEntry) -> Bool {
        a.name.count != b.name.count ? a.name.count < b.name.count : a.name.lexicographicallyPrecedes(b.name)
    }
}

extension HostEntry {
    /// The entry for a directory or regular file of host status `st`.
    init(name: [UInt8], parent: UInt64, qid: UInt64, status st: HostStatus) {
        let isDirectory = st.kind == .directory
        self.init(name: name, parent: parent, qid: qid, isDirectory: isDirectory, permissions: st.permissions,
                  mtime: st.mtime, length: isDirectory ? 0 : st.size)
    }
}

/// What a scan of a host directory found: entries in the order they get their qids. For tests
/// and small trees; mkgefs keeps only the `HostCensus`.
public struct HostScan: Equatable, Sendable {
    public var root: String
    /// Depth first, names in byte order, each directory before its contents; qids ascend.
    public var entries: [HostEntry]
    /// The entries' host paths, in the same order.
    public var paths: [[UInt8]]
    /// One line per thing skipped.
    public var warnings: [String]
    public var nextqid: UInt64

    public var directories: Int { entries.filter(\.isDirectory).count }
    public var files: Int { entries.count - directories }
}

/// Copying a host directory into a file tree, like `mke2fs -d` (FORMAT.md §11).
public enum Populate {
    /// Scans `root` (itself may be a symbolic link to a directory) without following the
    /// symbolic links below it, depth first, names in byte order, giving qids from `firstQid`.
    /// Directories and regular files are kept; symbolic links, devices, FIFOs, sockets, names
    /// gefs cannot hold and directories met twice are skipped with one warning each. Every kept
    /// file and directory is opened once, so an unreadable one fails the scan, before anything
    /// is written. Entries are looked at by name in their open directory (`openat`, `fstatat`),
    /// not by path. Memory: the names of the directories on the current path (one buffer each,
    /// their descriptors open), and a `CensusDirectory` per directory.
    public static func census(_ root: String, firstQid: UInt64 = 3, names: NameRule = .gefs8) throws -> HostCensus {
        try census(root, firstQid: firstQid, names: names, visit: nil)
    }

    /// A census that also calls `visit` with every kept entry and its host path, in qid order.
    static func census(_ root: String, firstQid: UInt64, names: NameRule,
                       visit: ((HostEntry, [UInt8]) throws -> Void)?) throws -> HostCensus {
        let rootPath = Array(root.utf8)
        let st = try HostStatus.of(rootPath, follow: true)
        guard st.kind == .directory else { throw PopulateError.notDirectory(root) }
        var census = HostCensus(root: rootPath, firstQid: firstQid, names: names)
        var seen: Set<[UInt64]> = [st.identity]
        // The directories on the current path, open, each with its names and the next to visit.
        struct Frame {
            let dir: OpenHostDirectory
            let path: [UInt8]
            let qid: UInt64
            let names: HostNames
            var next = 0
        }
        let top = try OpenHostDirectory(rootPath)
        var stack = [Frame(dir: top, path: rootPath, qid: 0, names: try top.names(path: rootPath))]
        while let i = stack.indices.last {
            let k = stack[i].next
            guard k < stack[i].names.count else {
                stack.removeLast()
                continue
            }
            stack[i].next += 1
            let (dir, dirPath, parent, name) = (stack[i].dir, stack[i].path, stack[i].qid, stack[i].names[k])
            let path = { HostDirectory.join(dirPath, name) }
            if let why = unholdable(name, names) {
                census.warnings.append("skipped \(printable(path())): \(why)")
                continue
            }
            let st = try dir.status(name, path: path)
            guard st.kind == .directory || st.kind == .regular else {
                census.warnings.append("skipped \(printable(path())): \(st.kind.name)")
                continue
            }
            if st.kind == .directory, !seen.insert(st.identity).inserted {
                census.warnings.append("skipped \(printable(path())): directory already copied (a bind mount loop)")
                continue
            }
            let qid = census.add(name: name, parent: parent, status: st)
            if let visit { try visit(HostEntry(name: Array(name), parent: parent, qid: qid, status: st), path()) }
            if st.kind == .directory {
                let p = path()
                let sub = try dir.directory(name, path: { p })
                stack.append(Frame(dir: sub, path: p, qid: qid, names: try sub.names(path: p)))
            } else {
                try dir.file(name, path: path).close()
            }
        }
        census.closeAll()
        return census
    }

    /// Every entry of `root` at once (see `census`), for tests and small trees.
    public static func scan(_ root: String, firstQid: UInt64 = 3, names: NameRule = .gefs8) throws -> HostScan {
        var entries: [HostEntry] = [], paths: [[UInt8]] = []
        let census = try census(root, firstQid: firstQid, names: names) { entries.append($0); paths.append($1) }
        return HostScan(root: root, entries: entries, paths: paths, warnings: census.warnings, nextqid: census.nextqid)
    }

    /// Which names a format's file server accepts (§9.5 of each format's text).
    public enum NameRule: Sendable {
        /// FORMAT.md: 1 to 244 bytes, no `/` or NUL, not `.` or `..`.
        case gefs8
        /// FORMAT-9FRONT.md: the same, and no byte below 0x20 (the genuine gefs refuses them).
        case gefs9
    }

    /// Why gefs cannot hold a name (§9.5), or nil.
    static func unholdable<Name: Collection>(_ name: Name, _ rule: NameRule = .gefs8) -> String? where Name.Element == UInt8 {
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

/// How many data blocks a populate writes (holes are not written): all that is needed to place
/// it, since every `Kdat` record has the same size.
public struct DataPlan: Equatable, Sendable {
    /// Data blocks over all files.
    public let dataBlocks: Int

    /// Every block of every file, holes not looked for: the most a populate can need.
    public static func upperBound(_ census: HostCensus) -> DataPlan { DataPlan(dataBlocks: census.blocks) }

    /// Reads every file to count its blocks that are not all zeros.
    public static func read(_ census: HostCensus) throws -> DataPlan {
        var total = 0
        try census.walk(entry: { e, place in try place.forEachDataBlock(of: e) { _, _ in total += 1 } })
        return DataPlan(dataBlocks: total)
    }
}
