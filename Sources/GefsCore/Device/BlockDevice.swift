import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An I/O failure, naming the image and what was being done.
public struct DeviceError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Whole-block positional access to an image. Addresses are byte offsets, multiples of B.
public protocol BlockDevice: AnyObject {
    /// The name used in messages (the image's path).
    var name: String { get }
    /// Size in bytes (for a block device, the device's size).
    var size: Int64 { get }
    /// Reads one block; a block past the end reads as an error.
    func read(at addr: Int64) throws -> [UInt8]
    /// Reads the whole blocks from `addr` into `buffer` (a multiple of B bytes) at once, with
    /// no allocation: the fast path of bulk readers. Any block past the end is an error.
    func read(at addr: Int64, into buffer: UnsafeMutableRawBufferPointer) throws
    /// Writes one block.
    func write(_ block: [UInt8], at addr: Int64) throws
    /// Makes the writes so far durable before any later write (a barrier between sync passes).
    func flush() throws
}

extension BlockDevice {
    /// Number of whole blocks (`N` of §5).
    public var blockCount: Int64 { size / Format.blockSize64 }

    /// One block at a time through `read(at:)`; devices with positional reads do better.
    public func read(at addr: Int64, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count % Format.blockSize == 0)
        for o in stride(from: 0, to: buffer.count, by: Format.blockSize) {
            let b = try read(at: addr + Int64(o))
            b.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[o..<o + Format.blockSize]).copyMemory(from: $0) }
        }
    }

    func checkBlock(_ addr: Int64) throws {
        guard addr >= 0, addr % Format.blockSize64 == 0 else {
            throw DeviceError(path: name, message: "address \(hex(addr)) is not a block address")
        }
        guard addr <= size - Format.blockSize64 else {
            throw DeviceError(path: name, message: "block \(hex(addr)) lies past the end of the image (\(size) bytes)")
        }
    }
}

/// A regular file or a block device, through positional reads and writes.
public final class FileDevice: BlockDevice {
    public let name: String
    public private(set) var size: Int64
    let fd: FileDescriptor
    public let writable: Bool
    /// Set when a shared lock could not be had: another gefs-tools process is writing the image.
    public internal(set) var busy = false

    /// Opens `path` read-only, or read-write when `writable`.
    public init(path: String, writable: Bool = false) throws {
        self.name = path
        self.writable = writable
        do {
            fd = try FileDescriptor.open(FilePath(path), writable ? .readWrite : .readOnly)
        } catch let e as Errno {
            // Opened for writing, a directory fails with EISDIR; read-only, it opens.
            throw e == .isDirectory ? DeviceError.isDirectory(path) : DeviceError(path: path, message: "cannot open: \(e)")
        }
        if FileDevice.isDirectory(fd) {
            try? fd.close()
            throw DeviceError.isDirectory(path)
        }
        do {
            // lseek to the end gives the size of regular files and of block devices alike.
            size = try fd.seek(offset: 0, from: .end)
        } catch let e as Errno {
            try? fd.close()
            throw DeviceError(path: path, message: "cannot find the size: \(e)")
        }
    }

    deinit { try? fd.close() }

    /// Sets the size of a regular file opened for writing (sparse; growing adds zeros).
    public func resize(to newSize: Int64) throws {
        guard ftruncate(fd.rawValue, off_t(newSize)) == 0 else {
            throw DeviceError(path: name, message: "cannot set the size to \(newSize) bytes: \(String(cString: strerror(errno)))")
        }
        size = newSize
    }

    public func read(at addr: Int64) throws -> [UInt8] {
        try checkBlock(addr)
        var block = [UInt8](repeating: 0, count: Format.blockSize)
        let n = try io("read", addr) {
            try block.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: addr, into: $0) }
        }
        guard n == Format.blockSize else {
            throw DeviceError(path: name, message: "short read at \(hex(addr)): \(n) of \(Format.blockSize) bytes")
        }
        return block
    }

    /// One positional read for the whole run of blocks.
    public func read(at addr: Int64, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count % Format.blockSize == 0)
        guard !buffer.isEmpty else { return }
        try checkBlock(addr)
        try checkBlock(addr + Int64(buffer.count - Format.blockSize))
        var done = 0
        while done < buffer.count {
            let n = try io("read", addr + Int64(done)) {
                try fd.read(fromAbsoluteOffset: addr + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            }
            guard n > 0 else {
                throw DeviceError(path: name, message: "short read at \(hex(addr)): \(done) of \(buffer.count) bytes")
            }
            done += n
        }
    }

    public func write(_ block: [UInt8], at addr: Int64) throws {
        precondition(block.count == Format.blockSize)
        try checkBlock(addr)
        let n = try io("write", addr) {
            try block.withUnsafeBytes { try fd.writeAll(toAbsoluteOffset: addr, $0) }
        }
        guard n == Format.blockSize else {
            throw DeviceError(path: name, message: "short write at \(hex(addr))")
        }
    }

    public func flush() throws {
        guard writable else { return }
        guard fsync(fd.rawValue) == 0 else {
            throw DeviceError(path: name, message: "fsync failed: \(Errno(rawValue: errno))")
        }
    }

    func io(_ what: String, _ addr: Int64, _ body: () throws -> Int) throws -> Int {
        do { return try body() } catch let e as Errno {
            throw DeviceError(path: name, message: "\(what) at \(hex(addr)) failed: \(e)")
        }
    }
}

/// An in-memory image for tests. It can simulate a crash: after `crashAfter` writes, every
/// later write is silently lost, as if power failed.
public final class MemoryDevice: BlockDevice {
    public let name: String
    public private(set) var bytes: [UInt8]
    public var size: Int64 { Int64(bytes.count) }
    /// Writes that reached the "disk" (lost writes are not counted).
    public private(set) var writesDone = 0
    /// Writes attempted, lost or not.
    public private(set) var writesAttempted = 0
    public var crashAfter: Int?

    public init(name: String = "memory", bytes: [UInt8], crashAfter: Int? = nil) {
        self.name = name; self.bytes = bytes; self.crashAfter = crashAfter
    }
    public convenience init(name: String = "memory", size: Int, crashAfter: Int? = nil) {
        self.init(name: name, bytes: [UInt8](repeating: 0, count: size), crashAfter: crashAfter)
    }

    public func read(at addr: Int64) throws -> [UInt8] {
        try checkBlock(addr)
        let o = Int(addr)
        return Array(bytes[o..<o + Format.blockSize])
    }

    public func write(_ block: [UInt8], at addr: Int64) throws {
        precondition(block.count == Format.blockSize)
        try checkBlock(addr)
        writesAttempted += 1
        if let c = crashAfter, writesDone >= c { return }
        writesDone += 1
        let o = Int(addr)
        bytes.replaceSubrange(o..<o + Format.blockSize, with: block)
    }

    public func flush() throws {}
}
