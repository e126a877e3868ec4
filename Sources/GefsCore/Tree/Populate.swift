#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a host directory cannot be copied into an image. One line, naming the path.
public enum PopulateError: Error, Equatable, CustomStringConvertible {
    case notDirectory(String)
    case unreadable(String, String)
    case changed(String, String)

    public var description: String {
        switch self {
        case let .notDirectory(p): return "\(p): not a directory"
        case let .unreadable(p, why): return "\(p): cannot read: \(why)"
        case let .changed(p, why): return "\(p): changed while being copied: \(why)"
        }
    }
}

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
    public static func scan(_ root: String, firstQid: UInt64 = 3) throws -> HostScan {
        let rootPath = Array(root.utf8)
        let st = try status(rootPath, follow: true)
        guard st.st_mode & S_IFMT == S_IFDIR else { throw PopulateError.notDirectory(root) }
        var result = HostScan(root: root, entries: [], warnings: [], nextqid: firstQid)
        var seen: Set<[UInt64]> = [[UInt64(st.st_dev), UInt64(st.st_ino)]]
        // Pending names, last to visit first: children are pushed in reverse byte order.
        var stack: [(path: [UInt8], name: [UInt8], parent: UInt64)] = []
        for name in try list(rootPath).reversed() { stack.append((join(rootPath, name), name, 0)) }
        while let (path, name, parent) = stack.popLast() {
            if let why = unholdable(name) {
                result.warnings.append("skipped \(printable(path)): \(why)")
                continue
            }
            let st = try status(path)
            let type = st.st_mode & S_IFMT
            guard type == S_IFDIR || type == S_IFREG else {
                result.warnings.append("skipped \(printable(path)): \(typeName(type))")
                continue
            }
            if type == S_IFDIR, !seen.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted {
                result.warnings.append("skipped \(printable(path)): directory already copied (a bind mount loop)")
                continue
            }
            let qid = result.nextqid
            result.nextqid += 1
            result.entries.append(HostEntry(path: path, name: name, parent: parent, qid: qid,
                                            isDirectory: type == S_IFDIR, permissions: UInt32(st.st_mode) & 0o777,
                                            mtime: nanoseconds(st.st_mtim), length: type == S_IFDIR ? 0 : Int64(st.st_size)))
            if type == S_IFDIR {
                for child in try list(path).reversed() { stack.append((join(path, child), child, qid)) }
            } else {
                try HostFile(path).close()
            }
        }
        return result
    }

    /// Why gefs cannot hold a name (§9.5), or nil.
    static func unholdable(_ name: [UInt8]) -> String? {
        switch NameFault(name) {
        case nil: return nil
        case .tooLong: return "name longer than \(Format.nameMax) bytes"
        case .slash, .nul: return "name contains '/' or NUL"
        case .empty, .dots: return "name is empty, '.' or '..'"
        }
    }

    static func typeName(_ type: mode_t) -> String {
        switch type {
        case S_IFLNK: return "symbolic link"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFIFO: return "FIFO"
        case S_IFSOCK: return "socket"
        default: return "unsupported file type"
        }
    }

    static func join(_ dir: [UInt8], _ name: [UInt8]) -> [UInt8] {
        dir.last == UInt8(ascii: "/") ? dir + name : dir + [UInt8(ascii: "/")] + name
    }

    static func nanoseconds(_ t: timespec) -> Int64 {
        let (s, o) = Int64(t.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        return o ? (t.tv_sec < 0 ? Int64.min : Int64.max) : s &+ Int64(t.tv_nsec)
    }

    static func status(_ path: [UInt8], follow: Bool = false) throws -> stat {
        var st = stat()
        guard withCString(path, { follow ? stat($0, &st) : lstat($0, &st) }) == 0 else {
            throw PopulateError.unreadable(printable(path), errnoText())
        }
        return st
    }

    /// The names in a directory, `.` and `..` left out, in byte order.
    static func list(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCString(path, { opendir($0) }) else {
            throw PopulateError.unreadable(printable(path), errnoText())
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw PopulateError.unreadable(printable(path), errnoText()) }
                break
            }
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// Calls `body` with `bytes` as a NUL-terminated C string.
func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
    (bytes + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// A host file open for reading its blocks.
struct HostFile {
    let fd: Int32
    let path: [UInt8]

    init(_ path: [UInt8]) throws {
        self.path = path
        fd = withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw PopulateError.unreadable(printable(path), errnoText()) }
    }

    func close() { _ = Glibc.close(fd) }

    /// Reads the `length` bytes the scan saw, one block at a time, and calls `body` with the
    /// offset and the zero-padded block of every block that is not all zeros (holes are skipped).
    func forEachDataBlock(length: Int64, _ body: (Int64, [UInt8]) throws -> Void) throws {
        var block = [UInt8].zeroBlock()
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Format.blockSize64, length - offset))
            var got = 0
            while got < want {
                let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(offset) + off_t(got)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PopulateError.unreadable(printable(path), errnoText())
                }
                guard n > 0 else {
                    throw PopulateError.changed(printable(path), "it ends at \(offset + Int64(got)) bytes, not \(length)")
                }
                got += n
            }
            if want < Format.blockSize { block.withUnsafeMutableBytes { _ = memset($0.baseAddress! + want, 0, Format.blockSize - want) } }
            if !block.allZero(0..<Format.blockSize) { try body(offset, block) }
            offset += Format.blockSize64
        }
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
