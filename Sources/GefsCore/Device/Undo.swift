import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Undo files: the old contents of every block a writer overwrites, saved and made durable
/// before the write goes out, so that `gefs-fsck --apply-undo FILE IMAGE` can put the image
/// back as it was, even after a crash in the middle of the writing.
///
/// The file, all integers big-endian, `H` the XXH3-64 of FORMAT.md §2:
///
///     header  magic "gefsundo"[8] version[4] = 1 blksz[4] = 16384 size[8] namelen[2] name[namelen] hash[8]
///     record  kind[1] addr[8] new[8] old[16384, kind 1 only] hash[8]
///
/// `size` is the image's size in bytes and `name` its path as the writer was given it; the
/// header's `hash` is `H` of the bytes before it. Each record's `hash` is `H(previous hash ‖
/// the record's bytes before it)`, a chain that starts at the header's hash, so that a record
/// cannot be changed, dropped or moved unnoticed. Kinds:
///
/// - 1, the first write of the block at `addr`: `old` is the block as it was, `new` is `H` of
///   the block about to be written;
/// - 2, a later write of that block: `new` is `H` of the block about to be written;
/// - 3, the end: the writer finished; `addr` is the number of kind-1 records, `new` is 0.
///
/// A file without the end record was left by a writer that stopped early; its last record may
/// be incomplete, and is then ignored: it was made durable before its block was written, so
/// the block was never written. Applying checks every block first: it must hold one of the
/// contents the file says it was given, or its old contents; otherwise the image has changed
/// since and nothing is restored.
public enum Undo {
    public static let magic = Array("gefsundo".utf8)
    public static let version: UInt32 = 1

    enum Kind: UInt8 { case first = 1, rewrite = 2, end = 3 }

    /// Bytes of a record of `kind`, its hash included.
    static func recordSize(_ kind: Kind) -> Int { 1 + 8 + 8 + (kind == .first ? Format.blockSize : 0) + 8 }

    /// `H(chain ‖ bytes)`.
    static func chained(_ chain: UInt64, _ bytes: [UInt8]) -> UInt64 {
        var b = [UInt8](repeating: 0, count: 8)
        b.put(chain, at: 0)
        return undoHash(b + bytes)
    }
}

/// Why an undo file cannot be written, read or applied.
public struct UndoError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Writes an undo file as a writer goes: `UndoDevice` calls `record` before each write.
public final class UndoWriter {
    public let path: String
    let fd: FileDescriptor
    var chain: UInt64
    /// Blocks saved so far (their first write).
    var saved: Set<Int64> = []
    public var savedCount: Int { saved.count }
    var finished = false

    /// Creates the file (refusing one that exists: it may be the undo of an earlier run) and
    /// makes its header durable.
    public init(path: String, image: BlockDevice) throws {
        self.path = path
        do {
            fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite, .groupRead])
        } catch Errno.fileExists {
            throw UndoError(path, "already exists; remove it or name another undo file (it may be the undo of an earlier run)")
        } catch {
            throw UndoError(path, "cannot create: \(error)")
        }
        var w = ByteWriter(capacity: 64 + image.name.utf8.count)
        w.bytes(Undo.magic)
        w.u32(Undo.version)
        w.u32(UInt32(Format.blockSize))
        w.s64(image.size)
        let name = Array(image.name.utf8.prefix(Int(UInt16.max)))
        w.u16(UInt16(name.count))
        w.bytes(name)
        chain = undoHash(w.bytes)
        w.u64(chain)
        try append(w.bytes)
        try syncDirectory()
    }

    deinit { try? fd.close() }

    /// Saves what `UndoDevice` is about to overwrite: the block's old contents on its first
    /// write, the new contents' hash on every write. Durable when it returns.
    func record(addr: Int64, old: () throws -> [UInt8], new: [UInt8]) throws {
        precondition(!finished)
        let first = !saved.contains(addr)
        var w = ByteWriter(capacity: Undo.recordSize(.first))
        w.u8((first ? Undo.Kind.first : .rewrite).rawValue)
        w.s64(addr)
        w.u64(undoHash(new))
        if first { w.bytes(try old()) }
        try seal(&w)
        // Saved only once its record is durable: a failed read or write saves nothing.
        saved.insert(addr)
    }

    /// Writes the end record and closes the file: the writer finished.
    public func finish() throws {
        guard !finished else { return }
        var w = ByteWriter(capacity: Undo.recordSize(.end))
        w.u8(Undo.Kind.end.rawValue)
        w.s64(Int64(saved.count))
        w.u64(0)
        try seal(&w)
        finished = true
    }

    func seal(_ w: inout ByteWriter) throws {
        let next = Undo.chained(chain, w.bytes)
        w.u64(next)
        try append(w.bytes)
        chain = next
    }

    func append(_ bytes: [UInt8]) throws {
        do {
            _ = try bytes.withUnsafeBytes { try fd.writeAll($0) }
        } catch {
            throw UndoError(path, "write failed: \(error)")
        }
        guard fsync(fd.rawValue) == 0 else { throw UndoError(path, "fsync failed: \(Errno(rawValue: errno))") }
    }

    /// Makes the new file's directory entry durable too.
    func syncDirectory() throws {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let d = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY)
        guard d >= 0 else { return }
        defer { close(d) }
        _ = fsync(d)
    }
}

