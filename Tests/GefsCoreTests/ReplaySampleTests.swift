import XCTest
import GefsCore
import TestSupport

/// Replay of the independent sample images gives exactly the facts recorded next to them.
final class ReplaySampleTests: XCTestCase {
    func check(_ name: String) throws {
        let image = try Image(path: try Fixtures.sample(name))
        let facts = try Fixtures.facts(name)
        var codes: [String] = image.problems.map(\.code.id)
        for (i, af) in (facts["arenas"] as! [[String: Any]]).enumerated() {
            let r = Replay.arena(image, i)
            let ranges = r.free.extents.map { [Int($0.addr), Int($0.len)] }
            XCTAssertEqual(ranges, af["free_ranges"] as! [[Int]], "\(name) arena \(i) free ranges")
            XCTAssertEqual(Int(r.used), af["used_replay"] as? Int, "\(name) arena \(i) used")
            XCTAssertEqual(r.logBlocks.map(Int.init), af["log_blocks"] as! [Int], "\(name) arena \(i) log blocks")
            XCTAssertEqual(r.discardedEntries, af["discarded_entries"] as? Int)
            XCTAssertEqual(r.stop.rawValue, af["replay_stop"] as? String)
            XCTAssertEqual(!r.hasErrors && r.agrees, af["replay_ok"] as? Bool)
            XCTAssertEqual(r.committedGen, image.qgen)
            codes += r.problems.map(\.code.id)
        }
        let expected = (facts["problems"] as! [[String: Any]]).map { $0["code"] as! String }
        XCTAssertEqual(codes.sorted(), expected.sorted(), name)
    }

    func testFresh() throws { try check("fresh") }
    func testPopulated() throws { try check("populated") }
    func testSnapshots() throws { try check("snapshots") }
    func testCrashed() throws { try check("crashed") }
}
