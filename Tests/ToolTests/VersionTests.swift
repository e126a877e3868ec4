import XCTest
import Foundation
import TestSupport
import ToolSupport

/// `--version` and `-V` on every tool, and the one version they print named wherever a release
/// names it: the man pages' `.TH` lines and the CHANGELOG's latest release heading.
final class VersionTests: XCTestCase {
    static let tools = ["mkgefs", "gefs-fsck", "gefs-logdump", "gefs-replay", "gefs-arenadump", "gefs-restore"]
    let line = "gefs-tools \(GefsTools.version)\n"

    func testVersionIsSemantic() {
        XCTAssertNotNil(GefsTools.version.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression),
                        GefsTools.version)
    }

    func testEveryToolPrintsTheVersion() throws {
        for tool in VersionTests.tools {
            for args in [["--version"], ["-V"], ["-V", "no-such.img"], ["--json", "--version"]] {
                let r = try Fixtures.tool(tool, args)
                XCTAssertEqual(r.status, 0, "\(tool) \(args): \(r.stderr)")
                XCTAssertEqual(r.stdout, line, "\(tool) \(args)")
                XCTAssertEqual(r.stderr, "", "\(tool) \(args)")
            }
            let help = try Fixtures.tool(tool, ["--help"])
            XCTAssertTrue(help.stdout.contains("-V, --version"), "\(tool) --help lacks -V, --version")
            // Help first, as ArgumentParser does for its own flags.
            let both = try Fixtures.tool(tool, ["-h", "-V"])
            XCTAssertEqual(both.status, 0)
            XCTAssertTrue(both.stdout.contains("USAGE:"), "\(tool) -h -V: \(both.stdout)")
        }
    }

    func testVersionAfterDoubleDashIsAnArgument() throws {
        let r = try Fixtures.tool("gefs-logdump", ["--", "-V"])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("-V"), r.stderr)
        XCTAssertFalse(r.stdout.contains("gefs-tools"), r.stdout)
    }

    func testManPagesNameTheVersion() throws {
        for tool in VersionTests.tools {
            let page = try String(contentsOf: Fixtures.root.appendingPathComponent("man/\(tool).8"), encoding: .utf8)
            let th = page.split(separator: "\n").first { $0.hasPrefix(".TH ") }.map(String.init) ?? ""
            XCTAssertTrue(th.hasPrefix(".TH \(tool.uppercased()) 8 "), th)
            XCTAssertTrue(th.contains("\"gefs-tools \(GefsTools.version)\""),
                          "man/\(tool).8's .TH line must name gefs-tools \(GefsTools.version) (Sources/ToolSupport/Version.swift): \(th)")
        }
    }

    func testChangelogsLatestReleaseIsTheVersion() throws {
        let text = try String(contentsOf: Fixtures.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let releases = text.split(separator: "\n").filter { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
        let latest = try XCTUnwrap(releases.first, "CHANGELOG.md has no release heading")
        XCTAssertNotNil(latest.range(of: #"^## \[[0-9.]+\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$"#, options: .regularExpression),
                        "a release heading is '## [X.Y.Z] - YYYY-MM-DD': \(latest)")
        XCTAssertTrue(latest.hasPrefix("## [\(GefsTools.version)] - "),
                      "CHANGELOG.md's latest release must be \(GefsTools.version) (Sources/ToolSupport/Version.swift): \(latest)")
    }
}
