#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// I/O on the host's own files and directories: the source tree mkgefs copies (`mkgefs -d`)
/// and the target it is asked to format, looked at before anything is written. Every raw
/// `stat`, `open`, `pread` and `readdir` of the core is here or in `BlockDevice.swift`.

/// Why a host file or directory cannot be read. One line, naming the path.
public enum HostFileError: Error, Equatable, CustomStringConvertible {
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

/// Calls `body` with `bytes` as a NUL-terminated C string.
func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
    (bytes + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// What a host path is, as `stat(2)` (or `lstat(2)`) says.
public struct HostStatus: Sendable {
    public enum Kind: Sendable, Equatable {
        case directory, regular, symbolicLink, characterDevice, blockDevice, fifo, socket, other
        /// How a warning names a kind that is not copied.
        public var name: String {
            switch self {
            case .symbolicLink: return "symbolic link"
            case .characterDevice: return "character device"
            case .blockDevice: return "block device"
            case .fifo: return "FIFO"
            case .socket: return "socket"
            case .directory: return "directory"
            case .regular: return "regular file"
            case .other: return "unsupported file type"
            }
        }
    }
    public var kind: Kind
    /// Device and inode: the identity of a directory, to meet it only once.
    public var identity: [UInt64]
    /// Permission bits (`& 0777`).
    public var permissions: UInt32
    /// Modification time, nanoseconds since 1970 (saturated).
    public var mtime: Int64
    public var size: Int64

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symbolicLink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        identity = [UInt64(st.st_dev), UInt64(st.st_ino)]
        permissions = UInt32(st.st_mode) & 0o777
        let (s, o) = Int64(st.st_mtim.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        mtime = o ? (st.st_mtim.tv_sec < 0 ? Int64.min : Int64.max) : s &+ Int64(st.st_mtim.tv_nsec)
        size = Int64(st.st_size)
    }

    /// The status of `path`; `follow` follows a symbolic link at the end. Throws
    /// `HostFileError.unreadable`.
    public static func of(_ path: [UInt8], follow: Bool = false) throws -> HostStatus {
        var st = stat()
        guard withCString(path, { follow ? stat($0, &st) : lstat($0, &st) }) == 0 else {
            throw HostFileError.unreadable(printable(path), errnoText())
        }
        return HostStatus(st)
    }

    /// The status of `path` (following links), or nil when it does not exist; other failures
    /// throw the system's reason.
    public static func ifExists(_ path: String) throws -> HostStatus? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw HostFileError.unreadable(path, errnoText())
        }
        return HostStatus(st)
    }
}

/// A host directory's names.
public enum HostDirectory {
    /// The names in a directory, `.` and `..` left out, in byte order.
    public static func names(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCString(path, { opendir($0) }) else {
            throw HostFileError.unreadable(printable(path), errnoText())
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw HostFileError.unreadable(printable(path), errnoText()) }
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

    /// `dir/name`.
    public static func join(_ dir: [UInt8], _ name: [UInt8]) -> [UInt8] {
        dir.last == UInt8(ascii: "/") ? dir + name : dir + [UInt8(ascii: "/")] + name
    }
}

/// A host file open for reading its blocks.
public struct HostFile {
    let fd: Int32
    public let path: [UInt8]

    public init(_ path: [UInt8]) throws {
        self.path = path
        fd = withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw HostFileError.unreadable(printable(path), errnoText()) }
    }

    public func close() { _ = Glibc.close(fd) }

    /// Reads the `length` bytes the scan saw, one block at a time, and calls `body` with the
    /// offset and the zero-padded block of every block that is not all zeros (holes are skipped).
    /// One block buffer is reused: `body` must copy what it keeps.
    public func forEachDataBlock(length: Int64, _ body: (Int64, [UInt8]) throws -> Void) throws {
        var block = [UInt8].zeroBlock()
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Format.blockSize64, length - offset))
            var got = 0
            while got < want {
                let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(offset) + off_t(got)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HostFileError.unreadable(printable(path), errnoText())
                }
                guard n > 0 else {
                    throw HostFileError.changed(printable(path), "it ends at \(offset + Int64(got)) bytes, not \(length)")
                }
                got += n
            }
            if want < Format.blockSize { block.withUnsafeMutableBytes { _ = memset($0.baseAddress! + want, 0, Format.blockSize - want) } }
            if !block.allZero(0..<Format.blockSize) { try body(offset, block) }
            offset += Format.blockSize64
        }
    }
}

extension FileDevice {
    /// Creates `path` as an empty regular file when it does not exist (an existing file is left
    /// as it is). Throws the system's reason.
    public static func create(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw DeviceError(path: path, message: "cannot create: \(errnoText())") }
        _ = Glibc.close(fd)
    }

    /// Up to `count` bytes from byte `offset`, fewer at the end of the file: for looking at
    /// what a file holds before formatting it, whatever its size.
    public func readBytes(at offset: Int64, count: Int) throws -> [UInt8] {
        var b = [UInt8](repeating: 0, count: max(0, min(count, Int(max(0, size - offset)))))
        var done = 0
        while done < b.count {
            let n = try io("read", offset + Int64(done)) {
                try b.withUnsafeMutableBytes {
                    try fd.read(fromAbsoluteOffset: offset + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]))
                }
            }
            guard n > 0 else { break }
            done += n
        }
        return Array(b.prefix(done))
    }
}

/// An unnamed temporary file (the system's, removed when closed) that records are appended to
/// and then read back in order, from the start: what a writer keeps on disk rather than in
/// memory.
public final class SpillFile {
    let file: UnsafeMutablePointer<FILE>

    public init() throws {
        guard let f = tmpfile() else { throw SpillFile.error("cannot create") }
        file = f
        setvbuf(f, nil, _IOFBF, 1 << 20)
    }

    deinit { fclose(file) }

    static func error(_ what: String) -> DeviceError { DeviceError(path: "temporary file", message: "\(what): \(errnoText())") }

    /// Appends `bytes`.
    public func append(_ bytes: [UInt8]) throws {
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw SpillFile.error("cannot write") }
    }

    /// Goes back to the start, for reading what was appended.
    public func rewind() throws {
        guard fflush(file) == 0 else { throw SpillFile.error("cannot write") }
        Glibc.rewind(file)
    }

    /// The next `count` bytes; nil at the end.
    public func read(_ count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = fread(&bytes, 1, count, file)
        if n == count { return bytes }
        guard ferror(file) == 0, n == 0 else { throw SpillFile.error("cannot read") }
        return nil
    }
}
