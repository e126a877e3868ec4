import Foundation
import XCTest

/// Golden files: expected outputs kept under `Fixtures/`. With `GEFS_UPDATE_GOLDEN=1` in the
/// environment a mismatch rewrites the file instead of failing (review the diff before committing).
public enum Golden {
    public static var updating: Bool { ProcessInfo.processInfo.environment["GEFS_UPDATE_GOLDEN"] == "1" }

    /// Compares `actual` with `Fixtures/<relative>`.
    public static func assert(_ actual: String, _ relative: String, file: StaticString = #filePath, line: UInt = #line) {
        let url = Fixtures.dir.appendingPathComponent(relative)
        let expected = try? String(contentsOf: url, encoding: .utf8)
        if expected == actual { return }
        if updating {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected else {
            XCTFail("missing golden file \(relative) (run with GEFS_UPDATE_GOLDEN=1 to create it)", file: file, line: line)
            return
        }
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        XCTFail("\(relative) differs at line \(i + 1):\n expected: \(i < e.count ? String(e[i]) : "<end>")\n   actual: \(i < a.count ? String(a[i]) : "<end>")",
                file: file, line: line)
    }
}
