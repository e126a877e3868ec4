#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// I/O on the host's own files and directories: the source tree mkgefs copies (`mkgefs -d`)
/// and the target it is asked to format, looked at before anything is written. Every raw
/// `stat`, `open`, `pread` and `readdir` of the core is here or in `BlockDevice.swift`. A tree
/// is walked relative to open directories (`OpenHostDirectory`: `openat`, `fstatat`,
/// `fdopendir`), never by full path.

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
    /// `dir/name`.
    public static func join(_ dir: [UInt8], _ name: [UInt8]) -> [UInt8] {
        dir.last == UInt8(ascii: "/") ? dir + name : dir + [UInt8(ascii: "/")] + name
    }

    /// `dir/name`, `name` given as a slice of a listing.
    public static func join(_ dir: [UInt8], _ name: ArraySlice<UInt8>) -> [UInt8] {
        var out = dir
        if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        out.append(contentsOf: name)
        return out
    }
}

/// Names held compactly: every name's bytes one after another in one buffer, and where each
/// ends. A directory of a million names costs its names' bytes and 4 bytes each.
public struct HostNames: Sendable, Equatable {
    public private(set) var bytes: [UInt8] = []
    /// `ends[i]` is where name `i` ends in `bytes`.
    public private(set) var ends: [UInt32] = []

    public init() {}

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    /// Name `i`.
    public subscript(i: Int) -> ArraySlice<UInt8> { bytes[start(i)..<Int(ends[i])] }

    /// Where name `i` starts in `bytes`.
    public func start(_ i: Int) -> Int { i == 0 ? 0 : Int(ends[i - 1]) }

    /// How long name `i` is.
    public func length(_ i: Int) -> Int { Int(ends[i]) - start(i) }

    public mutating func append<C: Collection>(_ name: C) where C.Element == UInt8 {
        bytes.append(contentsOf: name)
        ends.append(UInt32(bytes.count))
    }

    mutating func append(_ name: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: name)
        ends.append(UInt32(bytes.count))
    }

    /// The indices of the names in the order `before` gives, which compares two names' bytes.
    public func order(by before: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> [UInt32] {
        order(count, name: { $0 }, by: before)
    }

    /// `0..<n` in the order `before` gives to their names, `name(i)` being the index of the
    /// name of `i`.
    public func order(_ n: Int, name: (UInt32) -> UInt32,
                      by before: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> [UInt32] {
        var idx = Array(0..<UInt32(n))
        bytes.withUnsafeBufferPointer { all in
            ends.withUnsafeBufferPointer { ends in
                func bytes(_ i: UInt32) -> UnsafeBufferPointer<UInt8> {
                    let k = Int(name(i))
                    return UnsafeBufferPointer(rebasing: all[(k == 0 ? 0 : Int(ends[k - 1]))..<Int(ends[k])])
                }
                idx.sort { before(bytes($0), bytes($1)) }
            }
        }
        return idx
    }

    /// Byte order of two names.
    public static func byteOrder(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }

    /// The names in byte order.
    func sorted() -> HostNames {
        var out = HostNames()
        out.bytes.reserveCapacity(bytes.count)
        out.ends.reserveCapacity(count)
        bytes.withUnsafeBufferPointer { all in
            for i in order(by: HostNames.byteOrder) {
                out.append(UnsafeBufferPointer(rebasing: all[start(Int(i))..<Int(ends[Int(i)])]))
            }
        }
        return out
    }
}

/// A host directory held open by its descriptor, for looking at what it holds by name
/// (`fstatat`, `openat`) rather than by path. Closed when released. Paths are asked for only to
/// name the thing in an error.
public final class OpenHostDirectory {
    let fd: Int32

    /// Opens the directory at `path`, following a symbolic link at the end (the root of a
    /// copy may be one). Throws `HostFileError.unreadable`.
    public init(_ path: [UInt8]) throws {
        fd = withCString(path) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw HostFileError.unreadable(printable(path), errnoText()) }
    }

    init(fd: Int32) { self.fd = fd }

    deinit { _ = Glibc.close(fd) }

    /// Calls `body` with `name` as a NUL-terminated C string.
    func withName<T>(_ name: ArraySlice<UInt8>, _ body: (UnsafePointer<CChar>) -> T) -> T {
        var c = [UInt8](); c.reserveCapacity(name.count + 1)
        c.append(contentsOf: name); c.append(0)
        return c.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }

    /// The directory `name` in this one, not following a symbolic link; `path` names it in an
    /// error.
    public func directory(_ name: ArraySlice<UInt8>, path: () -> [UInt8]) throws -> OpenHostDirectory {
        let d = withName(name) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard d >= 0 else { throw HostFileError.unreadable(printable(path()), errnoText()) }
        return OpenHostDirectory(fd: d)
    }

    /// The status of `name` in this directory (`lstat`: a symbolic link is not followed);
    /// `path` names it in an error.
    public func status(_ name: ArraySlice<UInt8>, path: () -> [UInt8]) throws -> HostStatus {
        var st = stat()
        guard withName(name, { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw HostFileError.unreadable(printable(path()), errnoText())
        }
        return HostStatus(st)
    }

    /// The file `name` in this directory, open for reading; `path` is its path, for errors.
    public func file(_ name: ArraySlice<UInt8>, path: @escaping () -> [UInt8]) throws -> HostFile {
        let f = withName(name) { openat(fd, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard f >= 0 else { throw HostFileError.unreadable(printable(path()), errnoText()) }
        return HostFile(fd: f, path: path)
    }

    /// The names in the directory, `.` and `..` left out, in byte order; `path` names it in an
    /// error.
    public func names(path: @autoclosure () -> [UInt8]) throws -> HostNames {
        let d = dup(fd)
        guard d >= 0 else { throw HostFileError.unreadable(printable(path()), errnoText()) }
        guard let dir = fdopendir(d) else {
            let why = errnoText()
            _ = Glibc.close(d)
            throw HostFileError.unreadable(printable(path()), why)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names = HostNames()
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw HostFileError.unreadable(printable(path()), errnoText()) }
                break
            }
            let base = UnsafeRawPointer(ent) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            let name = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: strlen(base.assumingMemoryBound(to: CChar.self)))
            if name.count == 1 && name[0] == 0x2e || name.count == 2 && name[0] == 0x2e && name[1] == 0x2e { continue }
            names.append(name)
        }
        return names.sorted()
    }
}

/// A host file open for reading its blocks.
public struct HostFile {
    let fd: Int32
    let describe: () -> [UInt8]
    /// Its host path (made when asked for: for messages).
    public var path: [UInt8] { describe() }

    init(fd: Int32, path: @escaping () -> [UInt8]) {
        self.fd = fd
        describe = path
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
