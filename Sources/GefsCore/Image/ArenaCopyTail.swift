/// Arena copies with nonzero bytes after their fields (FORMAT.md §7: "the rest of the block is
/// zero"). Such a copy is not well formed, but when its fields are intact it is no worse than a
/// stale one: its block hash still says whether it is the copy the superblock records. It is
/// read for its fields and reported as `arena_copy_tail`; a repair writes the fields again with
/// the tail zeroed (and, for a current copy, the superblocks with its new hash).
extension ArenaCopy {
    /// Bytes of the fields (type, loghd, loghd hash, size, used).
    static let fieldsSize = 34

    /// The fields of an arena block whose only fault may be bytes after them: nil unless the
    /// type is Tarena. Geometry is `wellFormedError`'s job.
    static func fieldsBeforeTail(_ b: [UInt8]) -> ArenaCopy? {
        guard b.count == Format.blockSize, b.u16(at: 0) == BlockType.arena.rawValue else { return nil }
        return ArenaCopy(loghd: b.s64(at: 2), loghdHash: b.u64(at: 10), size: b.s64(at: 18), used: b.s64(at: 26))
    }
}

extension Arena {
    /// Whether the copy in `slot` was read for its fields past nonzero bytes: its block is not
    /// what its fields encode to (a clean copy is exactly that, byte for byte).
    public func hasTail(_ slot: ArenaSlot) -> Bool {
        let status = slot == .header ? headerStatus : footerStatus
        return tails.contains(slot) && (status == .current || status == .stale)
    }

    func tailProblem(_ slot: ArenaSlot) -> Problem? {
        guard hasTail(slot) else { return nil }
        let status = (slot == .header ? headerStatus : footerStatus) == .current ? "the hash the superblock records" : "intact fields"
        return Problem(.arenaCopyTail, "\(slot) has nonzero bytes after its fields (the rest of the block must be zero); it has \(status)",
                       arena: index, block: addr(of: slot))
    }
}
