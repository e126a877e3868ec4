import XCTest
import GefsCore
import TestSupport

/// The allocator and log writer (FORMAT.md §8.4), checked by replaying what it writes with the
/// strict §8.3 replay.
final class LogWriterTests: XCTestCase {
    let B = Format.blockSize64

    /// Commits the logs to a memory image (headers, superblocks, footers) and opens it.
    func commit(_ logs: [ArenaLog], _ layout: Layout, qgen: UInt64) throws -> Image {
        let dev = MemoryDevice(size: Int(layout.fssize))
        var w = SyncWriter(device: dev, format: gefs8)
        for l in logs { for (addr, block) in l.logBlockContents() { w.queue(block, at: addr) } }
        let sb = Superblock(narena: layout.narena, snapHeight: 1, snapRoot: .null, nextqid: 3, nextgen: 3, qgen: qgen,
                            arenasz: layout.arenasz, fssize: layout.fssize, arenas: [])
        try w.commit(superblock: sb, arenas: logs.map { $0.copy() })
        return try Image(device: dev)
    }

    /// Replays arena `i` and checks that it gives exactly the writer's free map and used.
    @discardableResult
    func assertReplays(_ image: Image, _ log: ArenaLog, file: StaticString = #filePath, line: UInt = #line) -> ArenaReplay {
        let r = Replay.arena(image, log.index)
        XCTAssertEqual(r.problems.map(\.description), [], file: file, line: line)
        XCTAssertEqual(r.stop, .barrier, file: file, line: line)
        XCTAssertEqual(r.free, log.free, "free map", file: file, line: line)
        XCTAssertEqual(r.used, log.used, file: file, line: line)
        XCTAssertEqual(r.used, image.arenas[log.index].current?.used, file: file, line: line)
        XCTAssertEqual(r.logBlocks, log.chain, file: file, line: line)
        return r
    }

    /// The entries of one log block, terminator included.
    func entries(_ block: [UInt8]) -> [LogEntry] {
        LogCursor(block).compactMap { if case let .entry(_, e) = $0 { return e } else { return nil } }
    }

    func contents(_ log: ArenaLog, _ addr: Int64) -> [UInt8] { log.logBlockContents().first { $0.addr == addr }!.block }

