import Foundation
import XCTest
import GefsCore
import TestSupport

/// Every damage of gefs-fsck's corpus (`FsckCorpus.cases`), applied not only to the image it was
/// made for but to the other valid images too: fresh, populated, snapshots with pending
/// messages and deadlists, a crashed one, a tree of pivots, and one after churn (logs rewritten
/// and barriers appended over several syncs). For each: the check names the damage's problem
/// code and does not trap; where every error it finds is one a repair fixes, a repair then a
/// second check find no error. Runs in-process (the checker and repairer gefs-fsck calls); each
/// damage goes to its own base and to two others, in turn, so that every base meets a share.
final class CorruptionSweepTests: XCTestCase {
    /// The base images, by name.
    static func bases() throws -> [(String, String)] {
        let dir = Fixtures.scratch("sweep-bases")
        var out: [(String, String)] = []
        for s in ["fresh", "populated", "snapshots", "crashed"] { out.append((s, try Fixtures.sample(s))) }
        out.append(("tree", try Fixtures.unpack("fsck/005-clean-mkgefs-tree/image.img")))
        let small = dir.appendingPathComponent("small.img").path
        let r = try Fixtures.tool("mkgefs", ["-s", "4M", small], env: ["SOURCE_DATE_EPOCH": "1700000000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        out.append(("small", small))
        out.append(("churned", try churned(from: try Fixtures.sample("snapshots"))))
        return out
    }

    /// The snapshots sample after churn: every log rewritten, then arena 0's alone (the others
    /// get barriers appended), then all of them again: four more syncs.
    static func churned(from path: String) throws -> String {
        let dev = try FileDevice(path: path, writable: true)
        for arenas in [[0, 1, 2], [0], [1], [0, 1, 2]] {
            try LogRewrite.plan(image: try Image(device: dev), arenas: arenas).commit(to: dev)
        }
        return path
    }

    /// The problem code a case's name starts with (the longest that fits), nil for the clean
    /// controls.
    static func expectedCode(_ name: String) -> ProblemCode? {
        let n = name.replacingOccurrences(of: "-", with: "_")
        return ProblemCode.all.filter { n == $0.id || n.hasPrefix($0.id + "_") }.max { $0.id.count < $1.id.count }
    }

    func testEveryDamageOnSeveralImages() throws {
        let bases = try Self.bases()
        let own: [CorpusCase.Base: String] = [.fresh: "fresh", .small: "small", .tree: "tree"]
        var failures: [String] = []
        var applied = 0, notApplicable = 0, repaired = 0
        var perBase: [String: Int] = [:]
        for (k, (n, c)) in FsckCorpus.cases.enumerated() where c.sample == nil {
            guard let code = Self.expectedCode(c.name) else { continue }
            let others = bases.map(\.0).filter { $0 != own[c.base] }
            let chosen = [own[c.base]!, others[(2 * k) % others.count], others[(2 * k + 1) % others.count]]
            for name in chosen {
                let what = "\(n)-\(c.name) on \(name)"
                // Up to 40 MiB a case: removed as soon as it is checked.
                let dir = Fixtures.scratch("sweep")
                defer { try? FileManager.default.removeItem(at: dir) }
                let path = dir.appendingPathComponent("image.img").path
                try FileManager.default.copyItem(atPath: bases.first { $0.0 == name }!.1, toPath: path)
                do { try c.damage(try Corruptor(path: path)) } catch is CorruptorError {
                    notApplicable += 1
                    continue
                } catch let e as TreeReadError {
                    // The base lacks what the damage needs (a deadlist, a label) or cannot be read as it expects.
                    _ = e
                    notApplicable += 1
                    continue
                }
                applied += 1
                perBase[name, default: 0] += 1
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                let first: Checker
                do { first = Checker(image: try Image(device: MemoryDevice(name: path, bytes: bytes))) } catch let e as ImageError {
                    if !e.problems.contains(where: { $0.code == code }) { failures.append("\(what): expected \(code.id), found \(e)") }
                    continue
                }
                first.run()
                let codes = Set(first.problems.map(\.code))
                if !codes.contains(code) {
                    failures.append("\(what): expected \(code.id), found \(codes.map(\.id).sorted())")
                }
                let errors = first.problems.filter { $0.severity == .error }
                guard !errors.isEmpty, first.complete, errors.allSatisfy({ Repairer.fixable.contains($0.code) }) else { continue }
                let dev = MemoryDevice(name: path, bytes: bytes)
                let checker = Checker(image: try Image(device: dev))
                checker.run()
                let out = try Repairer(checker: checker, mode: .all).repair()
                let second = Checker(image: try Image(device: MemoryDevice(name: path, bytes: dev.bytes)))
                second.run()
                let left = second.problems.filter { $0.severity == .error }
                if !left.isEmpty { failures.append("\(what): after -y, -n finds \(left.map(\.description)) (repairs: \(out.actions))") }
                repaired += 1
            }
        }
        print("sweep: \(applied) damaged images (\(perBase.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), \(notApplicable) damages not applicable to their base, \(repaired) repaired and checked again")
        XCTAssertGreaterThan(applied, 150)
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }
}
