import XCTest
import GefsCore
import GefsSynthetic
import TestSupport

/// The offline log rewrite (FORMAT.md §8.4) and its §10 commit: crash safety at every write,
/// the committed state never overwritten, barriers for the arenas kept, targets of a caller's own.
final class RewriteTests: XCTestCase {
    let B = LogLab.B

    func memoryImage(_ sample: String) throws -> MemoryDevice {
        let path = try Fixtures.sample(sample)
        return MemoryDevice(name: sample, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// No pass-0 block is one the committed state counts allocated, except the committed tail of
    /// an arena that keeps its log, rewritten after its barrier only.
    func assertSafe(_ plan: LogRewrite, _ image: Image, file: StaticString = #filePath, line: UInt = #line) {
        for (addr, _) in plan.blocks {
            guard let a = image.arena(containing: addr) else { return XCTFail("\(hex(addr)) outside the arenas", file: file, line: line) }
            let r = Replay.arena(image, a)
            if r.free.contains(addr) { continue }
            XCTAssertFalse(plan.arenas[a].rewritten, "\(hex(addr)) is allocated in the committed state", file: file, line: line)
            XCTAssertEqual(addr, r.resume?.block, file: file, line: line)
        }
    }

    /// Every sample, all arenas rewritten, cut after every write: the image opens without errors
    /// and replays either to the old free maps at the old barrier or to the planned ones at the new.
    func testEverySampleAtEveryCrashPoint() throws {
        for sample in ["fresh", "populated", "snapshots", "crashed"] {
            let original = try memoryImage(sample)
            let old = try Image(device: original)
            let oldReplays = old.arenas.indices.map { Replay.arena(old, $0) }
            let plan = try LogRewrite.plan(image: old, arenas: Array(old.arenas.indices))
            assertSafe(plan, old)
            XCTAssertEqual(plan.gen, old.qgen + 1)
            for (p, r) in zip(plan.arenas, oldReplays) {
                XCTAssertTrue(p.rewritten)
                XCTAssertEqual(p.free.union(BlockBitmap(covering: old.arenas[p.arena].region).with(p.newBlocks)),
                               r.free.union(BlockBitmap(covering: old.arenas[p.arena].region).with(r.logBlocks)),
                               "\(sample) arena \(p.arena): the same free map apart from the log blocks")
                XCTAssertLessThanOrEqual(p.newEntries, p.oldEntries)
            }
            let total = plan.blocks.count + 2 * old.arenas.count + 2
            for k in 0...total {
                let dev = MemoryDevice(name: "\(sample)-crash\(k)", bytes: original.bytes, crashAfter: k)
                try plan.commit(to: dev)
                XCTAssertEqual(dev.writesAttempted, total)
                let image = try Image(device: dev)
                XCTAssertFalse(image.problems.contains { $0.severity == .error }, "\(sample) crash after \(k): \(image.problems)")
                let committed = image.qgen == plan.gen
                XCTAssertEqual(committed, k > plan.blocks.count + old.arenas.count, "\(sample) crash after \(k)")
                for (a, p) in plan.arenas.enumerated() {
                    let r = Replay.arena(image, a)
                    let what = "\(sample) crash after \(k) arena \(a)"
                    XCTAssertFalse(r.hasErrors, "\(what): \(r.problems)")
                    XCTAssertTrue(r.agrees, what)
                    XCTAssertEqual(r.free, committed ? p.free : oldReplays[a].free, what)
                    XCTAssertEqual(r.committedGen, committed ? plan.gen : old.qgen, what)
                    if committed { XCTAssertEqual(r.logBlocks, p.newBlocks, what) }
                }
                if k == total { XCTAssertEqual(image.problems, [], "\(sample): a completed rewrite leaves nothing stale") }
                // gefs-fsck -n: nothing but stale copies and the sample's own warnings; -y then
                // leaves nothing at all.
                let check = Checker(image: image)
                check.run()
                XCTAssertEqual(check.problems.filter { $0.severity == .error }.map(\.description), [], "\(sample) crash after \(k)")
                let fix = MemoryDevice(bytes: dev.bytes)
                let c = Checker(image: try Image(device: fix))
                c.run()
                _ = try Repairer(checker: c, mode: .all).repair()
                let again = Checker(image: try Image(device: fix))
                again.run()
                XCTAssertEqual(again.problems.filter { $0.severity != .info }.map(\.description), [], "\(sample) crash after \(k), then gefs-fsck -y")
            }
            XCTAssertEqual(plan.verify(original), ["the current superblock has qgen \(old.qgen), not \(plan.gen)"])
        }
    }

    /// Rewriting one arena of crashed.img: the other keeps its log, gets `LogSync 14` right
    /// after its committed barrier (over the uncommitted entries), and replays to the same map.
    func testOtherArenasGetTheBarrier() throws {
        let dev = try memoryImage("crashed")
        let old = try Image(device: dev)
        let before = Replay.arena(old, 1)
        let plan = try LogRewrite.plan(image: old, arenas: [0])
        XCTAssertEqual(plan.arenas.map(\.rewritten), [true, false])
        XCTAssertEqual(plan.blocks.filter { old.arena(containing: $0.addr) == 1 }.map(\.addr), [before.resume!.block])
        assertSafe(plan, old)
        try plan.commit(to: dev)
        XCTAssertEqual(plan.verify(dev), [])
        let image = try Image(device: dev)
        XCTAssertEqual(image.problems, [])
        let after = Replay.arena(image, 1)
        XCTAssertEqual(after.problems, [])
        XCTAssertEqual(after.free, before.free)
        XCTAssertEqual(after.used, before.used)
        XCTAssertEqual(after.logBlocks, before.logBlocks)
        XCTAssertEqual(after.committedEntries, before.committedEntries + 1)
        XCTAssertEqual(after.resume?.offset, before.resume!.offset + 8)
    }

    /// A kept arena whose committed barrier ends a full block: the barrier goes to a new block,
    /// allocated and chained as writers do; with no room even for that, the plan is refused.
    func testBarrierInANewBlock() throws {
        let lab = LogLab(narena: 2)
        var words = lab.start().flatMap(\.words)
        // Pairs up to data offset 16336, then the barrier: the block is full (logsz >= 16332).
        while 8 + 8 * words.count < 16336 { words += [LogEntry.alloc(lab.blk(9)).word, LogEntry.free(lab.blk(9)).word] }
        words += [LogEntry.sync(1).word, LogEntry.end.word]
        let full = LogLab.rawBlock(words, logsz: 8 + 8 * (words.count - 1))
        lab.write(full, at: lab.blk(0))
        lab.writeChain([(lab.blk(0, arena: 1), lab.start(arena: 1) + [.sync(1)])])
        let image = try lab.commit(qgen: 1)
        let plan = try LogRewrite.plan(image: image, arenas: [1])
        XCTAssertEqual(plan.arenas[0].newBlocks, [lab.blk(0), lab.blk(1)])
        XCTAssertEqual(plan.arenas[0].used, 2 * B)
        assertSafe(plan, image)
        try plan.commit(to: lab.device)
        XCTAssertEqual(plan.verify(lab.device), [])
        let r = Replay.arena(try Image(device: lab.device), 0)
        XCTAssertEqual(r.logBlocks, [lab.blk(0), lab.blk(1)])
        XCTAssertEqual(r.committedGen, 2)

        // A barrier in the last word but one: no room for LogAlloc1 and LogChain.
        let tight = LogLab(narena: 2)
        words = tight.start().flatMap(\.words)
        while 8 + 8 * words.count < 16352 { words += [LogEntry.alloc(tight.blk(9)).word, LogEntry.free(tight.blk(9)).word] }
        words = Array(words.prefix((16352 - 8) / 8)) + [LogEntry.sync(1).word, LogEntry.end.word]
        XCTAssertEqual(words.count, 2045)
        tight.write(LogLab.rawBlock(words), at: tight.blk(0))
        tight.writeChain([(tight.blk(0, arena: 1), tight.start(arena: 1) + [.sync(1)])])
        let t = try tight.commit(qgen: 1)
        XCTAssertFalse(Replay.arena(t, 0).hasErrors)
        XCTAssertThrowsError(try LogRewrite.plan(image: t, arenas: [1])) {
            XCTAssertEqual($0 as? RewriteError, .noBarrierRoom(arena: 0, block: tight.blk(0)))
        }
        XCTAssertNoThrow(try LogRewrite.plan(image: t, arenas: [0, 1]), "rewriting that arena too works")
    }

    /// A kept arena whose log ends without a barrier at or above qgen (a warning) gets the new
    /// barrier where its LogEnd was, and then replays to it without the warning.
    func testBarrierAtTheLogEnd() throws {
        let lab = LogLab(narena: 2)
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(1), .alloc(lab.blk(1))])])
        lab.writeChain([(lab.blk(0, arena: 1), lab.start(arena: 1) + [.sync(2)])])
        let image = try lab.commit(qgen: 2)
        let before = Replay.arena(image, 0)
        XCTAssertEqual(codes(before.problems), ["log_no_barrier"])
        let plan = try LogRewrite.plan(image: image, arenas: [1])
        try plan.commit(to: lab.device)
        XCTAssertEqual(plan.verify(lab.device), [])
        let after = Replay.arena(try Image(device: lab.device), 0)
        XCTAssertEqual(after.problems, [])
        XCTAssertEqual(after.committedGen, 3)
        XCTAssertEqual(after.free, before.free)
        XCTAssertEqual(after.resume?.offset, before.resume!.offset + 8)
    }

    /// An arena whose replay has errors is refused, rewritten or not, unless the caller gives
    /// its own target free map (gefs-fsck's, from reachability).
    func testArenaWithErrorsNeedsATarget() throws {
        let lab = LogLab(narena: 2)
        lab.writeChain([(lab.blk(0), lab.start() + [.alloc(lab.blk(3)), .alloc(lab.blk(3)), .alloc(lab.blk(4)), .sync(1)])])
        lab.writeChain([(lab.blk(0, arena: 1), lab.start(arena: 1) + [.sync(1)])])
        let image = try lab.commit(qgen: 1)
        for chosen in [[0], [1], [0, 1]] {
            XCTAssertThrowsError(try LogRewrite.plan(image: image, arenas: chosen)) {
                XCTAssertEqual($0 as? RewriteError, .replayErrors(arena: 0, errors: 1))
            }
        }
        // The target: blocks 0 (the old log), 3 and 4 in use; 7 and 8 are wanted allocated too.
        var target = BlockBitmap(covering: lab.region(), filled: true)
        for k in [3, 4, 7, 8] { target.remove(block: lab.blk(k)) }
        let plan = try LogRewrite.plan(image: image, arenas: [], targets: [0: target])
        XCTAssertEqual(plan.arenas.map(\.rewritten), [true, false])
        XCTAssertEqual(plan.arenas[0].newBlocks, [lab.blk(1)], "the lowest block free in both, outside the old chain")
        XCTAssertFalse(plan.arenas[0].newBlocks.contains(lab.blk(0)))
        try plan.commit(to: lab.device)
        XCTAssertEqual(plan.verify(lab.device), [])
        let r = Replay.arena(try Image(device: lab.device), 0)
        var expected = target
        expected.remove(block: lab.blk(1))
        XCTAssertEqual(r.free, expected)
        XCTAssertEqual(r.used, 5 * B)
    }

    /// A target of thousands of one-block extents: the new log spans several chained blocks,
    /// each filled by the append rule, and replays exactly to it.
    func testNewLogOverSeveralBlocks() throws {
        var synth = SyntheticLog(entries: 2000, maxLive: 64)
        synth.regionBlocks = 5000
        let dev = MemoryDevice(name: "synthetic", size: Int(synth.imageSize))
        try synth.write(to: dev)
        let image = try Image(device: dev)
        let r = Replay.arena(image, 0)
        var target = r.free
        var oldLog = BlockBitmap(covering: image.arenas[0].region)
        oldLog.insert(blocks: r.logBlocks)
        target = target.union(oldLog)
        for i in stride(from: target.nextSet(from: 0), to: target.count, by: 2) { target[i] = false }
        let plan = try LogRewrite.plan(image: image, arenas: [], targets: [0: target])
        let p = plan.arenas[0]
        XCTAssertGreaterThan(FreeSpaceStats(p.free).extents, 2041)
        XCTAssertEqual(p.newBlocks.count, 2)
        XCTAssertEqual(p.newEntries, FreeSpaceStats(p.free).extents + 1)
        assertSafe(plan, image)
        try plan.commit(to: dev)
        XCTAssertEqual(plan.verify(dev), [])
        let after = try Image(device: dev)
        var sizes: [Int] = []
        let again = Replay.arena(after, 0) { if case let .block(_, _, h, _) = $0 { sizes.append(h!.logsz) } }
        XCTAssertEqual(again.problems, [])
        XCTAssertEqual(again.free, p.free)
        XCTAssertGreaterThanOrEqual(sizes[0], Format.logSpace - Format.logSlop, "the first block is filled before chaining")
    }
}

extension BlockBitmap {
    /// This bitmap with the given blocks set.
    func with(_ blocks: [Int64]) -> BlockBitmap {
        var b = self
        b.insert(blocks: blocks)
        return b
    }
}
