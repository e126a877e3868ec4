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
        /// What was written, one line each.
        public var actions: [String] = []
        /// Why something was not repaired, and what the second check still finds.
        public var notes: [String] = []
        /// The check of the repaired image.
        public var recheck: Checker?
    }

    public init(checker: Checker, mode: RepairMode) { self.checker = checker; self.mode = mode }

    var image: Image { checker.image }

    static let copyCodes: Set<ProblemCode> = [.superblockInvalid, .superblockStale, .superblockMismatch,
                                              .arenaHeaderStale, .arenaFooterStale, .arenaCopyCorrupt, .arenaCopyTail]
    /// Every problem some repair fixes.
    public static var fixable: Set<ProblemCode> { copyCodes.union(FreeMapRebuild.codes) }

    /// Plans and writes the repairs, then checks again.
    public func repair() throws -> Outcome {
        var out = Outcome(problems: checker.problems)
        guard mode != .none else { return out }
        guard checker.image.format.repairable else { throw RewriteError.formatNotWritable(checker.image.format.name) }
        var addressed: Set<ProblemCode> = []
        let codes = Set(checker.problems.map(\.code))
        let rebuild = FreeMapRebuild(checker: checker)
        let reclaim = DeadlistReclaim(checker: checker)
        if reclaim.wanted {
            if let why = reclaim.refusal() {
                out.notes.append("deadlist entries not dropped: \(why)")
            } else {
                // Rebuilds the free maps that need it in the same sync.
                out.actions += try reclaim.commit(rebuilding: rebuild.arenas)
                addressed.formUnion(FreeMapRebuild.codes)
                addressed.formUnion(Repairer.copyCodes)
            }
        }
        if addressed.isEmpty, !rebuild.arenas.isEmpty {
            if let why = rebuild.refusal(preen: mode == .preen) {
                out.notes.append("free maps not rebuilt: \(why)")
            } else {
                out.actions += try rebuild.commit()
                addressed.formUnion(FreeMapRebuild.codes)
                addressed.formUnion(Repairer.copyCodes)
            }
        }
        if addressed.isEmpty, !codes.isDisjoint(with: Repairer.copyCodes) {
            if let why = copiesRefusal() {
                out.notes.append("copies not rewritten: \(why)")
            } else {
                out.actions += try rewriteCopies()
                addressed.formUnion(Repairer.copyCodes)
            }
        }
        guard !out.actions.isEmpty else { return out }
        let again = Checker(image: try Image(device: image.device))
        again.run()
        out.recheck = again
        // A problem is fixed when the check of the repaired image no longer finds it: the same
        // code at the same arena and block.
        let left = Set(again.problems.map(Repairer.identity))
        for i in out.problems.indices {
            out.problems[i].fixed = !left.contains(Repairer.identity(out.problems[i]))
        }
        let remaining = again.problems.filter { $0.severity != .info }
        if !remaining.isEmpty {
            out.notes.append("the check after the repair still finds \(remaining.count) problem\(remaining.count == 1 ? "" : "s"):")
            out.notes += Problem.lines(remaining, limit: 3).map { "  " + $0 }
        }
        return out
    }

    static func identity(_ p: Problem) -> String { "\(p.code.id) \(p.arena ?? -1) \(p.block ?? -1) \(p.path ?? "")" }

    /// Why the superblock and arena copies cannot be rewritten from the current state.
    func copiesRefusal() -> String? { Repairer.unwritable(image) }

    /// Why no repair may write to the image at all, or nil: the current state must be whole.
    static func unwritable(_ image: Image) -> String? {
        if let a = image.arenas.first(where: { $0.current == nil }) { return "arena \(a.index) has no current copy" }
        if image.device.size < image.superblock.fssize { return "the image is truncated" }
        return nil
    }

    /// Rewrites both superblocks and every arena header and footer with the current state, in
    /// §10's order. The bytes are those the current superblock already records, so a crash at
    /// any point leaves the same committed state.
    func rewriteCopies() throws -> [String] {
        let copies = image.arenas.map { $0.current! }
        let written = try SyncWriter(device: image.device, format: image.format).commit(superblock: image.superblock, arenas: copies)
        var lines = tailLines(written)
        for c in [image.sb0, image.sb1] where c.block != image.format.encodeSuperblock(image.superblock) {
            lines.append("\(c.slot) rewritten from the current superblock (\(image.currentSlot), qgen \(image.qgen))")
        }
        for a in image.arenas {
            for slot in [ArenaSlot.header, .footer] where (slot == .header ? a.headerStatus : a.footerStatus) != .current {
                lines.append("arena \(a.index) \(slot) rewritten from the \(a.currentSlot!)")
            }
        }
        return lines
    }
}