/// A device that saves each block's old contents in an undo file before overwriting it.
public final class UndoDevice: BlockDevice {
    public let inner: BlockDevice
    public let undo: UndoWriter

    public init(_ inner: BlockDevice, undo: UndoWriter) { self.inner = inner; self.undo = undo }

    public var name: String { inner.name }
    public var size: Int64 { inner.size }
    public func read(at addr: Int64) throws -> [UInt8] { try inner.read(at: addr) }
    public func read(at addr: Int64, into buffer: UnsafeMutableRawBufferPointer) throws { try inner.read(at: addr, into: buffer) }
    public func flush() throws { try inner.flush() }

    public func write(_ block: [UInt8], at addr: Int64) throws {
        try undo.record(addr: addr, old: { try inner.read(at: addr) }, new: block)
        try inner.write(block, at: addr)
    }
}

/// An undo file as read back, verified.
public struct UndoFile {
    public let path: String
    /// The image it was written for: its path as the writer named it, and its size.
    public let imageName: String
    public let imageSize: Int64
    /// The saved blocks, in the order they were first written: the address and where in the
    /// file the old contents are.
    public let blocks: [(addr: Int64, offset: Int64)]
    /// Every hash of what the writer wrote to each block.
    public let written: [Int64: Set<UInt64>]
    /// Whether the writer finished (the end record is there).
    public let complete: Bool
    /// Whether an incomplete last record was ignored (only in a file without the end record).
    public let tornTail: Bool

    /// Reads and verifies the whole file; throws `UndoError` when it is not an undo file or is
    /// damaged.
    public static func read(path: String) throws -> UndoFile {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(FilePath(path), .readOnly) } catch {
            throw UndoError(path, "cannot open: \(error)")
        }
        defer { try? fd.close() }
        var reader = UndoReader(fd: fd, path: path)
        return try reader.readAll()
    }

    /// Calls `body` with a reader of the saved blocks' old contents.
    func withOldBlocks<T>(_ body: ((Int64) throws -> [UInt8]) throws -> T) throws -> T {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(FilePath(path), .readOnly) } catch { throw UndoError(path, "cannot open: \(error)") }
        defer { try? fd.close() }
        return try body { offset in
            var b = [UInt8](repeating: 0, count: Format.blockSize)
            let n = try b.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: offset, into: $0) }
            guard n == Format.blockSize else { throw UndoError(path, "short read at byte \(offset)") }
            return b
        }
    }

    /// Why this file cannot be applied to `device`, one line per reason; empty when it can:
    /// same size, and every saved block holds what the writer wrote there, or its old contents.
    public func mismatches(_ device: BlockDevice) throws -> [String] {
        var out: [String] = []
        if device.size != imageSize {
            out.append("\(device.name) is \(device.size) bytes; the undo file is for an image of \(imageSize) bytes (\(imageName))")
            return out
        }
        try withOldBlocks { old in
            for (addr, offset) in blocks {
                let now: [UInt8]
                do { now = try device.read(at: addr) } catch {
                    out.append("block \(hex(addr)) cannot be read: \(error)")
                    continue
                }
                if written[addr]?.contains(undoHash(now)) == true { continue }
                if try now == old(offset) { continue }
                out.append("block \(hex(addr)) holds neither what the writer wrote there nor its old contents")
            }
        }
        return out
    }

    /// Checks, then writes every saved block's old contents back and flushes. Returns the
    /// number of blocks restored; throws without writing anything when the file does not match.
    @discardableResult
    public func apply(to device: BlockDevice) throws -> Int {
        let bad = try mismatches(device)
        guard bad.isEmpty else {
            let more = bad.count > 3 ? "; and \(bad.count - 3) more" : ""
            throw UndoError(path, "does not match \(device.name): " + bad.prefix(3).joined(separator: "; ") + more)
        }
        try withOldBlocks { old in
            for (addr, offset) in blocks { try device.write(try old(offset), at: addr) }
        }
        try device.flush()
        return blocks.count
    }
}

