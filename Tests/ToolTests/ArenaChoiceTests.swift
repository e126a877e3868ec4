import XCTest
import Foundation
import TestSupport

/// Every dump tool chooses arenas through ToolSupport's one chooser: an arena named twice is
/// shown once, and the chosen arenas come in order.
final class ArenaChoiceTests: XCTestCase {
    /// `tool` on the crashed sample, whose arena sections each begin with `heading` (for arena 0).
    func check(_ tool: String, heading: String) throws {
        let url = URL(fileURLWithPath: try Fixtures.sample("crashed"))
        func run(_ args: [String]) throws -> Fixtures.Result {
            try Fixtures.tool(tool, args + [url.lastPathComponent], cwd: url.deletingLastPathComponent().path)
        }
        let once = try run(["-a", "0"])
        let twice = try run(["-a", "0", "-a", "0"])
        XCTAssertEqual(twice.status, 0, twice.stderr)
        XCTAssertEqual(twice.stdout, once.stdout)
        XCTAssertEqual(twice.stdout.components(separatedBy: heading).count, 2, twice.stdout)
        let mixed = try run(["-a", "1", "-a", "0", "-a", "1"])
        XCTAssertEqual(mixed.stdout, try run([]).stdout, "both arenas, in order, once each")
    }

    func testLogdump() throws { try check("gefs-logdump", heading: "arena 0: current copy ") }
    func testArenadump() throws { try check("gefs-arenadump", heading: "arena 0: base ") }
    func testReplay() throws { try check("gefs-replay", heading: "arena 0: used ") }
}
