#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A host I/O failure while restoring (gefs-restore exits 2), naming the path and the call.
public struct HostError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }

    static func errno(_ path: String, _ call: String) -> HostError {
        HostError(path, "\(call) failed: \(String(cString: strerror(Glibc.errno)))")
    }
}

/// A destination directory tree on the host (gefs-restore's DEST). Every name is resolved one
/// component at a time from DEST's own descriptor with `openat`/`mkdirat` and O_NOFOLLOW, so
/// that neither a name from the image (checked by `Namespace.safe` besides) nor a symbolic
/// link already in DEST leads outside it. Which directories go where is the caller's
/// (`Restore/DestinationDirectories.swift`); this type only makes and opens them.
final class HostDestination {
    let path: String
    let root: Int32
    /// Open directory descriptors by the caller's key (a placement), at most `maxOpenDirs`.
    private var dirs: [Int: Int32] = [:]
    /// The image's device and inode: never replaced, whatever DEST holds.
    var image: (dev: UInt64, ino: UInt64)?

    func protect(_ imagePath: String) {
        var st = stat()
        if stat(imagePath, &st) == 0 { image = (UInt64(st.st_dev), UInt64(st.st_ino)) }
    }
    static let maxOpenDirs = 256

    /// Opens DEST, creating it (not its parents) when missing.
    init(path: String) throws {
        self.path = path
        var fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0, Glibc.errno == ENOENT {
            guard mkdir(path, 0o777) == 0 else { throw HostError.errno(path, "mkdir") }
            fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw HostError.errno(path, "opening the destination directory") }
        root = fd
    }

    deinit {
        for fd in dirs.values { Glibc.close(fd) }
        Glibc.close(root)
    }

    func show(_ rel: [UInt8]) -> String { rel.isEmpty ? path : path + "/" + printable(rel) }

    /// What is at `name` in the directory `dir`, without following a link; nil when nothing.
    func kind(_ dir: Int32, _ name: [UInt8]) -> mode_t? {
        var st = stat()
        let r = withCString(name) { fstatat(dir, $0, &st, AT_SYMLINK_NOFOLLOW) }
        return r == 0 ? st.st_mode & S_IFMT : nil
    }

    /// Whether `name` in `dir` is the image being restored.
    func isImage(_ dir: Int32, _ name: [UInt8]) -> Bool {
        guard let image else { return false }
        var st = stat()
        guard withCString(name, { fstatat(dir, $0, &st, 0) }) == 0 else { return false }
        return UInt64(st.st_dev) == image.dev && UInt64(st.st_ino) == image.ino
    }

    enum Made { case created, existed }

    /// The directory descriptor kept for `key`, if any.
    func cached(_ key: Int) -> Int32? { dirs[key] }

    /// Keeps `fd` open for `key`; past `maxOpenDirs` the kept ones are closed first.
    func keep(_ fd: Int32, for key: Int) {
        if dirs.count >= HostDestination.maxOpenDirs {
            for fd in dirs.values { Glibc.close(fd) }
            dirs.removeAll(keepingCapacity: true)
        }
        dirs[key] = fd
    }

    /// Closes a descriptor this type opened and handed out (a file's).
    static func close(_ fd: Int32) { Glibc.close(fd) }

    /// Makes (or finds) the directory `name` in `dir` and opens it. A non-directory in its way
    /// is replaced with `overwrite`, else reported through the thrown `Conflict`.
    struct Conflict: Error { var why: String }

    func directory(in dir: Int32, _ name: [UInt8], rel: [UInt8], overwrite: Bool) throws -> (Int32, Made) {
        var made = Made.created
        if withCString(name, { mkdirat(dir, $0, 0o777) }) != 0 {
            guard Glibc.errno == EEXIST else { throw HostError.errno(show(rel), "mkdir") }
            made = .existed
            if let k = kind(dir, name), k != S_IFDIR {
                guard overwrite, !isImage(dir, name) else { throw Conflict(why: "exists and is not a directory") }
                guard withCString(name, { unlinkat(dir, $0, 0) }) == 0 else { throw HostError.errno(show(rel), "unlink") }
                guard withCString(name, { mkdirat(dir, $0, 0o777) }) == 0 else { throw HostError.errno(show(rel), "mkdir") }
                made = .created
            }
        }
        let fd = withCString(name) { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw HostError.errno(show(rel), "open") }
        return (fd, made)
    }

    enum FileOpen { case opened(Int32), exists }

    /// Creates the file `name` in `dir` for writing. An existing entry is left alone (`.exists`)
    /// unless `overwrite`: a regular file is truncated, anything else but a directory removed.
    func createFile(in dir: Int32, _ name: [UInt8], rel: [UInt8], overwrite: Bool) throws -> FileOpen {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = withCString(name) { openat(dir, $0, flags, 0o666) }
        if fd >= 0 { return .opened(fd) }
        guard Glibc.errno == EEXIST else { throw HostError.errno(show(rel), "create") }
        guard overwrite else { return .exists }
        if isImage(dir, name) { throw Conflict(why: "is the image being restored") }
        switch kind(dir, name) {
        case S_IFDIR?: throw Conflict(why: "a directory is in the way")
        case S_IFREG?:
            fd = withCString(name) { openat(dir, $0, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC) }
            if fd >= 0 { return .opened(fd) }
            guard Glibc.errno == EACCES else { throw HostError.errno(show(rel), "open") }
            fallthrough
        default:
            guard withCString(name, { unlinkat(dir, $0, 0) }) == 0 || Glibc.errno == ENOENT else { throw HostError.errno(show(rel), "unlink") }
            fd = withCString(name) { openat(dir, $0, flags, 0o666) }
            guard fd >= 0 else { throw HostError.errno(show(rel), "create") }
            return .opened(fd)
        }
    }

