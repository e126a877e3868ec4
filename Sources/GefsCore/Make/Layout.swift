// MARK: - gefs8.00 layout (FORMAT.md §5)

/// Where everything goes on a device of a given size (FORMAT.md §5).
public struct Layout: Equatable, Sendable {
    /// Whole blocks (`N`).
    public let blocks: Int64
    public let narena: Int
    public let arenasz: Int64

    /// Bytes the default picks one arena per.
    public static let arenaSpan: Int64 = 64 << 30
    public static let maxDefaultArenas = 128
    /// Smallest image: two superblocks and one arena of 64 blocks.
    public static let minimumSize = Int64(2 + Gefs8Format.minArenaBlocks) * Format.blockSize64

    /// The layout of an image of `size` bytes with `arenas` arenas, or §5's default:
    /// `clamp(ceil(N·B / 64 GiB), 1, 128)`, lowered while an arena would be under 64 blocks.
    public init(size: Int64, arenas: Int? = nil) throws {
        let B = Format.blockSize64
        guard size >= Layout.minimumSize else { throw FormatterError.tooSmall(size: size, minimum: Layout.minimumSize) }
        blocks = size / B
        let room = blocks - 2
        if let n = arenas {
            guard (1...Gefs8Format.maxArenas).contains(n) else {
                throw FormatterError.arenas("\(n) arenas: the format allows 1 to \(Gefs8Format.maxArenas)")
            }
            guard room / Int64(n) >= Int64(Gefs8Format.minArenaBlocks) else {
                let need = (Int64(n) * Int64(Gefs8Format.minArenaBlocks) + 2) * B
                throw FormatterError.arenas("\(n) arenas need an image of at least \(need) bytes (\(humanSize(need))): each arena must have \(Gefs8Format.minArenaBlocks) blocks")
            }
            narena = n
        } else {
            var n = Int(min(Int64(Layout.maxDefaultArenas), max(1, (blocks * B + Layout.arenaSpan - 1) / Layout.arenaSpan)))
            while n > 1, room / Int64(n) < Int64(Gefs8Format.minArenaBlocks) { n -= 1 }
            narena = n
        }
        arenasz = room / Int64(narena) * B
    }

    public var fssize: Int64 { blocks * Format.blockSize64 }
    /// Address of `sb1`.
    public var sb1: Int64 { fssize - Format.blockSize64 }
    /// Blocks after the last arena and before `sb1`, never allocated.
    public var gapBlocks: Int64 { blocks - 2 - Int64(narena) * (arenasz / Format.blockSize64) }
    /// Address of arena `i`'s header.
    public func base(_ i: Int) -> Int64 { Format.blockSize64 + Int64(i) * arenasz }
    public func footer(_ i: Int) -> Int64 { base(i) + arenasz - Format.blockSize64 }
    /// Arena `i`'s allocatable region.
    public func region(_ i: Int) -> Range<Int64> { base(i) + Format.blockSize64 ..< footer(i) }
}

extension Layout {
    /// Parses a size: bytes, or a number with a binary K, M, G or T suffix (`iB` or `B` may follow).
    public static func parseSize(_ text: String) throws -> Int64 {
        do { return try parseByteSize(text) } catch { throw FormatterError.badSize(text) }
    }
}
