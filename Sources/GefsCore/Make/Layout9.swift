// MARK: - gefs9.00 layout (FORMAT-9FRONT.md §5)

/// Where everything goes on a gefs9.00 device of a given size: ream's geometry (§5). Every
/// arena has the same `size` (its region plus the two tail blocks); arena `i`'s header is at
/// `B + i·span`, its footer right after it, and `sb1` is the device's last whole block.
public struct Layout9: Equatable, Sendable {
    /// Whole blocks (`N`).
    public let blocks: Int64
    public let narena: Int
    /// The arena header's `size`: the span minus 2·B.
    public let arenaSize: Int64

    /// Smallest image ream accepts: 128 MiB + B.
    public static let minimumSize = Gefs9Format.minimumImageSize
    /// Arena counts ream can make (§1: 8 ..= 32 at format).
    public static let arenaRange = Gefs9Format.minReamArenas...Gefs9Format.maxReamArenas

    /// The layout of an image of `size` bytes: ream's `narena = clamp(ceil(S / 4 TiB), 8, 32)`
    /// with `S = N·B − 2·B`, or `arenas` when given, which must lie within ream's 8 to 32.
    public init(size: Int64, arenas: Int? = nil) throws {
        let B = Format.blockSize64
        guard size >= Layout9.minimumSize else {
            throw FormatterError.tooSmall(size: size, minimum: Layout9.minimumSize)
        }
        blocks = size / B
        let room = blocks * B - 2 * B
        let rule = Int(min(Int64(Gefs9Format.maxReamArenas),
                           max(Int64(Gefs9Format.minReamArenas), (room + Gefs9Format.reamBytesPerArena - 1) / Gefs9Format.reamBytesPerArena)))
        if let n = arenas {
            guard Layout9.arenaRange.contains(n) else {
                throw FormatterError.arenas("\(n) arenas: a 9front image is formatted with \(Layout9.arenaRange.lowerBound) to \(Layout9.arenaRange.upperBound) arenas, as the genuine ream makes them (FORMAT-9FRONT.md §1, §5); its rule gives \(rule) for \(humanSize(size))")
            }
            narena = n
        } else {
            narena = rule
        }
        let span = room / Int64(narena) / B * B
        arenaSize = span - 2 * B
    }

    public var fssize: Int64 { blocks * Format.blockSize64 }
    /// Bytes from one header to the next: `size + 2·B`.
    public var span: Int64 { arenaSize + 2 * Format.blockSize64 }
    /// Address of `sb1`: the last whole block.
    public var sb1: Int64 { fssize - Format.blockSize64 }
    /// Blocks after the last arena and before `sb1`, never allocated: `(N − 2) mod narena`.
    public var gapBlocks: Int64 { blocks - 2 - Int64(narena) * (span / Format.blockSize64) }
    /// Address of arena `i`'s header; its footer is the next block.
    public func header(_ i: Int) -> Int64 { Format.blockSize64 + Int64(i) * span }
    public func footer(_ i: Int) -> Int64 { header(i) + Format.blockSize64 }
    /// Arena `i`'s allocatable region: `hd + 2·B ..< hd + size`.
    public func region(_ i: Int) -> Range<Int64> { header(i) + 2 * Format.blockSize64 ..< header(i) + arenaSize }
    /// The blocks the genuine allocator keeps back in every arena (§1, §8.4).
    public var reserveBlocks: Int { Int(Gefs9Format.reserve(arenaSize: arenaSize) / Format.blockSize64) }
}
