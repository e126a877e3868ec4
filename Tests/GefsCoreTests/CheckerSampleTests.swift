import XCTest
import GefsCore
import TestSupport

/// The checker finds in the independent samples exactly the reachable blocks and the problems
/// their facts record.
final class CheckerSampleTests: XCTestCase {
    func check(_ name: String) throws {
        let image = try Image(path: try Fixtures.sample(name))
        let facts = try Fixtures.facts(name)
        let checker = Checker(image: image)
        checker.run()
        let reachable = facts["reachable"] as! [String: Int]
        for k in BlockKind.allCases {
            XCTAssertEqual(checker.space.count(k), reachable[k.shortName], "\(name): \(k)")
        }
        let expected = (facts["problems"] as! [[String: Any]]).map { $0["code"] as! String }
        XCTAssertEqual(checker.problems.map(\.code.id).sorted(), expected.sorted(),
                       "\(name):\n" + checker.problems.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(checker.complete)
        XCTAssertEqual(checker.summary.snapshots, (facts["snapshots"] as! [Any]).count)
    }

    func testFresh() throws { try check("fresh") }
    func testPopulated() throws { try check("populated") }
    func testSnapshots() throws { try check("snapshots") }
    func testCrashed() throws { try check("crashed") }

    func testPopulatedCounts() throws {
        let checker = Checker(image: try Image(path: try Fixtures.sample("populated")))
        checker.run()
        // main's 8 directories (its root, qid 0, is empty's too) and adm's root.
        XCTAssertEqual(checker.summary.directories, 8 + 1)
        XCTAssertEqual(checker.summary.files, 40 + 1)
    }
}
