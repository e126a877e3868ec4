import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-fsck's corpus, in the style of e2fsprogs' `tests/f_*`: `Fixtures/fsck/NNN-name/` holds a
/// small damaged image (or a `sample` file naming one of the samples), `expect.1` (the first
/// run, with -y: output and exit status), `expect.2` (a second run, -n) and a one-line `name`.
/// Each case is a test of its own (`test_NNN_name`, in FsckCorpusCaseTests.swift, which
/// scripts/fsck-corpus-tests.sh writes), so that a failure names it. With
/// `GEFS_UPDATE_GOLDEN=1` the images are built again from `FsckCorpus.cases` (once, before the
/// first case runs) and the expected outputs rewritten.
final class FsckCorpusTests: XCTestCase {
    static let corpus = Fixtures.dir.appendingPathComponent("fsck")

    /// The corpus's images rebuilt once per run when golden files are being updated.
    static let prepared: Result<Void, Error> = Result { if Golden.updating { try rebuildImages() } }

    /// Runs one case: the first run (-y) and the second (-n) against their golden transcripts.
    func check(_ name: String) throws {
        try Self.prepared.get()
        let img = try Self.unpack(Self.corpus.appendingPathComponent(name))
        let cwd = (img as NSString).deletingLastPathComponent
        let first = try Fixtures.tool("gefs-fsck", ["-y", "image.img"], cwd: cwd)
        Golden.assert(Self.transcript(first), "fsck/\(name)/expect.1")
        let second = try Fixtures.tool("gefs-fsck", ["-n", "image.img"], cwd: cwd)
        Golden.assert(Self.transcript(second), "fsck/\(name)/expect.2")
        // The two-run rule: when the first run left no error, the second finds none.
        if first.status & 4 == 0, first.status & 8 == 0 {
            XCTAssertEqual(second.status, 0, "\(name): second run\n\(second.stdout)")
        }
    }

    /// Every case directory has its test method, and every method its directory.
    func testEveryCaseHasATest() throws {
        try Self.prepared.get()
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        XCTAssertGreaterThan(dirs.count, 60)
        XCTAssertEqual(Self.generatedCases, dirs, "the corpus changed: run scripts/fsck-corpus-tests.sh")
    }

    // Which codes the corpus produces is CorpusCoverageTests': both formats' corpora together.

    /// A check without -p or -y never writes: the image's bytes are unchanged.
    func testCheckOnlyNeverWrites() throws {
        for d in ["014-image-truncated", "016-arena-header-stale", "100-space-leak", "033-log-no-barrier"] {
            let img = try Self.unpack(Self.corpus.appendingPathComponent(d))
            let before = try Data(contentsOf: URL(fileURLWithPath: img))
            let r = try Fixtures.tool("gefs-fsck", ["-n", img])
            XCTAssertNotEqual(r.status, 8, r.stderr)
            let r2 = try Fixtures.tool("gefs-fsck", [img])
            XCTAssertEqual(r.status, r2.status)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: img)), before, d)
        }
    }

    /// What a user sees: standard output, standard error, then the exit status.
    static func transcript(_ r: Fixtures.Result) -> String {
        var s = r.stdout
        if !r.stderr.isEmpty { s += "--- stderr\n" + r.stderr }
        return s + "--- exit \(r.status)\n"
    }

    /// The case's image, unpacked to `image.img` in a scratch directory.
    static func unpack(_ dir: URL) throws -> String {
        let dst = Fixtures.scratch("fsck").appendingPathComponent("image.img").path
        let sample = dir.appendingPathComponent("sample")
        let src = FileManager.default.fileExists(atPath: sample.path)
            ? Fixtures.dir.appendingPathComponent("samples/\(try String(contentsOf: sample, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)).img.gz").path
            : dir.appendingPathComponent("image.img.gz").path
        let r = try Fixtures.run("/bin/sh", ["-c", "gzip -dc '\(src)' > '\(dst)'"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return dst
    }

    // MARK: Building the corpus

    struct BuildError: Error, CustomStringConvertible {
        var description: String
    }

    static func rebuildImages() throws {
        let fm = FileManager.default
        try? fm.removeItem(at: Self.corpus)
        try fm.createDirectory(at: Self.corpus, withIntermediateDirectories: true)
        var bases: [CorpusCase.Base: String] = [:]
        for (n, c) in FsckCorpus.cases {
            let dir = Self.corpus.appendingPathComponent(String(format: "%03d-%@", n, c.name))
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try (c.name + "\n").write(to: dir.appendingPathComponent("name"), atomically: true, encoding: .utf8)
            if let s = c.sample {
                try (s + "\n").write(to: dir.appendingPathComponent("sample"), atomically: true, encoding: .utf8)
                continue
            }
            if bases[c.base] == nil { bases[c.base] = try makeBase(c.base) }
            let img = Fixtures.scratch("case").appendingPathComponent("image.img").path
            try fm.copyItem(atPath: bases[c.base]!, toPath: img)
            try c.damage(try Corruptor(path: img))
            let out = dir.appendingPathComponent("image.img.gz").path
            let r = try Fixtures.run("/bin/sh", ["-c", "gzip -9nc '\(img)' > '\(out)'"])
            guard r.status == 0 else { throw BuildError(description: "gzip: \(r.stderr)") }
        }
    }

    /// The base images: the fresh sample, a small mkgefs image, and one whose main tree has a
    /// pivot and a deadlist.
    static func makeBase(_ b: CorpusCase.Base) throws -> String {
        let dir = Fixtures.scratch("base")
        let img = dir.appendingPathComponent("\(b.rawValue).img").path
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        switch b {
        case .fresh: return try Fixtures.sample("fresh")
        case .small:
            let r = try Fixtures.tool("mkgefs", ["-s", "4M", img], env: env)
            guard r.status == 0 else { throw BuildError(description: "mkgefs: \(r.stderr)") }
        case .tree:
            let root = dir.appendingPathComponent("root")
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            for (d, n) in [("d1", 200), ("d2", 150)] {
                let sub = root.appendingPathComponent(d)
                try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
                for i in 1...n {
                    let f = sub.appendingPathComponent("f\(i)")
                    try "file \(d)/\(i)\n".write(to: f, atomically: false, encoding: .utf8)
                    try FileManager.default.setAttributes([.modificationDate: date, .posixPermissions: 0o644], ofItemAtPath: f.path)
                }
                try FileManager.default.setAttributes([.modificationDate: date, .posixPermissions: 0o755], ofItemAtPath: sub.path)
            }
            let r = try Fixtures.tool("mkgefs", ["-s", "8M", "-d", root.path, img], env: env)
            guard r.status == 0 else { throw BuildError(description: "mkgefs: \(r.stderr)") }
        }
        return img
    }
}
