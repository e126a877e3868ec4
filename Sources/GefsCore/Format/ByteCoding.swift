/// Big-endian access to byte buffers. Codecs use these; nothing here does I/O.

extension Array where Element == UInt8 {
    /// A zero-filled block of `Format.blockSize` bytes.
    @inlinable public static func zeroBlock() -> [UInt8] {
        [UInt8](repeating: 0, count: Format.blockSize)
    }

    /// Reads a big-endian integer; the caller guarantees `offset + size <= count`.
    @inlinable public func be<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
    @inlinable public func u16(at o: Int) -> UInt16 { be(UInt16.self, at: o) }
    @inlinable public func u32(at o: Int) -> UInt32 { be(UInt32.self, at: o) }
    @inlinable public func u64(at o: Int) -> UInt64 { be(UInt64.self, at: o) }
    @inlinable public func s64(at o: Int) -> Int64 { be(Int64.self, at: o) }

    /// Writes a big-endian integer; the caller guarantees the bounds.
    @inlinable public mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
    }

    /// True when every byte in `range` is zero.
    @inlinable public func allZero(_ range: Range<Int>) -> Bool {
        withUnsafeBytes { raw in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
                i += 8
            }
            while i < range.upperBound {
                if raw[i] != 0 { return false }
                i += 1
            }
            return true
        }
    }
}

/// A bounds-checked big-endian reader over a byte array; every read that would run past the end
/// throws a `FormatError.truncated` naming the structure being decoded.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int
    public let structure: String

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil, structure: String) {
        self.bytes = bytes
        self.offset = start
        self.end = Swift.min(end ?? bytes.count, bytes.count)
        self.structure = structure
    }

    public var remaining: Int { end - offset }

    mutating func need(_ n: Int) throws {
        guard n >= 0, offset <= end, n <= end - offset else {
            throw FormatError.truncated(structure, needed: n, available: Swift.max(0, end - offset))
        }
    }
    public mutating func u8() throws -> UInt8 { try need(1); defer { offset += 1 }; return bytes[offset] }
    public mutating func u16() throws -> UInt16 { try need(2); defer { offset += 2 }; return bytes.u16(at: offset) }
    public mutating func u32() throws -> UInt32 { try need(4); defer { offset += 4 }; return bytes.u32(at: offset) }
    public mutating func u64() throws -> UInt64 { try need(8); defer { offset += 8 }; return bytes.u64(at: offset) }
    public mutating func s64() throws -> Int64 { Int64(bitPattern: try u64()) }
    public mutating func s8() throws -> Int8 { Int8(bitPattern: try u8()) }
    public mutating func bytes(_ n: Int) throws -> [UInt8] {
        try need(n); defer { offset += n }; return Array(bytes[offset..<offset + n])
    }
    /// Throws unless every byte has been consumed.
    public func expectEnd() throws {
        if offset != end { throw FormatError.invalid(structure, "\(end - offset) trailing bytes") }
    }
}

/// An appending big-endian writer.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []
    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }
    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func s8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    public mutating func u16(_ v: UInt16) { append(v) }
    public mutating func u32(_ v: UInt32) { append(v) }
    public mutating func u64(_ v: UInt64) { append(v) }
    public mutating func s64(_ v: Int64) { append(v) }
    public mutating func bytes<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }
    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
