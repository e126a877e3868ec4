/// gefs8.00's arenas (FORMAT.md §5, §7): `narena` spans of `arenasz` bytes after block 0, each
/// with its header first and its footer last.
extension Gefs8Format {
    /// Address of arena `i`'s header.
    static func arenaBase(_ sb: Superblock, _ i: Int) -> Int64 { Format.blockSize64 + Int64(i) * sb.arenasz }

    /// The geometry of arena `i` of a file system with arenas of `arenasz` bytes.
    public static func geometry(arenasz: Int64, _ i: Int) -> ArenaGeometry {
        let B = Format.blockSize64, base = B + Int64(i) * arenasz
        return ArenaGeometry(header: base, footer: base + arenasz - B, region: base + B ..< base + arenasz - B,
                             span: base ..< base + arenasz)
    }

    public func arenaCopyAddresses(_ sb: Superblock, _ i: Int) -> (header: Int64, footer: Int64) {
        let g = Gefs8Format.geometry(arenasz: sb.arenasz, i)
        return (g.header, g.footer)
    }

    public func arenaGeometry(_ sb: Superblock, _ i: Int, copy: ArenaCopy?) -> ArenaGeometry {
        Gefs8Format.geometry(arenasz: sb.arenasz, i)
    }

    /// §7's well-formedness: `size = arenasz − 2·B`, `used <= size`, `loghd` in the region.
    public func arenaCopyError(_ copy: ArenaCopy, _ sb: Superblock, _ i: Int) -> String? {
        let g = arenaGeometry(sb, i, copy: copy), size = g.region.upperBound - g.region.lowerBound
        if copy.size != size { return "size \(copy.size), expected \(size)" }
        if copy.used < 0 || copy.used > size { return "used \(copy.used) outside 0...\(size)" }
        if copy.loghd % Format.blockSize64 != 0 || !g.region.contains(copy.loghd) {
            return "loghd \(hex(copy.loghd)) is not a block of the allocatable region"
        }
        return nil
    }
}
