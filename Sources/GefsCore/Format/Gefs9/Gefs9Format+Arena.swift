/// gefs9.00 arenas (FORMAT-9FRONT.md §5, §7). The arena copy has gefs8.00's byte layout
/// (`ArenaCopy`), but its footer sits right after the header, and `size` counts the region plus
/// the two tail blocks: arena `i` spans `hd ..< hd + size + 2·B`, with `hd` from the table.
extension Gefs9Format {
    /// Header at the table's address, footer one block after it.
    public func arenaCopyAddresses(_ sb: Superblock, _ i: Int) -> (header: Int64, footer: Int64) {
        let hd = sb.arenas[i].addr
        return (hd, hd &+ Gefs9Format.blockSize64)
    }

    /// `hd + 2·B ..< hd + size`, tail blocks `hd + size` and `hd + size + B`, span
    /// `hd ..< hd + size + 2·B`, with `size` from `copy`. Without a copy, or with one whose
    /// `size` is not a multiple of B of at least 3·B (or overflows the address space), the
    /// arena's extent is unknown: an empty region at `hd + 2·B`, no tail blocks, a span of the
    /// header and footer only.
    public func arenaGeometry(_ sb: Superblock, _ i: Int, copy: ArenaCopy?) -> ArenaGeometry {
        let B = Gefs9Format.blockSize64
        let (hd, footer) = arenaCopyAddresses(sb, i)
        let start = hd &+ 2 * B
        if let size = copy?.size, Gefs9Format.sizeIsWellFormed(size), hd >= 0,
           case let (end, o1) = hd.addingReportingOverflow(size), !o1,
           case let (spanEnd, o2) = end.addingReportingOverflow(2 * B), !o2 {
            return ArenaGeometry(header: hd, footer: footer, region: start..<end, tailBlocks: [end, end + B],
                                 span: hd..<spanEnd)
        }
        let lo = min(hd, start)
        return ArenaGeometry(header: hd, footer: footer, region: start..<start, tailBlocks: [], span: lo..<start)
    }

    /// §7's well-formedness beyond what `ArenaCopy.decode` checks (type 5, zero rest): `size` a
    /// multiple of B and at least 3·B, `2·B <= used <= size`, `loghd` a block of the region.
    /// Whether `size` puts the next arena where the table says is the Image's check (§5).
    public func arenaCopyError(_ copy: ArenaCopy, _ sb: Superblock, _ i: Int) -> String? {
        let B = Gefs9Format.blockSize64
        guard Gefs9Format.sizeIsWellFormed(copy.size) else {
            return "size \(copy.size) is not a multiple of \(B) of at least \(Gefs9Format.minArenaSize)"
        }
        guard copy.used >= 2 * B, copy.used <= copy.size else { return "used \(copy.used) outside \(2 * B)...\(copy.size)" }
        let hd = sb.arenas[i].addr
        let (end, overflow) = hd.addingReportingOverflow(copy.size)
        guard !overflow, copy.loghd % B == 0, copy.loghd >= hd &+ 2 * B, copy.loghd < end else {
            return "loghd \(hex(copy.loghd)) is not a block of the allocatable region"
        }
        return nil
    }

    static func sizeIsWellFormed(_ size: Int64) -> Bool {
        size >= minArenaSize && size % blockSize64 == 0
    }
}
