import XCTest
import GefsCore

/// A problem's place: the tree and the file's path as fields, rendered as one string was.
final class ProblemPlaceTests: XCTestCase {
    func testRendering() {
        let p = Problem(.dirParentMissing, "parent qid 9 is not a directory with a Kup", in: "snapshot 2 (main)", file: "/a/?/b")
        XCTAssertEqual(p.place, ProblemPlace("snapshot 2 (main)", file: "/a/?/b"))
        XCTAssertEqual(p.path, "snapshot 2 (main) /a/?/b")
        XCTAssertEqual(p.description, "error dir_parent_missing: snapshot 2 (main) /a/?/b: parent qid 9 is not a directory with a Kup")
        XCTAssertEqual(p.json.serialized(pretty: false).contains(#""path":"snapshot 2 (main) /a/?/b""#), true)
        XCTAssertEqual(Problem(.labelDangling, "x", in: "label \"a\"").path, "label \"a\"")
        XCTAssertNil(Problem(.spaceLeak, "x", arena: 0).path)
    }

    /// Lines group by the tree's name, as they did when the place was one string.
    func testLinesGroupByTree() {
        let many = (0..<12).map { Problem(.dirNameInvalid, "empty name", in: "snapshot 1", file: "/d/\($0)") }
        XCTAssertEqual(Problem.lines(many).last, "... and 2 more dir_name_invalid in snapshot 1")
    }
}
