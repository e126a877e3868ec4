import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-fsck's repairs and `gefs-replay --rewrite --write` on genuine gefs9.00 images
/// (`Fixtures/samples9`), judged by the genuine 9front gefs (`../shared/realgefs`): it mounts
/// the repaired image, lists every file with the contents it had before, writes, snapshots,
/// syncs, halts and checks; its free space grows by exactly the blocks gefs-fsck reclaimed; and
/// gefs-fsck finds nothing left. Undo files and the writers' lock work for gefs9.00 as for
/// gefs8.00.
final class Gefs9RepairToolTests: XCTestCase {
    static let kit = Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/realgefs")

    func kitOrSkip() throws -> URL {
        guard FileManager.default.fileExists(atPath: Self.kit.appendingPathComponent("mkreal.sh").path) else {
            throw XCTSkip("the genuine gefs kit \(Self.kit.path) is not here")
        }
        return Self.kit
    }

    func mkreal(_ args: [String]) throws -> Fixtures.Result {
        try Fixtures.run("/bin/sh", [try kitOrSkip().appendingPathComponent("mkreal.sh").path] + args)
    }

    /// The genuine gefs's `used` in bytes, as its console's `df` reports it (the image is served,
    /// `df` asked, then halted; a halt does not sync at 86dc77e8, so nothing is written).
    func genuineUsed(_ path: String) throws -> Int {
        let kit = try kitOrSkip().path
        let script = """
        import sys, re
        sys.path.insert(0, \(String(reflecting: kit)))
        import mkreal
        s = mkreal.Server(sys.argv[1])
        out = s.cmd('df', expect=r'free:')
        s.halt()
        print(re.search(r'used:\\s*(\\d+)', out).group(1))
        """
        let r = try Fixtures.run("/usr/bin/env", ["python3", "-c", script, path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// The problems of `gefs-fsck -n --json`, and its exit status.
    func check(_ path: String) throws -> (status: Int32, problems: [[String: Any]], logBlocks: Int) {
        let r = try Fixtures.tool("gefs-fsck", ["-n", "--json", path])
        let out = try json(r.stdout)
        let reachable = (out["summary"] as! [String: Any])["reachable"] as! [String: Int]
        return (r.status, out["problems"] as! [[String: Any]], reachable["log"]!)
    }

    /// Blocks a problem message names: `block 0x…` is one, `blocks a..<b (n)` is n.
    func blockCount(_ message: String) -> Int {
        if let r = message.range(of: #"\((\d+)\) allocated"#, options: .regularExpression) {
            return Int(message[r].dropFirst().prefix { $0.isNumber })!
        }
        return 1
    }

    func unreachableBlocks(_ problems: [[String: Any]]) -> Int {
        problems.filter { $0["code"] as? String == "space_unreachable" }.reduce(0) { $0 + blockCount($1["message"] as! String) }
    }

    func errors(_ problems: [[String: Any]]) -> [String] {
        problems.filter { $0["severity"] as? String == "error" }.map { "\($0["code"]!): \($0["message"]!)" }
    }

    /// After the genuine gefs: it mounts the image, lists every file of main as before, its write
    /// test passes, and gefs-fsck -n still finds no error.
    func assertGenuineGefsUses(_ path: String, listing before: String, _ what: String) throws {
        let c = try mkreal(["--check", path])
        XCTAssertEqual(c.status, 0, "\(what): genuine check: \(c.stdout) \(c.stderr)")
        let ls = try mkreal(["--ls", path, "--json"])
        XCTAssertEqual(ls.status, 0, "\(what): \(ls.stderr)")
        XCTAssertEqual(ls.stdout, before, "\(what): every file listed with the same contents (sha256) as before")
        XCTAssertTrue(before.contains("sha256") || !before.contains("\"length\": 1"), "\(what): the listing carries hashes")
        let w = try mkreal(["--ls", path, "--write-test"])
        XCTAssertEqual(w.status, 0, "\(what): genuine write test: \(w.stdout) \(w.stderr)")
        let after = try check(path)
        XCTAssertEqual(after.status, 0, what)
        XCTAssertEqual(errors(after.problems), [], "\(what): gefs-fsck -n after the genuine write test")
    }

    /// `-p` on each genuine sample with halt leftovers: everything unreachable is reclaimed, and
    /// the genuine gefs's `used` (console `df`) drops by exactly that many blocks — plus the log
    /// blocks the compaction saves (`unsynced`'s chained two-block logs become one block each).
    func testPreenReclaimsHaltLeftoversAndTheGenuineGefsAgrees() throws {
        _ = try kitOrSkip()
        for name in ["fresh", "populated", "kconf-cron", "unsynced"] {
            let (path, _) = try Fixtures.sample9(name)
            let first = try check(path)
            XCTAssertEqual(errors(first.problems), [], name)
            let leftovers = unreachableBlocks(first.problems)
            XCTAssertGreaterThan(leftovers, 0, "\(name) has halt leftovers")
            let listing = try mkreal(["--ls", path, "--json"])
            XCTAssertEqual(listing.status, 0, listing.stderr)
            let usedBefore = try genuineUsed(path)

            let p = try Fixtures.tool("gefs-fsck", ["-p", path])
            XCTAssertEqual(p.status, 1, "\(name): errors corrected: \(p.stdout) \(p.stderr)")
            XCTAssertTrue(p.stdout.contains("free map rebuilt from reachability"), p.stdout)
            let second = try check(path)
            XCTAssertEqual(second.status, 0, name)
            XCTAssertEqual(second.problems.filter { $0["severity"] as? String != "info" }.map { "\($0["code"]!)" }, [],
                           "\(name): no unreachable block, no warning, no error after -p")

            let usedAfter = try genuineUsed(path)
            let logsSaved = first.logBlocks - second.logBlocks
            XCTAssertEqual(logsSaved, name == "unsynced" ? 6 : 0, name)
            XCTAssertEqual(usedBefore - usedAfter, (leftovers + logsSaved) * Format.blockSize,
                           "\(name): the genuine gefs's free space grows by exactly the \(leftovers) reclaimed blocks and \(logsSaved) log blocks")
            try assertGenuineGefsUses(path, listing: listing.stdout, "\(name) after -p")
        }
    }

    /// The logs -p writes are the genuine compression's (FORMAT-9FRONT.md §8.4, §8.5): every
    /// free extent a two-wide LogFree (op 5), even one block, in ascending order, the last entry
    /// `LogSync qgen+1`, `loghd.hash` −1, `used` the replayed value, zeros past `logsz`, both
    /// superblocks with the new qgen.
    func testRewrittenLogsAreTheGenuineLayout() throws {
        let (path, _) = try Fixtures.sample9("populated")
        let old = try Image(device: try FileDevice(path: path, writable: false))
        let oldQgen = old.qgen
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-p", path]).status, 1)
        let img = try Image(device: try FileDevice(path: path, writable: false))
        XCTAssertEqual(img.qgen, oldQgen + 1)
        XCTAssertEqual(img.sb0.block, img.sb1.block, "both superblocks written")
        let f = img.format
        var singleBlockFrees = 0
        for a in img.arenas {
            let copy = try XCTUnwrap(a.current)
            XCTAssertEqual(copy.loghdHash, UInt64.max, "arena \(a.index): loghd hash -1")
            let r = Replay.arena(img, a.index)
            XCTAssertEqual(r.used, copy.used, "arena \(a.index): used is the replayed value")
            XCTAssertEqual(r.committedGen, img.qgen)
            var entries: [LogEntry] = []
            for addr in r.logBlocks {
                let b = try img.device.read(at: addr)
                let h = try f.logHeader(b)
                XCTAssertEqual(h.storedHash, h.computedHash)
                XCTAssertTrue(b[(Gefs9Format.logHeaderSize + h.logsz)...].allSatisfy { $0 == 0 }, "zeros past logsz")
                f.walkLog(b) { if case let .entry(_, e) = $0 { entries.append(e) }; return true }
            }
            XCTAssertEqual(entries.last?.op, .sync)
            XCTAssertEqual(entries.last?.gen, img.qgen)
            let frees = entries.dropLast()
            XCTAssertTrue(frees.allSatisfy { $0.op == .free && $0.word & 0xff == 5 && $0.word2 != nil }, "arena \(a.index): two-wide LogFree only")
            XCTAssertEqual(frees.map(\.addr), frees.map(\.addr).sorted())
            XCTAssertEqual(frees.map { [$0.addr, $0.len] }, r.free.extents.map { [$0.addr, $0.len] })
            singleBlockFrees += frees.filter { $0.len == Int64(Format.blockSize) }.count
        }
        XCTAssertGreaterThan(singleBlockFrees, 0, "one-block extents are written two-wide too")
    }

    /// `gefs-replay --rewrite --write` compacts a genuine image's logs; the genuine gefs uses it.
    func testRewriteWriteOnAGenuineImage() throws {
        _ = try kitOrSkip()
        for name in ["populated", "unsynced"] {
            let (path, _) = try Fixtures.sample9(name)
            let listing = try mkreal(["--ls", path, "--json"])
            let before = try check(path)
            let w = try Fixtures.tool("gefs-replay", ["--rewrite", "--write", path])
            XCTAssertEqual(w.status, 0, "\(name): \(w.stdout) \(w.stderr)")
            XCTAssertTrue(w.stdout.contains("the image replays to the planned free maps"), w.stdout)
            let after = try check(path)
            XCTAssertEqual(errors(after.problems), [], name)
            // The rewrite compacts; it reclaims nothing but the old log blocks it replaces.
            XCTAssertLessThanOrEqual(unreachableBlocks(after.problems), unreachableBlocks(before.problems), name)
            try assertGenuineGefsUses(path, listing: listing.stdout, "\(name) after gefs-replay --rewrite --write")
        }
    }

    /// `-y` rewrites a stale arena header and an invalid sb1 on a genuine image (the states a
    /// crash in passes 1–2 of a sync leaves) and the genuine gefs then mounts read-write again.
    func testStaleCopiesAreRewrittenAndTheGenuineGefsWritesAgain() throws {
        _ = try kitOrSkip()
        let (path, _) = try Fixtures.sample9("populated")
        let listing = try mkreal(["--ls", path, "--json"])
        let dev = try FileDevice(path: path, writable: true)
        let img = try Image(device: dev)
        let hd = img.arenas[3].base
        var block = try dev.read(at: hd)
        block[26 + 7] ^= 0x40  // used changes: the header no longer has the recorded hash
        try dev.write(block, at: hd)
        try dev.write(.zeroBlock(), at: img.format.backupSuperblockAddress(for: img.superblock, blockCount: dev.blockCount))
        try dev.flush()
        let damaged = try check(path)
        let codes = Set(damaged.problems.map { $0["code"] as! String })
        XCTAssertTrue(codes.isSuperset(of: ["arena_header_stale", "superblock_copy_invalid"]), "\(codes)")
        let y = try Fixtures.tool("gefs-fsck", ["-y", path])
        XCTAssertEqual(y.status, 1, y.stdout + y.stderr)
        let after = try check(path)
        XCTAssertEqual(after.problems.filter { $0["severity"] as? String != "info" }.map { "\($0["code"]!)" }, [], y.stdout)
        try assertGenuineGefsUses(path, listing: listing.stdout, "stale copies rewritten")
    }

    /// Undo files: a repaired gefs9.00 image is put back byte for byte.
    func testUndoRestoresARepairedImageByteForByte() throws {
        for (tool, args) in [("gefs-fsck", ["-p", "-z"]), ("gefs-replay", ["--rewrite", "--write", "--undo"])] {
            let (path, _) = try Fixtures.sample9("unsynced")
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let undo = (path as NSString).deletingLastPathComponent + "/repair.undo"
            let r = try Fixtures.tool(tool, args + [undo, path])
            XCTAssertTrue(r.status == 1 || r.status == 0, "\(tool): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("saved in \(undo)"), r.stdout)
            XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
            let back = try Fixtures.tool("gefs-fsck", ["--apply-undo", undo, path])
            XCTAssertEqual(back.status, 0, back.stderr)
            XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(tool): every byte back")
        }
    }

    /// The writers' exclusive lock holds for gefs9.00 images: a locked image is refused and left alone.
    func testWritersRefuseALockedGefs9Image() throws {
        let (path, _) = try Fixtures.sample9("fresh")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let dev = try FileDevice(path: path, writable: true)
        try dev.lock(.exclusive)
        try withExtendedLifetime(dev) {
            for (tool, args, status) in [("gefs-fsck", ["-y", path], Int32(8)), ("gefs-fsck", ["-p", path], 8),
                                         ("gefs-replay", ["--rewrite", "--write", path], 2)] {
                let r = try Fixtures.tool(tool, args)
                XCTAssertEqual(r.status, status, "\(tool) \(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("holds a lock on it"), "\(tool) \(args): \(r.stderr)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "nothing was written")
    }

    /// A deadlist entry no older snapshot reaches (an old log block listed as dead) is dropped by
    /// `-y`: new deadlist blocks with the genuine pointers (hash −1, gen 0), a new snapshot tree
    /// of gen-0 nodes, and the genuine gefs goes on using the image.
    func testDeadlistReclaimWritesTheGenuineDeadlist() throws {
        _ = try kitOrSkip()
        let (path, _) = try Fixtures.sample9("populated")
        let listing = try mkreal(["--ls", path, "--json"])
        let dev = try FileDevice(path: path, writable: true)
        let c = Checker(image: try Image(device: dev))
        c.run()
        let f = c.image.format
        let regions = c.image.arenas.flatMap { a in stride(from: a.region.lowerBound, to: a.region.upperBound, by: Format.blockSize).map { $0 } }
        let dl = try XCTUnwrap(regions.first { c.space.kinds(at: $0) == [.deadlist] })
        let leftover = try XCTUnwrap(c.problems.first { $0.code.id == "space_unreachable" }?.block)
        var d = try f.decodeDeadlistBlock(try dev.read(at: dl))
        d.addresses.append(leftover)
        try dev.write(f.encodeDeadlistBlock(d), at: dl)
        try dev.flush()
        let before = try check(path)
        XCTAssertTrue(before.problems.contains { $0["code"] as? String == "deadlist_reclaimable" }, "\(before.problems)")
        let y = try Fixtures.tool("gefs-fsck", ["-y", path])
        XCTAssertEqual(y.status, 1, y.stdout + y.stderr)
        XCTAssertTrue(y.stdout.contains("snapshot tree written anew"), y.stdout)
        let after = try check(path)
        XCTAssertEqual(after.problems.filter { $0["severity"] as? String != "info" }.map { "\($0["code"]!): \($0["message"]!)" }, [], y.stdout)
        let img = try Image(device: try FileDevice(path: path, writable: false))
        let again = Checker(image: img)
        again.run()
        for dlist in again.contents.deadlists {
            XCTAssertEqual(dlist.ref.head.hash, UInt64.max, dlist.name)
            XCTAssertEqual(dlist.ref.head.gen, 0, dlist.name)
            XCTAssertEqual(dlist.ref.tail.gen, 0, dlist.name)
        }
        let root = try Node.decode(try img.device.read(at: img.superblock.snapRoot.addr))
        XCTAssertNotNil(root)
        try assertGenuineGefsUses(path, listing: listing.stdout, "deadlist entry dropped")
    }

    /// What `gefs -g` leaves for an old arena (FORMAT-9FRONT.md §5, §14 item 19): the table's
    /// hash −1 beside an identical, well-formed header and footer. `-y` records the header's
    /// block hash, and the genuine gefs loads the image again.
    func testArenaTableHashNoneIsRecorded() throws {
        _ = try kitOrSkip()
        let (path, _) = try Fixtures.sample9("fresh")
        let listing = try mkreal(["--ls", path, "--json"])
        let dev = try FileDevice(path: path, writable: true)
        let img = try Image(device: dev)
        var sb = img.superblock
        let recorded = sb.arenas[3].hash
        sb.arenas[3].hash = UInt64.max
        let block = img.format.encodeSuperblock(sb)
        try dev.write(block, at: 0)
        try dev.write(block, at: img.format.backupSuperblockAddress(for: sb, blockCount: dev.blockCount))
        try dev.flush()
        XCTAssertNotEqual(try mkreal(["--check", path]).status, 0, "the genuine gefs does not load it")
        let damaged = try check(path)
        XCTAssertTrue(damaged.problems.contains { $0["code"] as? String == "arena_no_current_copy" })
        let y = try Fixtures.tool("gefs-fsck", ["-y", path])
        XCTAssertEqual(y.status, 1, y.stdout + y.stderr)
        XCTAssertTrue(y.stdout.contains("arena 3: the table's hash -1"), y.stdout)
        let fixed = try Image(device: try FileDevice(path: path, writable: false))
        XCTAssertEqual(fixed.superblock.arenas[3].hash, recorded, "the hash the header has")
        XCTAssertEqual(fixed.qgen, img.qgen, "the committed state is kept")
        // The next run reclaims the halt leftovers it could not while the arena was unknown.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", path]).status, 1)
        let after = try check(path)
        XCTAssertEqual(after.problems.filter { $0["severity"] as? String != "info" }.map { "\($0["code"]!)" }, [])
        try assertGenuineGefsUses(path, listing: listing.stdout, "table hash recorded")
    }

    /// An arena that is not rewritten gets its barrier right after the committed one; when that
    /// block is full (`logsz >= 16308`), in a new block whose `LogAlloc1` ends the old one and
    /// which `logp` names (FORMAT-9FRONT.md §8.4, §8.5). The genuine gefs reads the chain.
    func testABarrierThatNeedsANewBlockIsChainedAsTheGenuineWriterDoes() throws {
        _ = try kitOrSkip()
        let (path, _) = try Fixtures.sample9("fresh")
        let listing = try mkreal(["--ls", path, "--json"])
        let dev = try FileDevice(path: path, writable: true)
        let img = try Image(device: dev)
        let f = img.format
        let r = Replay.arena(img, 0)
        let head = try XCTUnwrap(img.arenas[0].current).loghd
        XCTAssertEqual(r.logBlocks, [head])
        var entries: [LogEntry] = []
        f.walkLog(try dev.read(at: head)) { if case let .entry(_, e) = $0 { entries.append(e) }; return true }
        let barrier = entries.removeLast()
        XCTAssertEqual(barrier.op, .sync)
        // Fill the committed block: a free block allocated and freed again, up to the slop.
        let x = r.free.address(r.free.nextSet(from: 0))
        var w = f.newLogBlock()
        for e in entries { w.append(e) }
        while w.logsz + 8 < Gefs9Format.logFullAt {
            w.append(Gefs9Format.entry(.alloc1, x)); w.append(Gefs9Format.entry(.free1, x))
        }
        w.append(barrier)
        XCTAssertTrue(w.isFull)
        try dev.write(w.finished(), at: head)
        try dev.flush()
        XCTAssertEqual(errors(try check(path).problems), [])

        let rw = try Fixtures.tool("gefs-replay", ["--rewrite", "--write", "-a", "1", path])
        XCTAssertEqual(rw.status, 0, rw.stdout + rw.stderr)
        let after = try Image(device: try FileDevice(path: path, writable: false))
        XCTAssertEqual(after.qgen, img.qgen + 1)
        let r2 = Replay.arena(after, 0)
        XCTAssertEqual(r2.logBlocks.count, 2)
        XCTAssertEqual(r2.logBlocks.first, head)
        XCTAssertEqual(r2.committedGen, after.qgen)
        let n = r2.logBlocks[1]
        let old = try after.device.read(at: head)
        var last: LogEntry?
        f.walkLog(old) { if case let .entry(_, e) = $0 { last = e }; return true }
        XCTAssertEqual(last?.op, .alloc1)
        XCTAssertEqual(last?.word, UInt64(n) | 1, "LogAlloc1 of the new block ends the old one")
        XCTAssertEqual(try f.logHeader(old).next, n, "logp names it")
        XCTAssertEqual(f.logSteps(try after.device.read(at: n)).compactMap { step -> UInt64? in
            if case let .entry(_, e) = step { return e.word }; return nil
        }, [after.qgen << 8 | 3], "the new block holds the barrier alone")
        XCTAssertEqual(r2.used, r.used + Int64(Format.blockSize))
        XCTAssertEqual(r2.used, after.arenas[0].current?.used)
        try assertGenuineGefsUses(path, listing: listing.stdout, "barrier in a chained block")
    }
}
