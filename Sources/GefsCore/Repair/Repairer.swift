/// How much gefs-fsck may change.
public enum RepairMode: Sendable {
    /// `-n`: nothing.
    case none
    /// `-p`: what is safe without a human — copy rewrites always; free maps only when nothing
    /// else is wrong that a human should see first.
    case preen
    /// `-y`: everything fixable.
    case all
}

/// Repairs what a checker found, each change committed in FORMAT.md §10's order through the
/// sync writer, then checks the image again so that the result is known, not hoped for.
public struct Repairer {
    public let checker: Checker
    public let mode: RepairMode

    public struct Outcome {
        /// The first run's problems, with `fixed` set on those the repair fixed.
        public var problems: [Problem]
        /// What was written, in order.
        public var actions: [RepairAction] = []
        /// Why something was not repaired, and what the second check still finds.
        public var notes: [RepairNote] = []
        /// The check of the repaired image.
        public var recheck: Checker?
    }

    public init(checker: Checker, mode: RepairMode) { self.checker = checker; self.mode = mode }

    var image: Image { checker.image }

    /// Every problem `-y` always fixes (on an image whose trees were read whole): the
    /// catalogue's codes whose repair is unconditional.
    public static var fixable: Set<ProblemCode> { Set(ProblemCode.all.filter(\.repair.isUnconditional)) }

    /// Plans and writes the repairs, then checks again.
    public func repair() throws -> Outcome {
        var out = Outcome(problems: checker.problems)
        guard mode != .none else { return out }
        guard checker.image.format.repairable else { throw RewriteError.formatNotWritable(checker.image.format.name) }
        // One repair per run: each rewrites the copies, so the later ones would have nothing left.
        var done = false
        let rebuild = FreeMapRebuild(checker: checker)
        let reclaim = DeadlistReclaim(checker: checker)
        if reclaim.wanted {
            if let why = reclaim.refusal() {
                out.notes.append(.refused(.deadlistReclaim, why: why))
            } else {
                // Rebuilds the free maps that need it in the same sync.
                out.actions += try reclaim.commit(rebuilding: rebuild.arenas)
                done = true
            }
        }
        if !done, !rebuild.arenas.isEmpty {
            if let why = rebuild.refusal(preen: mode == .preen) {
                out.notes.append(.refused(.freeMapRebuild, why: why))
            } else {
                out.actions += try rebuild.commit()
                done = true
            }
        }
        // An arena without a current copy is fixed here only when the format records the hash
        // a grown image lost (`recordable`); otherwise it is no copy problem a repair can solve.
        let recording = image.arenas.contains { recordable($0) != nil }
        if !done, recording || checker.problems.contains(where: { $0.code.repair == .copies }) {
            if let why = copiesRefusal() {
                out.notes.append(.refused(.copies, why: why))
            } else {
                out.actions += try rewriteCopies()
            }
        }
        guard !out.actions.isEmpty else { return out }
        let again = Checker(image: try Image(device: image.device))
        again.run()
        out.recheck = again
        // A problem is fixed when the check of the repaired image no longer finds it: the same
        // code at the same arena and block.
        let left = Set(again.problems.map(Identity.init))
        for i in out.problems.indices {
            out.problems[i].fixed = !left.contains(Identity(out.problems[i]))
        }
        let remaining = again.problems.filter { $0.severity != .info }
        if !remaining.isEmpty { out.notes.append(.remaining(remaining)) }
        return out
    }

    /// A problem as the check of the repaired image would find it again: code and place.
    struct Identity: Hashable {
        var code: ProblemCode, arena: Int, block: Int64, place: ProblemPlace?
        init(_ p: Problem) { code = p.code; arena = p.arena ?? -1; block = p.block ?? -1; place = p.place }
    }

    /// Why the superblock and arena copies cannot be rewritten from the current state: as
    /// `unwritable`, except for an arena whose lost table hash the format records (`recordable`).
    func copiesRefusal() -> String? {
        if let a = image.arenas.first(where: { $0.current == nil && recordable($0) == nil }) { return "arena \(a.index) has no current copy" }
        if Repairer.truncated(image) { return "the image is truncated" }
        return nil
    }

    /// Why no repair may write to the image at all, or nil: the current state must be whole.
    static func unwritable(_ image: Image) -> String? {
        if let a = image.arenas.first(where: { $0.current == nil }) { return "arena \(a.index) has no current copy" }
        if truncated(image) { return "the image is truncated" }
        return nil
    }

    /// Whether the image is shorter than the file system it holds: gefs8.00's `fssize`; in
    /// gefs9.00, which has none, the last arena's end plus the block of `sb1` (FORMAT-9FRONT.md
    /// §5, §6).
    static func truncated(_ image: Image) -> Bool {
        if image.device.size < image.superblock.fssize { return true }
        guard image.superblock.fssize == 0, let last = image.arenas.last?.geometry else { return false }
        return last.span.upperBound + Format.blockSize64 > image.device.size
    }

    /// The copy to record for an arena without a current one, when the format repairs that: the
    /// table's hash is −1 and the header and footer are identical and well formed (what the
    /// genuine `gefs -g` leaves for every old arena, FORMAT-9FRONT.md §5, §14 item 19).
    func recordable(_ a: Arena) -> ArenaCopy? {
        let sb = image.superblock
        guard image.format.recordsMissingArenaHash, a.current == nil, sb.arenas[a.index].hash == UInt64.max,
              a.headerStatus == a.footerStatus, a.headerHash == a.footerHash, let h = a.header, a.footer == h,
              a.tails.isEmpty, image.format.arenaCopyError(h, sb, a.index) == nil else { return nil }
        return h
    }

    /// Rewrites both superblocks and every arena header and footer with the current state, in
    /// §10's order. The bytes are those the current superblock already records, so a crash at
    /// any point leaves the same committed state — except the `used` of an arena whose copy
    /// disagrees with the replay up to its committed barrier (gefs9.00's `arena_used_stale`):
    /// that copy is written with the replayed value, and the superblocks (same qgen) with its
    /// new hash; until `sb0` is written the footer still holds the recorded copy.
    func rewriteCopies() throws -> [RepairAction] {
        let staleUsed = Set(checker.problems.filter { $0.code == .arenaUsedStale }.compactMap(\.arena))
        let copies = image.arenas.map { a -> ArenaCopy in
            var c = a.current ?? recordable(a)!
            let r = checker.replays[a.index]
            if staleUsed.contains(a.index), r.stop == .barrier, !r.hasErrors { c.used = r.used }
            return c
        }
        let written = try SyncWriter(device: image.device, format: image.format).commit(superblock: image.superblock, arenas: copies)
        var actions = tailActions(written)
        for a in image.arenas where a.current == nil {
            actions.append(.arenaHashRecorded(arena: a.index, hash: written.arenas[a.index].hash))
        }
        for i in staleUsed.sorted() where copies[i].used != image.arenas[i].current!.used {
            actions.append(.usedRewritten(arena: i, used: copies[i].used, was: image.arenas[i].current!.used))
        }
        for c in [image.sb0, image.sb1] where c.block != image.format.encodeSuperblock(image.superblock) {
            actions.append(.superblockRewritten(c.slot, from: image.currentSlot, qgen: image.qgen))
        }
        for a in image.arenas {
            for slot in [ArenaSlot.header, .footer] where a.current != nil && (slot == .header ? a.headerStatus : a.footerStatus) != .current {
                actions.append(.arenaCopyRewritten(arena: a.index, slot, from: a.currentSlot!))
            }
        }
        return actions
    }
}