    /// Removes a file this run created (a file cut short when the restore stops).
    func remove(in dir: Int32, _ name: [UInt8]) {
        _ = withCString(name) { unlinkat(dir, $0, 0) }
    }

    /// Sets permission bits and times on an open file or directory.
    static func setMetadata(_ fd: Int32, perm: UInt32, atime: Int64, mtime: Int64, rel: String) throws {
        guard fchmod(fd, mode_t(perm & 0o777)) == 0 else { throw HostError.errno(rel, "chmod") }
        var ts = [timespec(ns: atime), timespec(ns: mtime)]
        guard futimens(fd, &ts) == 0 else { throw HostError.errno(rel, "futimens") }
    }
}

extension timespec {
    init(ns: Int64) {
        var s = ns / 1_000_000_000, n = ns % 1_000_000_000
        if n < 0 { n += 1_000_000_000; s -= 1 }
        self.init(tv_sec: time_t(s), tv_nsec: Int(n))
    }
}

/// Where a file's bytes go: a host file written at offsets (holes left unwritten, the length
/// set at the end) or a stream (standard output for --cat: holes written as zeros, in order).
protocol ByteSink: AnyObject {
    /// Writes `blocks` (16 KiB each, the last possibly cut to `lastCount`) at `offset`.
    func write(_ blocks: [[UInt8]], at offset: UInt64, lastCount: Int) throws
    /// Ends the file at `length`.
    func finish(length: UInt64) throws
}

final class FileSink: ByteSink {
    let fd: Int32
    let rel: String
    init(fd: Int32, rel: String) { self.fd = fd; self.rel = rel }

    func write(_ blocks: [[UInt8]], at offset: UInt64, lastCount: Int) throws {
        guard offset < UInt64(Int64.max) - UInt64(blocks.count * Format.blockSize) else { throw TooLong(length: offset) }
        var off = off_t(offset)
        var i = 0
        while i < blocks.count {
            let n = min(blocks.count - i, 1024)
            var total = 0
            let result: Int = withIOVecs(blocks[i..<i + n], lastCount: i + n == blocks.count ? lastCount : Format.blockSize) { iov, bytes in
                total = bytes
                return pwritev(fd, iov, Int32(n), off)
            }
            guard result >= 0 else { throw HostError.errno(rel, "write") }
            if result < total {
                // A short write: finish it the plain way.
                var done = result
                while done < total {
                    let b = (done / Format.blockSize) + i, o = done % Format.blockSize
                    let want = (b == blocks.count - 1 ? lastCount : Format.blockSize) - o
                    let w = blocks[b].withUnsafeBytes { pwrite(fd, $0.baseAddress! + o, want, off + off_t(done)) }
                    guard w > 0 else { throw HostError.errno(rel, "write") }
                    done += w
                }
            }
            off += off_t(total)
            i += n
        }
    }

    func finish(length: UInt64) throws {
        guard length <= UInt64(Int64.max), ftruncate(fd, off_t(length)) == 0 else {
            if length > UInt64(Int64.max) || Glibc.errno == EFBIG || Glibc.errno == EINVAL { throw TooLong(length: length) }
            throw HostError.errno(rel, "ftruncate")
        }
    }
}

/// A file length the host file system cannot hold (a hostile or damaged Xdir).
struct TooLong: Error { var length: UInt64 }

/// Calls `body` with an iovec array over the blocks (the last one `lastCount` bytes long).
func withIOVecs<T>(_ blocks: ArraySlice<[UInt8]>, lastCount: Int, _ body: (UnsafePointer<iovec>, Int) -> T) -> T {
    var iov: [iovec] = []
    iov.reserveCapacity(blocks.count)
    var total = 0
    var keep: [[UInt8]] = []
    keep.reserveCapacity(blocks.count)
    for (k, b) in blocks.enumerated() {
        let len = k == blocks.count - 1 ? lastCount : Format.blockSize
        keep.append(b)
        total += len
        iov.append(iovec(iov_base: nil, iov_len: len))
    }
    // The arrays stay alive (in `keep`) while their storage is borrowed.
    return withExtendedLifetime(keep) {
        for k in keep.indices {
            iov[k].iov_base = keep[k].withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        }
        return iov.withUnsafeBufferPointer { body($0.baseAddress!, total) }
    }
}

final class StreamSink: ByteSink {
    let fd: Int32
    let name: String
    var written: UInt64 = 0
    static let zeros = [UInt8](repeating: 0, count: Format.blockSize)

    init(fd: Int32, name: String) { self.fd = fd; self.name = name }

    func all(_ p: UnsafeRawPointer, _ n: Int) throws {
        var done = 0
        while done < n {
            let w = Glibc.write(fd, p + done, n - done)
            if w < 0, Glibc.errno == EINTR { continue }
            guard w > 0 else { throw HostError.errno(name, "write") }
            done += w
        }
    }

    func zeros(upTo offset: UInt64) throws {
        while written < offset {
            let n = Int(min(UInt64(Format.blockSize), offset - written))
            try StreamSink.zeros.withUnsafeBytes { try all($0.baseAddress!, n) }
            written += UInt64(n)
        }
    }

    func write(_ blocks: [[UInt8]], at offset: UInt64, lastCount: Int) throws {
        try zeros(upTo: offset)
        for (k, b) in blocks.enumerated() {
            let n = k == blocks.count - 1 ? lastCount : Format.blockSize
            try b.withUnsafeBytes { try all($0.baseAddress!, n) }
            written += UInt64(n)
        }
    }

    func finish(length: UInt64) throws { try zeros(upTo: length) }
}
