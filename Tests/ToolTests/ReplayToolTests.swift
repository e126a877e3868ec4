import XCTest
import Foundation
import GefsCore
import TestSupport

/// gefs-replay on the sample images: reports, `--until-gen`, `--rewrite` dry runs and writes,
/// refusals, against golden outputs under `Fixtures/replay/`.
final class ReplayToolTests: XCTestCase {
    func replay(_ path: String, _ args: [String] = []) throws -> Fixtures.Result {
        let url = URL(fileURLWithPath: path)
        return try Fixtures.tool("gefs-replay", args + [url.lastPathComponent], cwd: url.deletingLastPathComponent().path)
    }

    func json(_ r: Fixtures.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    func testSamplesMatchGoldensAndFacts() throws {
        for name in ["fresh", "populated", "snapshots", "crashed"] {
            let r = try replay(try Fixtures.sample(name))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            Golden.assert(r.stdout, "replay/\(name).txt")
            for (i, af) in (try Fixtures.facts(name)["arenas"] as! [[String: Any]]).enumerated() {
                XCTAssertTrue(r.stdout.contains("arena \(i): used \(af["used_replay"] as! Int), "), "\(name) arena \(i)")
                let extents = (af["free_ranges"] as! [[Int]])
                XCTAssertTrue(r.stdout.contains("  free extents \(extents.count), largest \(extents.map { $0[1] }.max() ?? 0) "), "\(name) arena \(i)")
            }
        }
    }

    func testJSONWithRanges() throws {
        let r = try replay(try Fixtures.sample("crashed"), ["--json", "--ranges"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "replay/crashed-ranges.json")
        let doc = try json(r)
        XCTAssertEqual(doc["image"] as? String, "crashed.img")
        XCTAssertEqual(doc["qgen"] as? Int, 13)
        let facts = try Fixtures.facts("crashed")["arenas"] as! [[String: Any]]
        for (a, f) in zip(doc["arenas"] as! [[String: Any]], facts) {
            XCTAssertEqual(a["free"] as? [[Int]], f["free_ranges"] as? [[Int]])
            XCTAssertEqual(a["used"] as? Int, f["used_replay"] as? Int)
            XCTAssertEqual(a["used_header"] as? Int, f["used_header"] as? Int)
            XCTAssertEqual(a["discarded_entries"] as? Int, f["discarded_entries"] as? Int)
            XCTAssertEqual(a["committed_gen"] as? Int, 13)
            XCTAssertEqual(a["agrees"] as? Bool, true)
        }
        let plain = try json(try replay(try Fixtures.sample("crashed"), ["--json", "-a", "1"]))
        let arenas = plain["arenas"] as! [[String: Any]]
        XCTAssertEqual(arenas.map { $0["index"] as! Int }, [1])
        XCTAssertNil(arenas[0]["free"], "free extents only with --ranges")
    }

    func testRangesText() throws {
        let r = try replay(try Fixtures.sample("fresh"), ["--ranges", "-a", "0"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasSuffix("  agrees with the header (used 81920)\n  free 0x1c000+0x7e0000\n"), r.stdout)
    }

    /// `--until-gen`: the free maps at an older barrier and what changed since; an arena whose
    /// log was compressed since no longer holds it (exit 2, the others still shown).
    func testUntilGen() throws {
        let crashed = try replay(try Fixtures.sample("crashed"), ["--until-gen", "10", "--ranges", "-a", "0"])
        XCTAssertEqual(crashed.status, 0, crashed.stderr)
        Golden.assert(crashed.stdout, "replay/crashed-until-10.txt")
        XCTAssertTrue(crashed.stdout.contains("arena 0: used 2244608, free 14483456 (884 blocks) as of LogSync 10\n"))
        XCTAssertTrue(crashed.stdout.contains("  since then, to LogSync 13: 101 blocks allocated, 0 freed; used now 3899392\n"))
        XCTAssertEqual(crashed.stdout.components(separatedBy: "  allocated since ").count - 1, 33)

        let snapshots = try replay(try Fixtures.sample("snapshots"), ["--until-gen", "10"])
        XCTAssertEqual(snapshots.status, 2)
        Golden.assert(snapshots.stdout, "replay/snapshots-until-10.txt")
        XCTAssertTrue(snapshots.stdout.contains("arena 0: the log no longer holds LogSync 10 (replay met LogSync 17 first)\n"))
        XCTAssertTrue(snapshots.stdout.contains("arena 1: used 2342912, "))
        XCTAssertTrue(snapshots.stderr.contains("the log of arena 0 no longer holds LogSync 10"))

        let j = try json(try replay(try Fixtures.sample("snapshots"), ["--until-gen", "10", "--json", "-a", "1"]))
        XCTAssertEqual(j["until_gen"] as? Int, 10)
        let a = (j["arenas"] as! [[String: Any]])[0]
        XCTAssertEqual(a["reached"] as? Bool, true)
        XCTAssertEqual(a["used_now"] as? Int, 8929280)
        XCTAssertEqual((a["freed_since"] as! [[Int]]), [[0x1154000, 0x4000]])
    }

    /// `--rewrite` without `--write` changes nothing; with it the logs are short, the image
    /// replays to the same free maps (apart from the log blocks) and checks clean.
    func testRewrite() throws {
        let path = try Fixtures.sample("snapshots")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let dry = try replay(path, ["--rewrite"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        Golden.assert(dry.stdout, "replay/snapshots-rewrite.txt")
        XCTAssertTrue(dry.stdout.contains("arena 1: log 2 blocks, 2575 entries -> 1 block, 99 entries; used 8929280 -> 8912896\n"))
        XCTAssertTrue(dry.stdout.hasSuffix("sync 18 would commit it; nothing written (dry run: add --write)\n"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)

        let dryJSON = try json(try replay(path, ["--rewrite", "--json"]))
        let plan = dryJSON["rewrite"] as! [String: Any]
        XCTAssertEqual(plan["gen"] as? Int, 18)
        XCTAssertEqual(plan["written"] as? Bool, false)
        XCTAssertEqual((plan["arenas"] as! [[String: Any]]).map { $0["new_blocks"] as! Int }, [1, 1, 1])

        let old = try Image(path: path)
        let oldFree = old.arenas.indices.map { i -> BlockBitmap in
            let r = Replay.arena(old, i)
            var f = r.free
            f.insert(blocks: r.logBlocks)
            return f
        }
        let w = try replay(path, ["--rewrite", "--write"])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.hasSuffix("committed as sync 18; the image replays to the planned free maps\n"), w.stdout)
        let after = try replay(path)
        XCTAssertEqual(after.status, 0)
        Golden.assert(after.stdout, "replay/snapshots-after-rewrite.txt")
        let image = try Image(path: path)
        XCTAssertEqual(image.qgen, 18)
        XCTAssertEqual(image.problems, [])
        for i in image.arenas.indices {
            let r = Replay.arena(image, i)
            XCTAssertEqual(r.problems, [])
            XCTAssertEqual(r.logBlocks.count, 1)
            var f = r.free
            f.insert(blocks: r.logBlocks)
            XCTAssertEqual(f, oldFree[i], "arena \(i): the same free map apart from the log blocks")
        }
        let dump = try Fixtures.tool("gefs-logdump", ["--stats", path])
        XCTAssertEqual(dump.status, 0, dump.stdout)
    }

    /// Rewriting one arena of the crashed image repairs its stale headers too; the other arena
    /// keeps its log with the new barrier.
    func testRewriteOneArena() throws {
        let path = try Fixtures.sample("crashed")
        let r = try replay(path, ["--rewrite", "--write", "-a", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        Golden.assert(r.stdout, "replay/crashed-rewrite-a1.txt")
        XCTAssertTrue(r.stdout.contains("arena 0: log kept (1 block, 822 entries), LogSync 14 appended\n"))
        let after = try replay(path)
        XCTAssertEqual(after.status, 0)
        XCTAssertFalse(after.stdout.contains("warning"), after.stdout)
        XCTAssertTrue(after.stdout.contains("arena 0: used 3899392, free 12828672 (783 blocks) as of LogSync 14\n"))
    }

    /// An arena whose replay finds errors is not rewritten: exit 1, pointing to gefs-fsck.
    func testRewriteRefusedOnErrors() throws {
        let path = try Fixtures.sample("fresh")
        let dev = try FileDevice(path: path, writable: true)
        var b = try dev.read(at: 0x804000)
        b.put(UInt64(0x804000 | 1), at: LogBlock.blockOffset(0x20))  // sync 1 -> a second alloc1 of the log block
        gefs8.sealLogBlock(&b)
        try dev.write(b, at: 0x804000)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let r = try replay(path, ["--rewrite", "--write"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("arena 1: replay found 1 error; its free map cannot be trusted; not rewriting (gefs-fsck repairs it)"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        let report = try replay(path, ["-a", "1"])
        XCTAssertEqual(report.status, 1)
        XCTAssertTrue(report.stdout.contains("error log_alloc_not_free: arena 1 block 0x804000 +0x20:"), report.stdout)
        XCTAssertTrue(report.stdout.contains("warning log_no_barrier"), report.stdout)
    }

    /// A logsz that does not point at its block's terminator: the report names it (exit 1), and
    /// the arena is not rewritten (gefs-fsck rebuilds the log).
    func testLogszNotAtTheTerminator() throws {
        let path = try Fixtures.sample("snapshots")
        let dev = try FileDevice(path: path, writable: true)
        var b = try dev.read(at: 0xd0000)
        b.put(b.u16(at: 2) - 8, at: 2)
        b.put(LogBlock.computedHash(b), at: 4)
        try dev.write(b, at: 0xd0000)
        let report = try replay(path)
        XCTAssertEqual(report.status, 1)
        XCTAssertTrue(report.stdout.contains("error log_logsz_mismatch: arena 0 block 0xd0000: logsz 0x458 does not point at the block's terminator: its LogChain is at 0x460\n"), report.stdout)
        let doc = try json(try replay(path, ["--json", "-a", "0"]))
        let problems = (doc["arenas"] as! [[String: Any]])[0]["problems"] as! [[String: Any]]
        XCTAssertEqual(problems.map { $0["code"] as! String }, ["log_logsz_mismatch"])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let r = try replay(path, ["--rewrite", "--write", "-a", "0"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("arena 0: replay found 1 error; its free map cannot be trusted; not rewriting (gefs-fsck repairs it)"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        // Arenas 1 and 2 are fine.
        XCTAssertEqual(try replay(path, ["-a", "1", "-a", "2"]).status, 0)
    }

    func testUsageErrors() throws {
        let fresh = try Fixtures.sample("fresh")
        for (args, message) in [
            (["--write", fresh], "--write needs --rewrite"),
            (["--rewrite", "--until-gen", "1", fresh], "--rewrite and --until-gen do not go together"),
            (["--until-gen", "2", fresh], "LogSync 2 is after the last completed sync (qgen 1)"),
            (["-a", "2", fresh], "no arena 2 (the image has 2)"),
            (["--frobnicate", fresh], "Unknown option"),
            (["/nonexistent.img"], "/nonexistent.img: cannot open"),
        ] {
            let r = try Fixtures.tool("gefs-replay", args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }
}
