/// Pass 5: space (FORMAT.md §12). Input: pass 2's replays and the classification of reachable
/// blocks passes 2 and 3 built; output: leaks, uses after free and the like, and the count of
/// reachable blocks per kind.
struct Pass5Space {
    unowned let checker: Checker
    let replays: [ArenaReplay]
    /// Whether `replays` hold their free maps; without, each arena is replayed again here.
    let keepsFreeMaps: Bool

    func run() -> [BlockKind: Int] {
        let image = checker.image, space = checker.space
        if !space.complete {
            let why = space.incompleteReasons.prefix(3).joined(separator: "; ")
                + (space.incompleteReasons.count > 3 ? "; and \(space.incompleteReasons.count - 3) more" : "")
            checker.add(Problem(.spaceIncomplete, "leaks are not looked for and nothing is freed: \(why)"), pass: .space)
        }
        for (a, r) in zip(image.arenas, replays) {
            checker.progress?(.space, a.index, image.arenas.count)
            // A log that could not be replayed gives no free map to compare with; its own
            // problems say so, and a repair rebuilds it from reachability.
            guard a.current != nil, !r.hasErrors else { continue }
            let grading = image.format.grading
            let look: ((Int64) -> BlockLook)? = grading.namesUnreachable
                ? { addr in (try? image.device.read(at: addr)).map(image.format.looksLike) ?? .other } : nil
            let free = (keepsFreeMaps ? r : Replay.arena(image, a.index)).free
            space.compare(free: free, arena: a, grading: grading, look: look).forEach { checker.add($0, pass: .space) }
        }
        checker.progress?(.space, image.arenas.count, image.arenas.count)
        var reachable: [BlockKind: Int] = [:]
        for k in BlockKind.allCases { reachable[k] = space.count(k) }
        return reachable
    }
}
