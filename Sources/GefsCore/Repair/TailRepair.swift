/// What rewriting the copies does to arena copies read past nonzero bytes (`arena_copy_tail`):
/// the current copy's fields are written again with the rest of the block zeroed, so its block
/// hash changes and the superblocks are written with the new one, keeping qgen (the fields are
/// the committed state). FORMAT.md §10's order keeps a crash safe: until sb0 is written the
/// old copy left in the footer is still the recorded one.
extension Repairer {
    func tailLines(_ written: Superblock) -> [String] {
        var lines: [String] = []
        for a in image.arenas where a.hasTail(.header) || a.hasTail(.footer) {
            let which = [ArenaSlot.header, .footer].filter { a.hasTail($0) }.map(\.rawValue).joined(separator: " and ")
            lines.append("arena \(a.index) \(which): nonzero bytes after the fields zeroed; both copies rewritten from the fields (\(a.currentSlot!)), hash \(hex(written.arenas[a.index].hash))")
        }
        if written.arenas != image.superblock.arenas {
            lines.append("sb0 and sb1 rewritten with the new arena hashes (qgen \(written.qgen))")
        }
        return lines
    }
}
