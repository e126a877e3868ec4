/// Pass 2: the allocation logs (FORMAT.md §8.3). Input: the image's arenas; output: each
/// arena's replay (its free map dropped unless `keepsFreeMaps`) and the block counts of the
/// summary. The log blocks are marked reachable.
struct Pass2Logs {
    unowned let checker: Checker
    let keepsFreeMaps: Bool

    struct Output {
        var replays: [ArenaReplay] = []
        var blocks = 0, usedBlocks = 0, freeBlocks = 0
    }

    func run() -> Output {
        let image = checker.image
        var out = Output()
        for a in image.arenas {
            checker.progress?(.logs, a.index, image.arenas.count)
            var r = Replay.arena(image, a.index)
            r.problems.forEach { checker.add($0, pass: .logs) }
            out.blocks += Int(a.size / Format.blockSize64)
            out.usedBlocks += Int(r.used / Format.blockSize64)
            out.freeBlocks += r.free.setCount
            for addr in r.logBlocks { checker.mark(addr, .log, from: "arena \(a.index)'s log", pass: .logs) }
            if !keepsFreeMaps { r.free = BlockBitmap(start: a.region.lowerBound, count: 0) }
            out.replays.append(r)
        }
        checker.progress?(.logs, image.arenas.count, image.arenas.count)
        return out
    }
}
