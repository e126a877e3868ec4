import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-fsck as a user runs it: options, exit statuses, JSON, progress, man page.
final class FsckToolTests: XCTestCase {
    func corpusImage(_ d: String) throws -> String {
        try FsckCorpusTests.unpack(FsckCorpusTests.corpus.appendingPathComponent(d))
    }

    /// `--no-data` checks every structure but reads no data block: a damaged data block goes
    /// unseen, anything else is still found, and the report says which mode ran.
    func testNoDataSkipsOnlyTheDataHashes() throws {
        let img = try corpusImage("061-data-hash-mismatch")
        let full = try Fixtures.tool("gefs-fsck", ["-n", img])
        XCTAssertEqual(full.status, 4)
        XCTAssertTrue(full.stdout.contains("data_hash_mismatch"), full.stdout)
        let fast = try Fixtures.tool("gefs-fsck", ["-n", "--no-data", img])
        XCTAssertEqual(fast.status, 0, fast.stdout)
        XCTAssertFalse(fast.stdout.contains("data_hash_mismatch"), fast.stdout)
        XCTAssertTrue(fast.stdout.contains("Pass 3: Checking trees, data and deadlists (data blocks not verified: --no-data)"), fast.stdout)
        let json = try Fixtures.tool("gefs-fsck", ["-n", "--no-data", "--json", img])
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(doc["data_verified"] as? Bool, false)
        let other = try corpusImage("062-data-orphan-past-length")
        XCTAssertTrue(try Fixtures.tool("gefs-fsck", ["-n", "--no-data", other]).stdout.contains("data_orphan"))
    }

    func testUsageErrorsExit16() throws {
        for args in [["-n", "-y", "x.img"], [], ["--no-such-option", "x.img"], ["-C", "-3", "x.img"]] {
            let r = try Fixtures.tool("gefs-fsck", args)
            XCTAssertEqual(r.status, 16, "\(args): \(r.stderr)")
        }
    }

    func testMissingImageIsOperationalError() throws {
        let r = try Fixtures.tool("gefs-fsck", ["/nonexistent/image.img"])
        XCTAssertEqual(r.status, 8)
        XCTAssertTrue(r.stderr.contains("cannot open"), r.stderr)
    }

    func testJSONReportOfPopulated() throws {
        let img = try Fixtures.sample("populated")
        let r = try Fixtures.tool("gefs-fsck", ["--json", img])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["exit"] as? Int, 0)
        XCTAssertEqual((j["passes"] as! [[String: Any]]).map { $0["pass"] as! Int }, [1, 2, 3, 4, 5])
        XCTAssertEqual((j["problems"] as! [Any]).count, 0)
        let facts = try Fixtures.facts("populated")["reachable"] as! [String: Int]
        XCTAssertEqual((j["summary"] as! [String: Any])["reachable"] as! [String: Int], facts)
    }

    func testJSONProblemFields() throws {
        let img = try corpusImage("100-space-leak")
        let r = try Fixtures.tool("gefs-fsck", ["--json", "-y", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let p = (j["problems"] as! [[String: Any]])[0]
        XCTAssertEqual(p["code"] as? String, "space_leak")
        XCTAssertEqual(p["severity"] as? String, "error")
        XCTAssertEqual(p["pass"] as? Int, 5)
        XCTAssertEqual(p["arena"] as? Int, 0)
        XCTAssertEqual(p["fixed"] as? Bool, true)
        XCTAssertNotNil(p["block"] as? Int)
        XCTAssertNil(p["path"])
        XCTAssertFalse((j["repairs"] as! [String]).isEmpty)
    }

    func testProgressLinesOnDescriptor() throws {
        let img = try Fixtures.sample("snapshots")
        let r = try Fixtures.tool("gefs-fsck", ["-C", "2", img])
        XCTAssertEqual(r.status, 0)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for l in lines {
            let w = l.split(separator: " ")
            XCTAssertEqual(w.count, 4, String(l))
            XCTAssertNotNil(Int(w[0])); XCTAssertNotNil(Int(w[1])); XCTAssertNotNil(Int(w[2]))
            XCTAssertEqual(String(w[3]), img)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("3 ") })
        // Without -C and without a terminal, nothing of the kind.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", [img]).stderr, "")
    }

    func testTimingAndVerbose() throws {
        let img = try Fixtures.sample("snapshots")
        let r = try Fixtures.tool("gefs-fsck", ["-t", "-v", img])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.components(separatedBy: "peak memory").count - 1, 5)
        XCTAssertTrue(r.stdout.contains("snapshot 6 (main): root"), r.stdout)
        XCTAssertTrue(r.stdout.contains("snapshot tree: root"))
    }

    func testPreenFixesStaleCopies() throws {
        let img = try corpusImage("016-arena-header-stale")
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-p", img]).status, 1)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 0)
    }

    /// Both arena copies with bytes after their fields: nothing is lost, so -p rewrites them
    /// from their fields, and the superblocks record the new hash.
    func testPreenZeroesArenaCopyTails() throws {
        let img = try corpusImage("007-arena-copy-tail")
        let r = try Fixtures.tool("gefs-fsck", ["-p", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("  arena 0 header and footer: nonzero bytes after the fields zeroed; both copies rewritten from the fields (header), hash 0x"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  sb0 and sb1 rewritten with the new arena hashes (qgen 1)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("image.img: 2 errors, 0 warnings, 0 notes, 2 fixed\n"), r.stdout)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 0)
        let image = try Image(path: img)
        XCTAssertEqual(image.arenas[0].headerStatus, .current)
        XCTAssertEqual(image.arenas[0].footerStatus, .current)
        XCTAssertEqual(image.superblock.arenas[0].hash, XXH3.hash(image.arenas[0].current!.encodeBlock()))
    }

    func testPreenLeavesWhatNeedsAHuman() throws {
        let img = try corpusImage("060-tree-data-shared")
        let before = try Data(contentsOf: URL(fileURLWithPath: img))
        let r = try Fixtures.tool("gefs-fsck", ["-p", img])
        XCTAssertEqual(r.status, 4)
        XCTAssertTrue(r.stdout.contains("free maps not rebuilt: tree_data_shared needs a human first"), r.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: img)), before)
    }

    func testManPageListsEveryCodeAndOption() throws {
        let man = try String(contentsOf: Fixtures.root.appendingPathComponent("man/gefs-fsck.8"), encoding: .utf8)
        for c in ProblemCode.all { XCTAssertTrue(man.contains(".B \(c.id)\n"), c.id) }
        for opt in ["\\-n", "\\-p", "\\-y", "\\-\\-json", "\\-C", "\\-t", "\\-v", "\\-\\-list\\-problems"] {
            XCTAssertTrue(man.contains(opt), opt)
        }
        let listed = try Fixtures.tool("gefs-fsck", ["--list-problems"])
        XCTAssertEqual(listed.status, 0)
        XCTAssertEqual(listed.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }, ProblemCode.all.map(\.id))
    }
}