/// Sequential reading of an undo file, verifying the hash chain as it goes.
struct UndoReader {
    let fd: FileDescriptor
    let path: String
    var offset: Int64 = 0

    func damaged(_ why: String) -> UndoError { UndoError(path, "damaged undo file: \(why)") }

    /// `n` bytes at the current offset, or fewer at the end of the file.
    mutating func take(_ n: Int) throws -> [UInt8] {
        var b = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let k = try b.withUnsafeMutableBytes {
                try fd.read(fromAbsoluteOffset: offset + Int64(got), into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
            }
            if k == 0 { break }
            got += k
        }
        offset += Int64(got)
        return Array(b.prefix(got))
    }

    mutating func readAll() throws -> UndoFile {
        let fixed = try take(26)
        guard fixed.count == 26, fixed.starts(with: Undo.magic) else { throw UndoError(path, "not a gefs undo file") }
        guard fixed.u32(at: 8) == Undo.version else { throw UndoError(path, "undo file version \(fixed.u32(at: 8)), this gefs-fsck reads \(Undo.version)") }
        guard fixed.u32(at: 12) == UInt32(Format.blockSize) else { throw damaged("block size \(fixed.u32(at: 12))") }
        let nameBytes = try take(Int(fixed.u16(at: 24)))
        let headHash = try take(8)
        guard headHash.count == 8 else { throw damaged("the header is cut short") }
        var chain = undoHash(fixed + nameBytes)
        guard headHash.u64(at: 0) == chain else { throw damaged("the header's hash does not match") }
        var blocks: [(addr: Int64, offset: Int64)] = []
        var written: [Int64: Set<UInt64>] = [:]
        var complete = false, torn = false
        while true {
            let start = offset
            let kindByte = try take(1)
            guard let k = kindByte.first else { break }
            guard let kind = Undo.Kind(rawValue: k) else {
                if try atLastRecord(start, Undo.recordSize(.first)) { torn = true; break }
                throw damaged("record at byte \(start) has kind \(k)")
            }
            let body = try take(Undo.recordSize(kind) - 1)
            guard body.count == Undo.recordSize(kind) - 1 else { torn = true; break }
            let bytes = kindByte + body.dropLast(8)
            let next = Undo.chained(chain, bytes)
            guard body.u64(at: body.count - 8) == next else {
                if try atLastRecord(start, Undo.recordSize(kind)) { torn = true; break }
                throw damaged("record at byte \(start) fails its hash")
            }
            chain = next
            let addr = bytes.s64(at: 1)
            switch kind {
            case .first:
                guard written[addr] == nil else { throw damaged("block \(hex(addr)) is saved twice") }
                blocks.append((addr, start + 17))
                written[addr] = [bytes.u64(at: 9)]
            case .rewrite:
                guard written[addr] != nil else { throw damaged("block \(hex(addr)) is rewritten before it is saved") }
                written[addr]!.insert(bytes.u64(at: 9))
            case .end:
                guard addr == Int64(blocks.count) else { throw damaged("the end record counts \(addr) blocks, the file saves \(blocks.count)") }
                guard try take(1).isEmpty else { throw damaged("bytes follow the end record") }
                complete = true
            }
            if complete { break }
        }
        return UndoFile(path: path, imageName: String(decoding: nameBytes, as: UTF8.self), imageSize: fixed.s64(at: 16),
                        blocks: blocks, written: written, complete: complete, tornTail: torn)
    }

    /// Whether the record starting at `start` reaches the end of the file (at most `size`
    /// bytes from it): only such a record may be an incomplete last one.
    func atLastRecord(_ start: Int64, _ size: Int) throws -> Bool {
        let end = try fd.seek(offset: 0, from: .end)
        return end - start <= Int64(size)
    }
}

/// `H` of the undo file: gefs8.00's XXH3-64 (FORMAT.md §2), whatever the image's format.
@inline(__always) func undoHash(_ bytes: [UInt8]) -> UInt64 { Gefs8Format().hash(bytes) }
