import Foundation
import XCTest
@testable import GefsCore
import TestSupport

/// The problem codes gefs-fsck's corpora produce, read from their expected outputs
/// (`Fixtures/fsck/*/expect.*` for gefs8.00, `Fixtures/fsck9/*/expect` for gefs9.00; the corpus
/// tests keep those outputs true).
enum CorpusCoverage {
    /// The codes of the `error`, `warning` and `info` lines of a gefs-fsck output.
    static func codes(in output: String) -> Set<String> {
        var seen: Set<String> = []
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ").filter { $0 != "gefs-fsck:" }
            if words.count >= 2, ["error", "warning", "info"].contains(words[0]) { seen.insert(String(words[1].dropLast())) }
        }
        return seen
    }

    /// The codes the expected outputs of one corpus hold.
    static func codes(corpus: String) throws -> Set<String> {
        let root = Fixtures.dir.appendingPathComponent(corpus)
        var seen: Set<String> = []
        for d in try FileManager.default.contentsOfDirectory(atPath: root.path) {
            let dir = root.appendingPathComponent(d)
            for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasPrefix("expect") {
                seen.formUnion(codes(in: try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)))
            }
        }
        return seen
    }
}

final class CorpusCoverageTests: XCTestCase {
    /// Codes no case of either corpus can produce, with the reason (each must still be documented).
    static let unproduced: [String: String] = [:]

    /// Every code of the catalogue is produced by a case of one corpus or the other: a code may
    /// belong to one format only (gefs8.00's LogEnd word, gefs9.00's Kconf retain).
    func testEveryCodeIsProducedBySomeCorpusCase() throws {
        let seen = try CorpusCoverage.codes(corpus: "fsck").union(CorpusCoverage.codes(corpus: "fsck9"))
        for c in ProblemCode.all where !seen.contains(c.id) && Self.unproduced[c.id] == nil {
            XCTFail("no corpus case produces \(c.id)")
        }
        for id in seen { XCTAssertTrue(ProblemCode.all.contains { $0.id == id }, "\(id) is in an expected output but not in the catalogue") }
    }

    /// The codes only gefs9.00 has (FORMAT-9FRONT.md §14's grades) are produced by the gefs9.00
    /// corpus itself.
    func testEveryGenuineCodeIsProducedByTheGefs9Corpus() throws {
        let seen = try CorpusCoverage.codes(corpus: "fsck9")
        for c in ProblemCode.genuineCodes where !seen.contains(c.id) {
            XCTFail("no fsck9 case produces \(c.id)")
        }
    }
}