    func testFreshLog() throws {
        let layout = try Layout(size: 4 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        let start = layout.region(0).lowerBound
        XCTAssertEqual(log.head, start)
        XCTAssertEqual(log.used, B)
        try log.sync(1)
        XCTAssertEqual(entries(contents(log, start)), [.free(start, log.size), .alloc(start), .sync(1), .end])
        let r = assertReplays(try commit([log], layout, qgen: 1), log)
        XCTAssertEqual(r.free.extents.map { [$0.addr, $0.len] }, [[start + B, log.size - B]])
    }

    func testLowestFirstAndFreesWaitForTheSync() throws {
        let layout = try Layout(size: 4 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        let start = layout.region(0).lowerBound
        let a = try log.alloc()!, b = try log.alloc()!, c = try log.alloc()!
        XCTAssertEqual([a, b, c], [start + B, start + 2 * B, start + 3 * B])
        try log.free(b)
        XCTAssertTrue(log.free.contains(b))
        XCTAssertFalse(log.available.contains(b))
        XCTAssertEqual(try log.alloc(), c + B, "a block freed since the last sync is not handed out")
        XCTAssertThrowsError(try log.free(b), "double free")
        XCTAssertThrowsError(try log.free(layout.region(0).upperBound), "outside the region")
        try log.sync(1)
        XCTAssertEqual(try log.alloc(), b, "after the sync it is the lowest free block")
        try log.sync(2)
        assertReplays(try commit([log], layout, qgen: 2), log)
    }

    /// Each append moves the LogEnd word to `logsz`; the header's logsz never counts it.
    func testLogEndFollowsEveryAppend() throws {
        let layout = try Layout(size: 4 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        for n in 0..<20 {
            let block = contents(log, log.head)
            let logsz = Int(block.u16(at: 2))
            XCTAssertEqual(logsz, 8 + 16 + 8 + 8 * n, "LogFree(region), LogAlloc1(log), then one LogAlloc1 per allocation")
            XCTAssertEqual(block.u64(at: Format.logHeaderSize + logsz), 5)
            XCTAssertEqual(block.u64(at: 4), LogBlock.computedHash(block))
            _ = try log.alloc()
        }
    }

    /// §8.4: at `logsz >= Logspc − Logslop` the writer allocates the next block, records its
    /// LogAlloc1 and then a LogChain in the old tail, and the pending entry starts the new block.
    func testChainingRecordsTheNewBlockInTheOldTail() throws {
        let layout = try Layout(size: 64 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        var sizes: [Int] = []
        while log.chain.count == 1 { sizes.append(log.tailLogsz); _ = try log.alloc() }
        XCTAssertGreaterThanOrEqual(sizes.last!, Format.logSpace - Format.logSlop)
        XCTAssertLessThan(sizes.dropLast().last!, Format.logSpace - Format.logSlop)
        let (old, new) = (log.chain[0], log.chain[1])
        let tail = entries(contents(log, old))
        XCTAssertEqual(Array(tail.suffix(2)), [.alloc(new), .chain(new)])
        XCTAssertEqual(Int(contents(log, old).u16(at: 2)), sizes.last! + 8, "logsz counts the LogAlloc1, not the LogChain")
        let first = entries(contents(log, new))
        XCTAssertEqual(first.count, 2)
        XCTAssertEqual(first[0].op, .alloc1)
        XCTAssertNotEqual(first[0].addr, new)
        XCTAssertEqual(first[1], .end)
        try log.sync(1)
        assertReplays(try commit([log], layout, qgen: 1), log)
    }

    /// When the barrier itself is the entry that starts a new block, the new block's allocation
    /// is still recorded before it, so replay finds the live tail allocated.
    func testBarrierStartingANewBlock() throws {
        let layout = try Layout(size: 64 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        while log.tailLogsz < Format.logSpace - Format.logSlop { _ = try log.alloc() }
        try log.sync(1)
        XCTAssertEqual(log.chain.count, 2)
        XCTAssertEqual(entries(contents(log, log.chain[1])), [.sync(1), .end])
        _ = try log.alloc()
        try log.free(log.chain[0] + B)
        let image = try commit([log], layout, qgen: 1)
        let r = Replay.arena(image, 0)
        XCTAssertEqual(r.problems.map(\.description), ["info log_discarded_entries: arena 0: 2 entries after LogSync 1 discarded (uncommitted)"])
        XCTAssertEqual(r.logBlocks, log.chain)
        XCTAssertFalse(r.free.contains(log.chain[1]))
    }

    func testCompressionRewritesTheLogAsTheFreeMap() throws {
        let layout = try Layout(size: 128 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        var blocks: [Int64] = []
        for _ in 0..<6000 { blocks.append(try log.alloc()!) }
        for (i, b) in blocks.enumerated() where i % 3 == 1 { try log.free(b) }
        try log.sync(1)
        let old = log.chain
        XCTAssertEqual(old.count, 4)
        XCTAssertTrue(try log.compress())
        XCTAssertFalse(log.chain.contains { old.contains($0) })
        XCTAssertEqual(log.chain.count, 2, "one block of LogFree entries, then the tail g")
        let g = log.chain.last!
        XCTAssertLessThan(g, log.head, "g is allocated before the blocks of the new log")
        let head = entries(contents(log, log.head))
        XCTAssertTrue(head.dropLast().allSatisfy(\.isFree))
        XCTAssertEqual(head.last, .chain(g))
        XCTAssertEqual(entries(contents(log, g)), old.map { .free($0) } + [.end])
        for b in old {
            XCTAssertTrue(log.free.contains(b))
            XCTAssertFalse(log.available.contains(b), "the old log stays committed until the sync")
        }
        XCTAssertFalse(log.logBlockContents().contains { old.contains($0.addr) }, "the committed log is not overwritten")
        try log.sync(2)
        let r = assertReplays(try commit([log], layout, qgen: 2), log)
        for b in old { XCTAssertTrue(r.free.contains(b)) }
        XCTAssertFalse(try log.compress(), "a one-block log is not compressed again")
    }

    /// A log of two blocks would become one block of free extents and a tail: no shorter.
    func testCompressionNeedsAShorterLog() throws {
        let layout = try Layout(size: 128 << 20, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        XCTAssertFalse(try log.compress())
        while log.chain.count < 2 { _ = try log.alloc() }
        let before = log.chain
        XCTAssertFalse(try log.compress())
        XCTAssertEqual(log.chain, before)
        while log.chain.count < 3 { _ = try log.alloc() }
        XCTAssertTrue(try log.compress())
        XCTAssertEqual(log.chain.count, 2)
    }

    func testFullArenaKeepsItsReserveForTheLog() throws {
        let layout = try Layout(size: Layout.minimumSize, arenas: 1)
        var log = ArenaLog(format: gefs8, index: 0, region: layout.region(0))
        var n = 0
        while try log.alloc(reserve: Allocator.reserve) != nil { n += 1 }
        XCTAssertEqual(n, 64 - 2 - 1 - Allocator.reserve)
        XCTAssertEqual(log.availableBlocks, Allocator.reserve)
        try log.sync(1)
        assertReplays(try commit([log], layout, qgen: 1), log)
    }

    /// Arenas take turns, eight allocations at a time; a full arena passes its turn on.
    func testAllocatorTakesTurns() throws {
        let layout = try Layout(size: (3 * 80 + 2) * 16384, arenas: 3)
        var alloc = Allocator(arenas: (0..<3).map { ArenaLog(format: gefs8, index: $0, region: layout.region($0)) })
        var arenas: [Int] = []
        for _ in 0..<48 { arenas.append(alloc.arena(containing: try alloc.alloc())!) }
        XCTAssertEqual(arenas, (0..<48).map { ($0 / 8) % 3 })
        var counts = [0, 0, 0]
        while let a = try? alloc.alloc() { counts[alloc.arena(containing: a)!] += 1 }
        XCTAssertEqual(counts.map { $0 + 16 }, Array(repeating: 77 - Allocator.reserve, count: 3))
        XCTAssertEqual(alloc.availableBlocks, 0)
        XCTAssertThrowsError(try alloc.alloc()) { XCTAssertEqual($0 as? AllocationError, .full(allocated: alloc.allocations)) }
        try alloc.sync(1)
        let image = try commit(alloc.arenas, layout, qgen: 1)
        for a in alloc.arenas { assertReplays(image, a) }
    }
}
