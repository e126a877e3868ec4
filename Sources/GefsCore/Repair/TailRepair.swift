/// What rewriting the copies does to arena copies read past nonzero bytes (`arena_copy_tail`):
/// the current copy's fields are written again with the rest of the block zeroed, so its block
/// hash changes and the superblocks are written with the new one, keeping qgen (the fields are
/// the committed state). FORMAT.md §10's order keeps a crash safe: until sb0 is written the
/// old copy left in the footer is still the recorded one.
extension Repairer {
    func tailActions(_ written: Superblock) -> [RepairAction] {
        var actions: [RepairAction] = []
        for a in image.arenas where a.hasTail(.header) || a.hasTail(.footer) {
            actions.append(.copyTailZeroed(arena: a.index, slots: [ArenaSlot.header, .footer].filter { a.hasTail($0) },
                                           from: a.currentSlot!, hash: written.arenas[a.index].hash))
        }
        if written.arenas != image.superblock.arenas { actions.append(.superblocksRehashed(qgen: written.qgen)) }
        return actions
    }
}
