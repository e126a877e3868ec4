/// The repair of free maps from reachability: every arena whose log or space accounting is
/// wrong gets the free map the checker's classification gives it, written as a fresh compact
/// log by the offline log rewrite (FORMAT.md §8.4) and committed in §10's order.
struct FreeMapRebuild {
    let checker: Checker

    var image: Image { checker.image }
    var space: SpaceClassification { checker.space }

    /// Arenas to rebuild: those with a problem a rebuild fixes (not one that merely goes with
    /// the old log).
    var arenas: [Int] {
        Set(checker.problems.filter { $0.code.repair == .freeMapRebuild }.compactMap(\.arena)).sorted()
    }

    /// Why the rebuild must not be done, or nil.
    func refusal(preen: Bool) -> String? {
        if let why = Repairer.unwritable(image) { return why }
        if preen, let p = checker.problems.first(where: { !$0.code.preenSafe }) {
            return "\(p.code.id) needs a human first: run gefs-fsck -y"
        }
        for i in arenas where !space.complete {
            if checker.replays[i].hasErrors {
                return "arena \(i)'s log cannot be replayed and part of the trees is unknown (\(space.incompleteReasons.first ?? "unreadable"))"
            }
        }
        return nil
    }

    /// The free map arena `i` must have once its old log is gone. With every tree read: its
    /// region less every reachable block. Otherwise nothing is freed as a leak: the replayed
    /// free map less the reachable blocks, old log blocks counted free.
    func target(_ i: Int) -> BlockBitmap {
        let a = image.arenas[i]
        if space.complete { return space.freeMap(for: a, logsFree: true) }
        var free = checker.replays[i].free
        let reach = space.freeMap(for: a, logsFree: true)
        for addr in checker.replays[i].logBlocks { free.insert(addr) }
        for j in 0..<free.count where !reach[j] { free[j] = false }
        return free
    }

    /// Plans and commits the rewrite; returns what was done.
    func commit() throws -> [RepairAction] {
        let chosen = arenas
        var targets: [Int: BlockBitmap] = [:]
        for i in chosen { targets[i] = target(i) }
        let plan = try LogRewrite.plan(image: image, arenas: chosen, targets: targets)
        try plan.commit(to: image.device)
        return rebuilt(plan) + [.committed(qgen: plan.gen)]
    }

    /// The arenas `plan` gave fresh logs.
    func rebuilt(_ plan: LogRewrite) -> [RepairAction] {
        plan.arenas.filter(\.rewritten).map { p in
            .freeMapRebuilt(arena: p.arena, blocks: p.newBlocks.count, at: p.newBlocks.first ?? 0, was: p.oldBlocks.count,
                            used: p.used, usedBefore: checker.replays[p.arena].used)
        }
    }
}
