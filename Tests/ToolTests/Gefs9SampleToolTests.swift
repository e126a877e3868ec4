import Foundation
import XCTest
import TestSupport

/// Every reading tool on the genuine gefs9.00 samples (`Fixtures/samples9`): what each finds
/// agrees with the facts an independent reader found, and gefs-fsck grades what the genuine
/// gefs leaves behind as FORMAT-9FRONT.md §14 says (no error on any of them).
final class Gefs9SampleToolTests: XCTestCase {
    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// Blocks a problem message names: `block 0x…` is one, `blocks a..<b (n)` is n.
    func blockCount(_ message: String) -> Int {
        if let r = message.range(of: #"\((\d+)\) allocated"#, options: .regularExpression) {
            return Int(message[r].dropFirst().prefix { $0.isNumber })!
        }
        return 1
    }

    func testFsckGradesEverySampleAsItsFactsSay() throws {
        for name in Fixtures.samples9 {
            let (path, facts) = try Fixtures.sample9(name)
            let r = try Fixtures.tool("gefs-fsck", ["-n", "--json", path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let out = try json(r.stdout)
            let problems = out["problems"] as! [[String: Any]]
            let grading = facts["expected_grading"] as! [String: Any]
            XCTAssertEqual(problems.filter { $0["severity"] as? String == "error" }.map { "\($0["code"]!): \($0["message"]!)" }, [],
                           "\(name) has no error")
            let unreachable = problems.filter { $0["code"] as? String == "space_unreachable" }
            let expectedUnreachable = (grading["warnings"] as! [String: Int])["unreachable allocated blocks"] ?? 0
            XCTAssertEqual(unreachable.reduce(0) { $0 + blockCount($1["message"] as! String) }, expectedUnreachable, name)
            XCTAssertEqual(problems.filter { $0["severity"] as? String == "warning" }.count, unreachable.count,
                           "\(name): no warning but the unreachable blocks")
            let notes = grading["notes"] as! [String: Int]
            XCTAssertEqual(problems.filter { $0["code"] as? String == "log_never_synced" }.count,
                           notes["qgen 0 and no barrier (never synced since ream)"] ?? 0, name)
            XCTAssertEqual(problems.filter { $0["code"] as? String == "arena_used_unsynced" }.count,
                           notes["arena used differs from replay (no barrier)"] ?? 0, name)
            // What each unreachable block probably was, as the facts' `looks_like` says.
            let looks = (facts["unreachable"] as! [String: Any])["looks_like"] as! [String: [Int]]
            let words = ["log": "a previous log block", "deadlist": "a freed deadlist block",
                         "tree node": "a replaced tree node", "other": "a replaced data block"]
            for (kind, blocks) in looks {
                let said = unreachable.filter { ($0["message"] as! String).contains(words[kind]!) }
                XCTAssertEqual(said.reduce(0) { $0 + blockCount($1["message"] as! String) }, blocks.count, "\(name) \(kind)")
            }
            let reachable = facts["reachable"] as! [String: Int]
            let summary = out["summary"] as! [String: Any]
            let ours = summary["reachable"] as! [String: Int]
            for (k, f) in ["log": "log", "pivot": "pivot", "leaf": "leaf", "data": "data", "dlist": "deadlist", "dead": "dead_listed"] {
                XCTAssertEqual(ours[k], reachable[f], "\(name) reachable \(k)")
            }
            let arenas = facts["arenas"] as! [[String: Any]]
            let B = 16384
            XCTAssertEqual(summary["used"] as? Int, arenas.reduce(0) { $0 + ($1["used_replay"] as! Int) } / B, name)
        }
    }

    func testReplayFindsTheFactsFreeMapsAndBarriers() throws {
        for name in Fixtures.samples9 {
            let (path, facts) = try Fixtures.sample9(name)
            let r = try Fixtures.tool("gefs-replay", ["--ranges", "--json", path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let ours = try json(r.stdout)["arenas"] as! [[String: Any]]
            let theirs = facts["arenas"] as! [[String: Any]]
            XCTAssertEqual(ours.count, theirs.count, name)
            for (a, f) in zip(ours, theirs) {
                XCTAssertEqual(a["used"] as? Int, f["used_replay"] as? Int, "\(name) arena \(a["index"]!)")
                XCTAssertEqual((a["free"] as! [[Int]]), (f["free_extents"] as! [[Int]]), "\(name) arena \(a["index"]!)")
                let barrier = f["barrier"] as? [String: Any]
                XCTAssertEqual(a["committed_gen"] as? Int, barrier?["gen"] as? Int, "\(name) arena \(a["index"]!)")
            }
        }
    }

    func testLogdumpAndArenadumpReadEverySample() throws {
        for name in Fixtures.samples9 {
            let (path, facts) = try Fixtures.sample9(name)
            let log = try Fixtures.tool("gefs-logdump", [path])
            XCTAssertEqual(log.status, 0, "\(name): \(log.stderr)")
            XCTAssertTrue(log.stdout.contains("gefs9.00"), "\(name): logdump names the format")
            for (i, a) in (facts["arenas"] as! [[String: Any]]).enumerated() {
                for (k, b) in (a["log_blocks"] as! [Int]).enumerated() {
                    let n = (a["log_blocks"] as! [Int]).count
                    XCTAssertTrue(log.stdout.contains("log block 0x\(String(b, radix: 16)) (\(k + 1)/"), "\(name) arena \(i) block \(k)/\(n)")
                }
            }
            let dump = try Fixtures.tool("gefs-arenadump", ["--json", path])
            XCTAssertEqual(dump.status, 0, "\(name): \(dump.stderr)")
            let d = try json(dump.stdout)
            XCTAssertEqual(d["format"] as? String, "gefs9.00", name)
            let arenas = d["arenas"] as! [[String: Any]]
            for (a, f) in zip(arenas, facts["arenas"] as! [[String: Any]]) {
                XCTAssertEqual(a["base"] as? Int, f["header_addr"] as? Int, name)
            }
        }
    }
}
