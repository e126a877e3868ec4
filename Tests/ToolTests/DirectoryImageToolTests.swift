import Foundation
import XCTest
import TestSupport

/// A directory given as the image: every tool says so once, in one line, and exits with the
/// status its man page gives for an image that cannot be opened or read.
final class DirectoryImageToolTests: XCTestCase {
    /// (arguments before the image, expected exit status)
    static let runs: [(String, [String], Int32)] = [
        ("gefs-fsck", [], 8), ("gefs-fsck", ["-n"], 8), ("gefs-fsck", ["-p"], 8), ("gefs-fsck", ["-y"], 8),
        ("gefs-logdump", [], 2), ("gefs-logdump", ["--json"], 2),
        ("gefs-arenadump", [], 2), ("gefs-arenadump", ["--map"], 2),
        ("gefs-replay", [], 2), ("gefs-replay", ["--rewrite", "--write"], 2),
        ("mkgefs", [], 1), ("mkgefs", ["-f", "-s", "4M"], 1),
    ]

    func testEveryToolRefusesADirectoryOnce() throws {
        let dir = Fixtures.scratch("dir-image").appendingPathComponent("not-an-image")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let marker = dir.appendingPathComponent("keep")
        try "kept\n".write(to: marker, atomically: true, encoding: .utf8)
        for (tool, args, status) in Self.runs {
            let what = ([tool] + args).joined(separator: " ")
            let r = try Fixtures.tool(tool, args + [dir.path])
            XCTAssertEqual(r.status, status, "\(what)\n\(r.stdout)\(r.stderr)")
            XCTAssertEqual(r.stderr, "\(tool): \(dir.path): is a directory, not an image file or block device\n", what)
            XCTAssertFalse(r.stdout.contains("Is a directory"), what)
        }
        // --json still gives the report, with the reason as its error.
        let json = try Fixtures.tool("gefs-fsck", ["--json", dir.path])
        XCTAssertEqual(json.status, 8)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["error"] as? String, "is a directory, not an image file or block device")
        XCTAssertEqual(doc["exit"] as? Int, 8)
        // Nothing was written into or over the directory.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["keep"])
        XCTAssertEqual(try String(contentsOf: marker, encoding: .utf8), "kept\n")
    }
}
