import XCTest
import GefsCore
import TestSupport

/// Strict replay (FORMAT.md §8.3) of hand-built logs: every op, every problem code of
/// `ProblemCode+Log.swift` with its location, barriers at every crash point of §10, long chains,
/// a compressed log, and replay to an older barrier.
final class ReplayTests: XCTestCase {
    let B = LogLab.B

    // MARK: Ops

    /// Every op, over a chain of two blocks; the free map, `used`, counts and totals are exact.
    func testEveryOpOverAChain() throws {
        let lab = LogLab()
        let tail = lab.blk(5)
        lab.writeChain([
            (lab.blk(0), lab.start() + [.alloc(lab.blk(1), 3 * B), .free(lab.blk(2)), .sync(1), .alloc(tail)]),
            (tail, [.alloc(lab.blk(2)), .sync(2), .free(lab.blk(2), 2 * B), .sync(3)]),
        ])
        let r = Replay.arena(try lab.commit(qgen: 3), 0)
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.free.extents.map { [$0.addr, $0.len] },
                       [[lab.blk(2), 3 * B], [lab.blk(6), 56 * B]])
        XCTAssertEqual(r.used, 3 * B)
        XCTAssertEqual(r.logBlocks, [lab.blk(0), tail])
        XCTAssertEqual(r.committedGen, 3)
        XCTAssertEqual(r.stop, .barrier)
        XCTAssertTrue(r.agrees)
        // nop chain end are never counted; alloc1 free1 sync chain end alloc free
        XCTAssertEqual(LogOp.allCases.map { r.opCounts[$0] }, [0, 3, 1, 3, 0, 0, 1, 2])
        XCTAssertEqual(r.allocatedBytes, 6 * B)
        XCTAssertEqual(r.freedBytes, lab.size + 3 * B)
        XCTAssertEqual(r.resume?.block, tail)
        XCTAssertEqual(r.resume?.offset, 8 + 8 + 8 + 16 + 8)
    }

    /// The events a dump sees: blocks with their headers, entries with offsets, the barrier
    /// before each, and what follows the committed barrier marked uncommitted.
    func testEventsInLogOrder() throws {
        let lab = LogLab()
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(1), .alloc(lab.blk(1)), .sync(2)])])
        let image = try lab.commit(qgen: 1)
        var lines: [String] = []
        let r = Replay.arena(image, 0) { event in
            switch event {
            case let .block(addr, index, header, committed):
                lines.append("block \(hex(addr)) \(index) logsz \(header!.logsz) ok \(header!.storedHash == header!.computedHash) \(committed)")
            case let .entry(block, offset, e, committed, barrier):
                lines.append("\(hex(block)) +\(offset) \(e) \(committed) \(barrier.map(String.init) ?? "-")")
            case let .ignored(_, offset, e): lines.append("ignored +\(offset) \(e)")
            case let .problem(p): lines.append(p.description)
            }
        }
        XCTAssertEqual(lines, [
            "block 0x8000 0 logsz 56 ok true true",
            "0x8000 +8 free 0x8000+0xf8000 true -",
            "0x8000 +24 alloc1 0x8000 true -",
            "0x8000 +32 sync 1 true -",
            "0x8000 +40 alloc1 0xc000 false 1",
            "0x8000 +48 sync 2 false 1",
            "0x8000 +56 end false 1",  // barriers past the stop are not followed
            "info log_discarded_entries: arena 0: 2 entries after LogSync 1 discarded (uncommitted)",
        ])
        XCTAssertEqual(r.discardedEntries, 2)
        XCTAssertEqual(r.resume?.offset, 40)
    }

    // MARK: Problems, one code at a time

    /// Replays arena 0 of `lab` committed at `qgen` and checks the problem codes.
    func replay(_ lab: LogLab, qgen: UInt64 = 1, used: [Int64?]? = nil, _ expected: [String],
                file: StaticString = #filePath, line: UInt = #line) throws -> ArenaReplay {
        let r = Replay.arena(try lab.commit(qgen: qgen, used: used), 0)
        XCTAssertEqual(codes(r.problems), expected.sorted(), "\(r.problems)", file: file, line: line)
        return r
    }

    func testAllocOfAllocatedSpace() throws {
        let lab = LogLab()
        // A double allocation, then a range overlapping an allocated block at its end; replay goes on.
        lab.writeChain([(lab.blk(0), lab.start() + [.alloc(lab.blk(3)), .alloc(lab.blk(3)),
                                                    .alloc(lab.blk(1), 3 * B), .alloc(lab.blk(7)), .sync(1)])])
        let r = try replay(lab, ["log_alloc_not_free", "log_alloc_not_free"])
        XCTAssertEqual(r.problems.map(\.offset), [40, 48])
        XCTAssertEqual(r.problems.map(\.block), [lab.blk(0), lab.blk(0)])
        XCTAssertEqual(r.problems.map(\.arena), [0, 0])
        XCTAssertTrue(r.problems[1].message.contains("1 of its 3 blocks are already allocated"), r.problems[1].message)
        XCTAssertEqual(r.used, 3 * B, "the root, blk 3 and blk 7")
    }

    func testFreeOfFreeSpace() throws {
        let lab = LogLab()
        // A double free, then a range whose middle block is free (not only a coinciding start).
        lab.writeChain([(lab.blk(0), lab.start() + [.alloc(lab.blk(1), 5 * B), .free(lab.blk(3)), .free(lab.blk(3)),
                                                    .free(lab.blk(2), 3 * B), .free(lab.blk(5)), .sync(1)])])
        let r = try replay(lab, ["log_free_not_allocated", "log_free_not_allocated"])
        XCTAssertEqual(r.problems.map(\.offset), [56, 64])
        XCTAssertTrue(r.problems[1].message.contains("1 of its 3 blocks are already free"), r.problems[1].message)
        XCTAssertEqual(r.used, 4 * B)
    }

    func testAddressesOutsideTheRegion() throws {
        let lab = LogLab(narena: 2)
        let arena1 = lab.blk(0, arena: 1)
        lab.writeChain([(lab.blk(0), lab.start() + [
            .alloc(arena1),                            // another arena's block
            .alloc(LogLab.B),                          // the header
            .free(lab.region().upperBound - B, 2 * B), // runs past the region's end
            .alloc(lab.blk(1) + 0x100),                // not block aligned
            .sync(1)])])
        lab.writeChain([(arena1, lab.start(arena: 1) + [.sync(1)])])
        let r = try replay(lab, Array(repeating: "log_address_outside", count: 4))
        XCTAssertEqual(r.problems.map(\.offset), [32, 40, 48, 64])
        XCTAssertTrue(r.problems[0].message.contains("outside the allocatable region 0x8000..<0x100000"), r.problems[0].message)
    }

    func testBadLengths() throws {
        let lab = LogLab()
        let w = { (op: LogOp, a: Int64) in UInt64(bitPattern: a) | UInt64(op.rawValue) }
        lab.write(LogLab.rawBlock([w(.free, lab.blk(0)), UInt64(lab.size), w(.alloc, lab.blk(0)), UInt64(B),
                                   w(.alloc, lab.blk(1)), 0,                      // zero
                                   w(.alloc, lab.blk(1)), 100,                    // not a multiple of B
                                   w(.free, lab.blk(0)), UInt64(bitPattern: -B),  // negative
                                   LogEntry.sync(1).word, LogEntry.end.word]), at: lab.blk(0))
        let r = try replay(lab, Array(repeating: "log_bad_length", count: 3))
        XCTAssertEqual(r.problems.map(\.offset), [40, 56, 72])
        XCTAssertEqual(r.used, B)
    }

    func testEntryStraddlingTheDataArea() throws {
        let lab = LogLab()
        // Fill up to the last word with alloc1/free1 pairs, then a two-word LogAlloc in the last word.
        var words = lab.start().flatMap(\.words)
        for _ in 0..<1020 { words += [LogEntry.alloc(lab.blk(1)).word, LogEntry.free(lab.blk(1)).word] }
        words.append(LogEntry.alloc(lab.blk(2)).word)
        XCTAssertEqual(8 + 8 * words.count, 16360)
        words.append(LogEntry.alloc(lab.blk(5), 2 * B).word)
        lab.write(LogLab.rawBlock(words), at: lab.blk(0))
        let r = try replay(lab, ["log_entry_straddles"])
        XCTAssertEqual(r.problems.first?.offset, 16360)
        XCTAssertEqual(r.stop, .aborted)
    }

    func testNopAndUnknownOpsStopTheArena() throws {
        for bad: UInt64 in [0, 0x8000 | 9, 0xff] {
            let lab = LogLab()
            lab.write(LogLab.rawBlock(lab.start().flatMap(\.words) + [bad, LogEntry.alloc(lab.blk(0)).word,
                                                                      LogEntry.sync(1).word, LogEntry.end.word]),
                      at: lab.blk(0))
            let r = try replay(lab, ["log_bad_op"])
            XCTAssertEqual(r.problems[0].offset, 32)
            XCTAssertEqual(r.stop, .aborted)
            XCTAssertNil(r.resume)
            XCTAssertEqual(r.used, B, "what came before the bad word applies, nothing after")
        }
    }

    func testBlockWithoutTerminator() throws {
        let lab = LogLab()
        var words = lab.start().flatMap(\.words)
        for _ in 0..<1021 { words += [LogEntry.alloc(lab.blk(1)).word, LogEntry.free(lab.blk(1)).word] }
        XCTAssertEqual(8 + 8 * words.count, 16368, "every word of the data area holds an entry")
        lab.write(LogLab.rawBlock(words, logsz: 16360), at: lab.blk(0))
        let r = try replay(lab, ["log_no_terminator"])
        XCTAssertEqual(r.problems[0].block, lab.blk(0))
        XCTAssertNil(r.problems[0].offset)
        XCTAssertEqual(r.stop, .aborted)
    }

    func testChainThatLoops() throws {
        let lab = LogLab()
        lab.write(LogLab.logBlock(lab.start() + [.alloc(lab.blk(1))], chain: lab.blk(1)), at: lab.blk(0))
        lab.write(LogLab.logBlock([.sync(1)], chain: lab.blk(0)), at: lab.blk(1))
        let r = try replay(lab, qgen: 2, ["log_chain_loop"])
        XCTAssertEqual(r.problems[0].block, lab.blk(1))
        XCTAssertTrue(r.problems[0].message.contains("LogChain 0x8000 leads back"), r.problems[0].message)
        XCTAssertEqual(r.logBlocks, [lab.blk(0), lab.blk(1)])
    }

    func testChainThatLeavesTheArena() throws {
        let lab = LogLab(narena: 2)
        lab.write(LogLab.logBlock(lab.start(), chain: lab.blk(0, arena: 1)), at: lab.blk(0))
        lab.writeChain([(lab.blk(0, arena: 1), lab.start(arena: 1) + [.sync(1)])])
        let r = try replay(lab, ["log_chain_outside"])
        XCTAssertTrue(r.problems[0].message.contains("LogChain \(hex(lab.blk(0, arena: 1))) is outside"), r.problems[0].message)
    }

    func testChainToABlockThatIsNotALogBlock() throws {
        let lab = LogLab()
        lab.write(LogLab.logBlock(lab.start() + [.alloc(lab.blk(4))], chain: lab.blk(4)), at: lab.blk(0))
        var leaf = [UInt8].zeroBlock()
        leaf.put(BlockType.leaf.rawValue, at: 0)
        lab.write(leaf, at: lab.blk(4))
        let r = try replay(lab, ["log_not_log_block"])
        XCTAssertEqual(r.problems[0].block, lab.blk(4))
        XCTAssertTrue(r.problems[0].message.contains("has type 2, not Tlog (3)"))
    }

    /// A block that fails its loghash stops replay; dumps still see its entries, as ignored.
    func testLogHashMismatch() throws {
        let lab = LogLab()
        lab.write(LogLab.logBlock(lab.start() + [.alloc(lab.blk(4))], chain: lab.blk(4)), at: lab.blk(0))
        var tail = LogLab.logBlock([.alloc(lab.blk(7)), .sync(1)])
        tail[LogBlock.blockOffset(8) + 5] ^= 0x40  // the address gains 0x400000; the loghash no longer matches
        lab.write(tail, at: lab.blk(4))
        let image = try lab.commit(qgen: 1)
        var ignored: [String] = []
        let r = Replay.arena(image, 0) { if case let .ignored(_, o, e) = $0 { ignored.append("+\(o) \(e)") } }
        XCTAssertEqual(codes(r.problems), ["log_hash_mismatch"])
        XCTAssertEqual(r.problems[0].block, lab.blk(4))
        XCTAssertEqual(ignored, ["+8 alloc1 \(hex(lab.blk(7) ^ 0x400000))", "+16 sync 1", "+24 end"])
        XCTAssertEqual(r.logBlocks, [lab.blk(0)])
    }

    func testUnreadableLogBlock() throws {
        let lab = LogLab()
        lab.write(LogLab.logBlock(lab.start() + [.alloc(lab.blk(60))], chain: lab.blk(60)), at: lab.blk(0))
        try lab.commit(qgen: 1)
        // Cut the image short: the chained block now lies past its end.
        let short = MemoryDevice(name: "short.img", bytes: Array(lab.device.bytes[..<Int(lab.blk(60))]))
        let image = try Image(device: short)
        XCTAssertTrue(image.problems.contains { $0.code == .imageTruncated })
        let r = Replay.arena(image, 0)
        XCTAssertEqual(codes(r.problems), ["log_unreadable"])
        XCTAssertEqual(r.problems[0].block, lab.blk(60))
    }

    func testLogBlockFreeAtTheEnd() throws {
        let lab = LogLab()
        lab.writeChain([(lab.blk(0), lab.start() + [.free(lab.blk(0)), .sync(1)])])
        let r = try replay(lab, ["log_block_free"])
        XCTAssertEqual(r.problems[0].block, lab.blk(0))
        XCTAssertNil(r.problems[0].offset)
    }

    /// The reference `blk.c` order: LogAlloc1 of a new block recorded inside it. Valid when no
    /// barrier comes first; with a barrier first, the live tail replays as free: rejected.
    func testAllocationOfALogBlockInsideIt() throws {
        let lab = LogLab()
        lab.write(LogLab.logBlock(lab.start(), chain: lab.blk(3)), at: lab.blk(0))
        lab.write(LogLab.logBlock([.alloc(lab.blk(5)), .alloc(lab.blk(3)), .sync(1)]), at: lab.blk(3))
        XCTAssertEqual(try replay(lab, []).used, 3 * B)
        lab.write(LogLab.logBlock([.sync(1), .alloc(lab.blk(3))]), at: lab.blk(3))
        let r = try replay(lab, ["log_block_free", "log_discarded_entries"])
        XCTAssertEqual(r.problems.first { $0.code == .logBlockFree }?.block, lab.blk(3))
    }

    func testUsedDisagreeingWithTheArenaCopy() throws {
        let lab = LogLab()
        lab.writeChain([(lab.blk(0), lab.start() + [.alloc(lab.blk(1)), .sync(1)])])
        let r = try replay(lab, used: [3 * B], ["log_used_mismatch"])
        XCTAssertEqual(r.problems[0].block, LogLab.B, "the current copy: the header")
        XCTAssertEqual(r.problems[0].message, "replay gives used 32768, the arena's header says 49152")
        XCTAssertFalse(r.agrees)
    }

    func testWarnings() throws {
        let lab = LogLab()
        // No barrier at or above qgen: replay reaches LogEnd.
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(1)])])
        var r = try replay(lab, qgen: 2, ["log_no_barrier"])
        XCTAssertEqual(r.stop, .end)
        XCTAssertEqual(r.resume?.offset, 40, "a writer resumes at the LogEnd")
        XCTAssertEqual(r.problems[0].severity, .warning)
        // Decreasing barriers.
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(3), .sync(2), .sync(4)])])
        r = try replay(lab, qgen: 4, ["log_barrier_decreasing"])
        XCTAssertEqual(r.problems[0].offset, 40)
        // A LogEnd word with other bits.
        lab.write(LogLab.rawBlock(lab.start().flatMap(\.words) + [LogEntry.sync(1).word, 0x4000 | 5]), at: lab.blk(0))
        r = try replay(lab, qgen: 2, ["log_end_word", "log_no_barrier"])
        XCTAssertEqual(r.problems.map(\.offset), [40, 40])
        XCTAssertFalse(r.hasErrors)
    }

    func testDiscardedEntriesAreANote() throws {
        let lab = LogLab()
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(1), .alloc(lab.blk(1)), .free(lab.blk(0))])])
        let r = try replay(lab, ["log_discarded_entries"])
        XCTAssertEqual(r.problems[0].severity, .info)
        XCTAssertEqual(r.discardedEntries, 2)
        XCTAssertEqual(r.used, B, "uncommitted entries change nothing")
    }

    /// gefs9.00: a log never synced since ream (qgen 0, no barrier) is one note for the image,
    /// said by every arena's replay alike (so a checker says it once), and `used` is ream's.
    func testNeverSyncedIsANoteInGefs9() throws {
        let image = try Image(device: FileDevice(path: try Fixtures.sample9("unsynced").path))
        for r in Replay.all(image) {
            XCTAssertEqual(r.problems.first?.code.id, "log_never_synced", "arena \(r.arena)")
            XCTAssertEqual(r.problems.first?.severity, .info)
            XCTAssertNil(r.problems.first?.arena, "one note for the image")
            XCTAssertEqual(r.stop, .end)
            XCTAssertFalse(r.problems.contains { $0.severity != .info }, "arena \(r.arena): \(r.problems)")
        }
    }

    /// `logsz` (§8.1) must point at the block's terminator; in the block of the committed
    /// barrier it may point anywhere past that barrier (§8.4), never before it.
    func testLogszThatDoesNotPointAtTheTerminator() throws {
        let lab = LogLab()
        let tail = lab.blk(5)
        let head = lab.start() + [.alloc(tail)]
        // The head's logsz on its last entry, not on its LogChain (at 8 + 16 + 8 + 8 = 40).
        lab.write(LogLab.rawBlock(head.flatMap(\.words) + [LogEntry.chain(tail).word], logsz: 32), at: lab.blk(0))
        lab.write(LogLab.logBlock([.sync(1)]), at: tail)
        var r = try replay(lab, ["log_logsz_mismatch"])
        XCTAssertEqual(r.problems[0].block, lab.blk(0))
        XCTAssertEqual(r.problems[0].message, "logsz 0x20 does not point at the block's terminator: its LogChain is at 0x28")
        XCTAssertEqual(r.committedGen, 1, "replay reads to the first terminator whatever logsz says")
        // Past the LogEnd of a log without a barrier.
        lab.write(LogLab.rawBlock(lab.start().flatMap(\.words) + [LogEntry.end.word], logsz: 48), at: lab.blk(0))
        r = try replay(lab, ["log_logsz_mismatch", "log_no_barrier"])
        XCTAssertEqual(r.problems.first { $0.code == .logLogszMismatch }?.message,
                       "logsz 0x30 does not point at the block's terminator: its LogEnd is at 0x20")
        // In the block of the committed barrier (at 32), before the barrier's end.
        lab.write(LogLab.rawBlock((lab.start() + [.sync(1), .alloc(lab.blk(1))]).flatMap(\.words) + [LogEntry.end.word], logsz: 32),
                  at: lab.blk(0))
        r = try replay(lab, ["log_logsz_mismatch", "log_discarded_entries"])
        XCTAssertEqual(r.problems[0].message,
                       "logsz 0x20 in the block of the committed barrier must lie on the entry grid between the barrier's end 0x28 and the last word 0x3fe8")
        // §8.4's allowance: past the barrier, on the uncommitted entries or their terminator.
        for logsz in [40, 48] {
            lab.write(LogLab.rawBlock((lab.start() + [.sync(1), .alloc(lab.blk(1))]).flatMap(\.words) + [LogEntry.end.word], logsz: logsz),
                      at: lab.blk(0))
            _ = try replay(lab, ["log_discarded_entries"])
        }
        // Off the grid, or past the last word.
        for logsz in [52, 16376] {
            lab.write(LogLab.rawBlock((lab.start() + [.sync(1)]).flatMap(\.words) + [LogEntry.end.word], logsz: logsz), at: lab.blk(0))
            _ = try replay(lab, ["log_logsz_mismatch"])
        }
        // A block after the committed barrier is not the committed state's business.
        lab.write(LogLab.logBlock(head + [.sync(1)], chain: tail), at: lab.blk(0))
        lab.write(LogLab.rawBlock([LogEntry.alloc(lab.blk(1)).word, LogEntry.end.word], logsz: 8), at: tail)
        _ = try replay(lab, ["log_discarded_entries"])
    }

    /// Every code of the log catalogue is exercised above: this list must follow the catalogue.
    func testEveryLogCodeIsCovered() {
        let covered: Set<String> = [
            "log_alloc_not_free", "log_free_not_allocated", "log_address_outside", "log_bad_length",
            "log_entry_straddles", "log_bad_op", "log_no_terminator", "log_chain_loop", "log_chain_outside",
            "log_not_log_block", "log_hash_mismatch", "log_unreadable", "log_block_free", "log_used_mismatch",
            "log_no_barrier", "log_barrier_decreasing", "log_end_word", "log_discarded_entries", "log_never_synced", "log_logsz_mismatch",
        ]
        XCTAssertEqual(Set(ProblemCode.all.map(\.id).filter { $0.hasPrefix("log_") }), covered)
    }

    // MARK: Surgery on a real image

    /// fresh.img with its second alloc1 turned into a second allocation of the log block and
    /// the loghash recomputed: a double allocation, and `used` no longer agrees.
    func testSurgicallyEditedSample() throws {
        let path = try Fixtures.sample("fresh")
        let dev = try FileDevice(path: path, writable: true)
        var b = try dev.read(at: 0x8000)
        XCTAssertEqual(b.u64(at: LogBlock.blockOffset(0x20)), 0xc000 | 1)
        b.put(UInt64(0x8000 | 1), at: LogBlock.blockOffset(0x20))
        try dev.write(LogLab.rehash(b), at: 0x8000)
        let image = try Image(device: dev)
        XCTAssertEqual(image.problems, [])
        let r = Replay.arena(image, 0)
        XCTAssertEqual(codes(r.problems), ["log_alloc_not_free", "log_used_mismatch"])
        XCTAssertEqual(r.problems.first { $0.code == .logAllocNotFree }?.offset, 0x20)
        XCTAssertEqual(r.problems.first { $0.code == .logAllocNotFree }?.block, 0x8000)
        XCTAssertEqual(r.used, 81920 - B)
        XCTAssertTrue(Replay.arena(image, 1).problems.isEmpty, "the other arena is untouched")
    }

    // MARK: Barriers and §10's crash points

    /// A sync of two arenas (pass 0 their log tails with new entries and `LogSync 2`, pass 1
    /// headers, pass 2 sb0 then sb1, pass 3 footers) cut after every write: the reader finds
    /// the superblock, arena copy and barrier of §10's table, and the old or the new free maps.
    func testBarrierAtEveryCrashPoint() throws {
        let lab = LogLab(narena: 2)
        for a in 0..<2 { lab.writeChain([(lab.blk(0, arena: a), lab.start(arena: a) + [.sync(1)])]) }
        try lab.commit(qgen: 1)
        let before = lab.device.bytes
        let old = try Image(device: lab.device)
        let oldFree = (0..<2).map { Replay.arena(old, $0).free }
        // The sync: each arena allocates two blocks and frees nothing.
        var w = SyncWriter(device: lab.device, format: gefs8)
        var copies: [ArenaCopy] = []
        for a in 0..<2 {
            w.queue(LogLab.logBlock(lab.start(arena: a) + [.sync(1), .alloc(lab.blk(1, arena: a)), .alloc(lab.blk(2, arena: a)), .sync(2)]),
                    at: lab.blk(0, arena: a))
            copies.append(ArenaCopy(loghd: lab.blk(0, arena: a), loghdHash: 0, size: lab.size, used: 3 * B))
        }
        var sb = old.superblock
        sb.qgen = 2
        let writes = 8
        for k in 0...writes {
            let dev = MemoryDevice(name: "crash\(k)", bytes: before, crashAfter: k)
            var wk = SyncWriter(device: dev, format: gefs8)
            for (addr, b) in w.blocks { wk.queue(b, at: addr) }
            try wk.commit(superblock: sb, arenas: copies)
            XCTAssertEqual(dev.writesAttempted, writes)
            let image = try Image(device: dev)
            XCTAssertFalse(image.problems.contains { $0.severity == .error }, "crash after \(k): \(image.problems)")
            // pass 0: writes 0-1, pass 1: 2-3, pass 2: 4 (sb0) 5 (sb1), pass 3: 6-7.
            let committed = k >= 5
            XCTAssertEqual(image.qgen, committed ? 2 : 1, "crash after \(k)")
            XCTAssertEqual(image.currentSlot, .sb0)
            for a in 0..<2 {
                let expectSlot: ArenaSlot = committed ? .header : (k >= 3 + a ? .footer : .header)
                XCTAssertEqual(image.arenas[a].currentSlot, expectSlot, "crash after \(k), arena \(a)")
                let r = Replay.arena(image, a)
                XCTAssertEqual(r.problems.filter { $0.severity != .info }, [], "crash after \(k), arena \(a)")
                XCTAssertEqual(r.committedGen, committed ? 2 : 1, "crash after \(k), arena \(a)")
                XCTAssertEqual(r.discardedEntries, !committed && k > a ? 3 : 0, "crash after \(k), arena \(a)")
                var expected = oldFree[a]
                if committed { expected.clear(expected.indices(lab.blk(1, arena: a), 2 * B)!) }
                XCTAssertEqual(r.free, expected, "crash after \(k), arena \(a)")
                XCTAssertTrue(r.agrees)
            }
        }
    }

    // MARK: Chains, compression, older barriers

    /// A chain of 40 blocks written the way writers grow logs (LogAlloc1 n, then LogChain n).
    func testLongChain() throws {
        let lab = LogLab()
        var blocks: [(Int64, [LogEntry])] = []
        var entries = lab.start()
        var k = 1
        for n in 1...40 {
            for _ in 0..<50 { entries += [.alloc(lab.blk(50)), .free(lab.blk(50))] }
            entries += [.sync(UInt64(n)), .alloc(lab.blk(k))]
            blocks.append((lab.blk(k - 1), entries))
            entries = []
            k += 1
        }
        blocks.append((lab.blk(k - 1), [.sync(41)]))
        lab.writeChain(blocks)
        let r = Replay.arena(try lab.commit(qgen: 41), 0)
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.logBlocks, (0...40).map { lab.blk($0) })
        XCTAssertEqual(r.used, 41 * B)
        XCTAssertEqual(r.opCounts[.alloc1], 40 * 51 + 1)
    }

    /// The snapshots sample's arena 0 holds a compressed log (§8.4): free extents, a chain to
    /// the tail allocated before the free map was captured, the old log's blocks freed there.
    func testCompressedLog() throws {
        let image = try Image(path: try Fixtures.sample("snapshots"))
        var ops: [LogOp] = []
        var blocks: [Int64] = []
        let r = Replay.arena(image, 0) { event in
            if case let .entry(_, _, e, true, _) = event { ops.append(e.op) }
            if case let .block(addr, _, _, _) = event { blocks.append(addr) }
        }
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(blocks, [0xd0000, 0xcc000])
        let chain = ops.firstIndex(of: .chain)!
        XCTAssertTrue(ops[..<chain].allSatisfy { $0 == .free || $0 == .free1 }, "the compressed part is all frees")
        XCTAssertFalse(r.free.contains(0xcc000), "the tail was allocated before the free map was captured")
        XCTAssertTrue(r.free.contains(0x8000), "the old log's head is freed in the tail")
    }

    /// Replay to an older barrier while the log holds it; a log compressed since no longer does.
    func testUntilAnOlderBarrier() throws {
        let lab = LogLab()
        lab.writeChain([(lab.blk(0), lab.start() + [.sync(1), .alloc(lab.blk(1)), .sync(2), .free(lab.blk(1)),
                                                    .alloc(lab.blk(2), 2 * B), .sync(3)])])
        let image = try lab.commit(qgen: 3)
        let expect: [UInt64: [[Int64]]] = [
            1: [[lab.blk(1), 61 * B]],
            2: [[lab.blk(2), 60 * B]],
            3: [[lab.blk(1), B], [lab.blk(4), 58 * B]],
        ]
        for (g, extents) in expect {
            let r = Replay.arena(image, 0, until: g)
            XCTAssertEqual(r.free.extents.map { [$0.addr, $0.len] }, extents, "LogSync \(g)")
            XCTAssertTrue(r.reachedStopGen)
            XCTAssertEqual(r.problems, [], "no used check and no discarded-entries note before qgen")
        }
        let snapshots = try Image(path: try Fixtures.sample("snapshots"))
        let r = Replay.arena(snapshots, 0, until: 10)
        XCTAssertFalse(r.reachedStopGen)
        XCTAssertEqual(r.committedGen, 17)
        XCTAssertTrue(Replay.arena(snapshots, 1, until: 10).reachedStopGen)
    }
}
