import XCTest
import Foundation
import GefsCore
import TestSupport

/// gefs-logdump on the sample images and on damaged copies, against golden outputs under
/// `Fixtures/logdump/`.
final class LogdumpToolTests: XCTestCase {
    /// Runs the tool in the image's directory so that outputs name the image by its file name.
    func logdump(_ path: String, _ args: [String] = []) throws -> Fixtures.Result {
        let url = URL(fileURLWithPath: path)
        return try Fixtures.tool("gefs-logdump", args + [url.lastPathComponent], cwd: url.deletingLastPathComponent().path)
    }

    /// Rewrites the log block at `addr` with `edit` and a recomputed loghash.
    func editLogBlock(_ path: String, _ addr: Int64, rehash: Bool = true, _ edit: (inout [UInt8]) -> Void) throws {
        let dev = try FileDevice(path: path, writable: true)
        var b = try dev.read(at: addr)
        edit(&b)
        if rehash { gefs8.sealLogBlock(&b) }
        try dev.write(b, at: addr)
    }

    func testSamplesMatchGoldens() throws {
        for name in ["fresh", "crashed"] {
            let r = try logdump(try Fixtures.sample(name))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            Golden.assert(r.stdout, "logdump/\(name).txt")
        }
        let r = try logdump(try Fixtures.sample("snapshots"), ["--stats"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "logdump/snapshots-stats.txt")
    }

    /// The crashed image: the header is stale (a warning, exit 0), entries after LogSync 13
    /// are marked uncommitted, and the closing line agrees with the footer.
    func testCrashedImage() throws {
        let r = try logdump(try Fixtures.sample("crashed"), ["-a", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("arena 0: current copy footer, loghd 0x8000, size 16728064, used 3899392\n"))
        XCTAssertTrue(r.stdout.contains("  warning arena_header_stale: arena 0 block 0x4000:"))
        XCTAssertTrue(r.stdout.contains("log block 0x8000 (1/1) logsz 0x1ae8 loghash 0x29f3a0db0776b088 ok\n"))
        XCTAssertTrue(r.stdout.contains("  +0x1ad0   sync 13\n  +0x1ad8   free1 0x384000  (uncommitted)\n"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("arena 0: 820 entries to LogSync 13 (2 discarded); allocated 8880128, freed 21708800; used 3899392 replayed, 3899392 in footer: consistent (1 warning)\n"))
        XCTAssertFalse(r.stdout.contains("arena 1"))
    }

    func testStatsRawAndChosenArenas() throws {
        let path = try Fixtures.sample("fresh")
        let raw = try logdump(path, ["--raw", "-a", "1"])
        XCTAssertEqual(raw.status, 0)
        Golden.assert(raw.stdout, "logdump/fresh-a1-raw.txt")
        XCTAssertTrue(raw.stdout.contains("  +0x8      free 0x804000+0x7f4000  [0x0000000000804007 0x00000000007f4000]\n"))
        let both = try logdump(path, ["-a", "1", "-a", "0", "--stats"])
        let heads = both.stdout.split(separator: "\n").filter { $0.contains(": current copy ") }.map { $0.prefix(7) }
        XCTAssertEqual(heads, ["arena 0", "arena 1"], "arenas in order, each once")
        XCTAssertTrue(both.stdout.contains("  ops: alloc1 5 free1 0 alloc 0 free 1 sync 1\n  entries: 7 committed, 0 discarded\n"))
        XCTAssertFalse(both.stdout.contains("+0x"), "no entry lines")
    }

    func testJSON() throws {
        let r = try logdump(try Fixtures.sample("crashed"), ["--json", "-a", "1"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "logdump/crashed-a1.json")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(doc["image"] as? String, "crashed.img")
        XCTAssertEqual(doc["qgen"] as? Int, 13)
        let arena = (doc["arenas"] as! [[String: Any]])[0]
        XCTAssertEqual(arena["index"] as? Int, 1)
        let blocks = arena["blocks"] as! [[String: Any]]
        XCTAssertEqual(blocks.map { $0["addr"] as! Int }, [0x1004000])
        XCTAssertEqual(blocks[0]["loghash_ok"] as? Bool, true)
        let entries = blocks[0]["entries"] as! [[String: Any]]
        XCTAssertEqual(entries.count, 814 + 9 + 1)
        XCTAssertEqual(entries.filter { $0["committed"] as! Bool == false }.count, 10, "9 discarded and the LogEnd")
        XCTAssertEqual(entries[0] as NSDictionary, ["offset": 8, "op": "free", "addr": 0x1004000, "len": 0xff4000, "committed": true])
        XCTAssertEqual((arena["problems"] as! [[String: Any]]).map { $0["code"] as! String },
                       ["arena_header_stale", "log_discarded_entries"])
        XCTAssertEqual(arena["consistent"] as? Bool, true)
    }

    /// `--block`: every entry naming the block, with the sync that committed it.
    func testBlockHistory() throws {
        let path = try Fixtures.sample("crashed")
        let r = try logdump(path, ["--block", "0x384000"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "logdump/crashed-block-0x384000.txt")
        XCTAssertTrue(r.stdout.contains("  log block 0x8000    +0x16a0  alloc1 0x384000           sync 12\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("free1 0x384000            uncommitted\n"))
        XCTAssertTrue(r.stdout.hasSuffix("block 0x384000 is allocated as of LogSync 13; 3 entries name it\n"))

        let raw = try logdump(path, ["--block", "0x384000", "--raw"])
        XCTAssertTrue(raw.stdout.contains("sync 12  [0x0000000000384001]\n"), raw.stdout)

        // Who freed the snapshots image's old log head: the compressed log's tail, in sync 17.
        let s = try logdump(try Fixtures.sample("snapshots"), ["--block", "0x8000", "--json"])
        XCTAssertEqual(s.status, 0)
        Golden.assert(s.stdout, "logdump/snapshots-block-0x8000.json")
        let doc = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as! [String: Any]
        let history = doc["history"] as! [[String: Any]]
        XCTAssertEqual(history.map { $0["op"] as! String }, ["free1"])
        XCTAssertEqual(history[0]["log_block"] as? Int, 0xcc000)
        XCTAssertEqual(history[0]["sync"] as? Int, 17)
        XCTAssertEqual(doc["free"] as? Bool, true)

        // A log block of the chain says so.
        let l = try logdump(try Fixtures.sample("snapshots"), ["--block", "0xcc000"])
        XCTAssertTrue(l.stdout.contains("  it is block 2/2 of the log chain\n"), l.stdout)
        XCTAssertTrue(l.stdout.contains("chain -> 0xcc000"))
    }

    /// A double allocation, re-hashed: shown right after its entry; the dump goes on; exit 1.
    func testProblemShownWhereItOccurs() throws {
        let path = try Fixtures.sample("fresh")
        try editLogBlock(path, 0x8000) { $0.put(UInt64(0x8000 | 1), at: LogBlock.blockOffset(0x20)) }
        let r = try logdump(path, ["-a", "0"])
        XCTAssertEqual(r.status, 1)
        Golden.assert(r.stdout, "logdump/double-alloc.txt")
        XCTAssertTrue(r.stdout.contains("""
              +0x20     alloc1 0x8000
              error log_alloc_not_free: arena 0 block 0x8000 +0x20: alloc1 0x8000: 1 of its 1 blocks are already allocated
              +0x28     alloc1 0x10000

            """), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("used 65536 replayed, 81920 in header (MISMATCH): INCONSISTENT (2 errors)\n"), r.stdout)
    }

    /// A log block that fails its loghash: BAD with the computed hash, its entries shown as
    /// not replayed, exit 1.
    func testCorruptBlockDumpedAsFarAsItCanBeRead() throws {
        let path = try Fixtures.sample("fresh")
        try editLogBlock(path, 0x804000, rehash: false) { $0[LogBlock.blockOffset(0x18) + 5] ^= 0x01 }
        let r = try logdump(path, ["-a", "1"])
        XCTAssertEqual(r.status, 1)
        Golden.assert(r.stdout, "logdump/bad-loghash.txt")
        XCTAssertTrue(r.stdout.contains("log block 0x804000 (1/1) logsz 0x28 loghash 0x5eaa6ff385a4a91 BAD (computed 0x"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  +0x18     alloc1 0x814000  (not replayed)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("error log_hash_mismatch: arena 1 block 0x804000:"))
        let j = try logdump(path, ["-a", "1", "--json"])
        XCTAssertEqual(j.status, 1)
        let arena = ((try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any])["arenas"] as! [[String: Any]])[0]
        let block = (arena["blocks"] as! [[String: Any]])[0]
        XCTAssertEqual(block["loghash_ok"] as? Bool, false)
        XCTAssertEqual((block["entries"] as! [[String: Any]]).map { $0["replayed"] as? Bool }, [false, false, false, false])
        XCTAssertEqual(arena["consistent"] as? Bool, false)
    }

    /// A logsz that does not point at its block's terminator (§8.1): an error shown right after
    /// the terminator, with what logsz says and where the terminator is; exit 1. In the block
    /// of the committed barrier, §8.4 lets logsz point past the barrier, never before it.
    func testLogszNotAtTheTerminator() throws {
        let path = try Fixtures.sample("snapshots")
        try editLogBlock(path, 0xd0000) { $0.put($0.u16(at: 2) - 8, at: 2) }
        let r = try logdump(path, ["-a", "0"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("log block 0xd0000 (1/2) logsz 0x458 loghash "), r.stdout)
        XCTAssertTrue(r.stdout.contains("""
              +0x460    chain -> 0xcc000
              error log_logsz_mismatch: arena 0 block 0xd0000: logsz 0x458 does not point at the block's terminator: its LogChain is at 0x460
            log block 0xcc000 (2/2) logsz 0x40 loghash 0x12fbd0bbc84f29a ok

            """), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix(": INCONSISTENT (1 error)\n"), r.stdout)
        let j = try logdump(path, ["-a", "0", "--json"])
        XCTAssertEqual(j.status, 1)
        let arena = ((try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any])["arenas"] as! [[String: Any]])[0]
        let problems = arena["problems"] as! [[String: Any]]
        XCTAssertEqual(problems.map { $0["code"] as! String }, ["log_logsz_mismatch"])
        XCTAssertEqual(problems[0]["block"] as? Int, 0xd0000)

        // The fresh image's arena 1: one block holding the committed barrier at +0x20.
        let fresh = try Fixtures.sample("fresh")
        try editLogBlock(fresh, 0x804000) { $0.put(UInt16(0x20), at: 2) }
        let f = try logdump(fresh, ["-a", "1"])
        XCTAssertEqual(f.status, 1)
        XCTAssertTrue(f.stdout.contains("""
              +0x20     sync 1
              error log_logsz_mismatch: arena 1 block 0x804000: logsz 0x20 in the block of the committed barrier must lie on the entry grid between the barrier's end 0x28 and the last word 0x3fe8

            """), f.stdout)
        // Past the barrier: allowed.
        try editLogBlock(fresh, 0x804000) { $0.put(UInt16(0x30), at: 2) }
        let past = try logdump(fresh, ["-a", "1"])
        XCTAssertEqual(past.status, 0, past.stdout)
        XCTAssertFalse(past.stdout.contains("logsz_mismatch"), past.stdout)
    }

    func testUsageAndIOErrors() throws {
        let fresh = try Fixtures.sample("fresh")
        for (args, message) in [
            (["/nonexistent/x.img"], "/nonexistent/x.img: cannot open"),
            (["-a", "5", fresh], "no arena 5 (the image has 2)"),
            (["--bogus", fresh], "Unknown option '--bogus'"),
            (["--block", "zz", fresh], "--block: 'zz' is not an address"),
            (["--block", "0x4000", fresh], "0x4000 is not a block of any arena's allocatable region"),
            (["--block", "0x804000", "-a", "0", fresh], "is not a block of the chosen arenas' allocatable region"),
            (["--block", "0x8000", "--stats", fresh], "--block and --stats do not go together"),
        ] {
            let r = try Fixtures.tool("gefs-logdump", args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
    }
}
