/// An arena header or footer (FORMAT.md §7, FORMAT-9FRONT.md §7: the same bytes in both
/// formats); both copies hold the same bytes.
public struct ArenaCopy: Equatable, Sendable {
    /// First block of the allocation log.
    public var loghd: Int64
    /// Advisory hash of the head log block; readers ignore it.
    public var loghdHash: UInt64
    /// gefs8.00: bytes in the allocatable region; gefs9.00: the span minus 2·B (region and tail).
    public var size: Int64
    /// Allocated bytes in the allocatable region as of this copy.
    public var used: Int64

    public init(loghd: Int64, loghdHash: UInt64, size: Int64, used: Int64) {
        self.loghd = loghd; self.loghdHash = loghdHash; self.size = size; self.used = used
    }

    public func encodeBlock() -> [UInt8] {
        var b = [UInt8].zeroBlock()
        b.put(BlockType.arena.rawValue, at: 0)
        b.put(loghd, at: 2); b.put(loghdHash, at: 10); b.put(size, at: 18); b.put(used, at: 26)
        return b
    }

    /// Decodes the fields; checks the type and the zero tail. Geometry is the format's `arenaCopyError`.
    public static func decode(_ b: [UInt8]) throws -> ArenaCopy {
        guard b.count == Format.blockSize else { throw FormatError.truncated("arena block", needed: Format.blockSize, available: b.count) }
        let t = b.u16(at: 0)
        guard t == BlockType.arena.rawValue else { throw FormatError.wrongType(expected: .arena, found: t) }
        guard b.allZero(34..<b.count) else { throw FormatError.invalid("arena block", "bytes past the fields are not zero") }
        return ArenaCopy(loghd: b.s64(at: 2), loghdHash: b.u64(at: 10), size: b.s64(at: 18), used: b.s64(at: 26))
    }
}
