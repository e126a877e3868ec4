import XCTest
import Foundation
import TestSupport

/// Every option a tool's --help names is documented in its man page, and every option the man
/// page's OPTIONS section names is one the tool accepts.
final class ManPageTests: XCTestCase {
    static let tools = ["mkgefs", "gefs-fsck", "gefs-logdump", "gefs-replay", "gefs-arenadump", "gefs-restore"]

    func longOptions(_ text: String) -> Set<String> {
        let re = try! NSRegularExpression(pattern: "--[a-z][a-z-]*")
        let ns = text as NSString
        return Set(re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) })
    }

    func testHelpAndManPagesAgree() throws {
        for tool in ManPageTests.tools {
            let help = try Fixtures.tool(tool, ["--help"])
            XCTAssertEqual(help.status, 0, tool)
            let page = try String(contentsOf: Fixtures.root.appendingPathComponent("man/\(tool).8"), encoding: .utf8)
                .replacingOccurrences(of: "\\-", with: "-")
            XCTAssertTrue(page.hasPrefix(".TH \(tool.uppercased()) 8"), "\(tool).8 has no .TH line")
            for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"] {
                XCTAssertTrue(page.contains(".SH \(section)") || page.contains(".SH \"\(section)\""), "\(tool).8 lacks \(section)")
            }
            let helpOptions = longOptions(help.stdout).subtracting(["--help"])
            let options = page.components(separatedBy: ".SH OPTIONS").last!.components(separatedBy: "\n.SH ").first!
            let documented = longOptions(options)
            XCTAssertTrue(helpOptions.isSubset(of: longOptions(page)), "\(tool): undocumented \(helpOptions.subtracting(longOptions(page)))")
            XCTAssertTrue(documented.subtracting(["--help"]).isSubset(of: helpOptions),
                          "\(tool): the man page names options the tool lacks: \(documented.subtracting(helpOptions).subtracting(["--help"]))")
        }
    }
}
