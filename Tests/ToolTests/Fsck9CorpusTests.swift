import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-fsck's gefs9.00 corpus: `Fixtures/fsck9/NNN-name/` holds `name`, `base` (the genuine
/// sample of `Fixtures/samples9` the case starts from) and `expect` (what `gefs-fsck -n` prints,
/// and its exit status). The damaged image is not kept: a genuine image is 136 MiB or more, so
/// each case is built again at test time from its sample and the damage `Fsck9Corpus.cases`
/// gives. `-n` must leave the image as it was; then `-y` repairs it (`expect.1`) and a second
/// `-n` checks the result (`expect.2`), as in the gefs8.00 corpus. Each case is a test of its own (`test_NNN_name`, in Fsck9CorpusCaseTests.swift,
/// which scripts/fsck-corpus-tests.sh writes). With `GEFS_UPDATE_GOLDEN=1` the directories and
/// outputs are written again.
final class Fsck9CorpusTests: XCTestCase {
    static let corpus = Fixtures.dir.appendingPathComponent("fsck9")

    /// The samples, unpacked once per test run.
    nonisolated(unsafe) static var bases: [String: String] = [:]

    static func base(_ name: String) throws -> String {
        if let p = bases[name] { return p }
        let p = try Fixtures.sample9(name).path
        bases[name] = p
        return p
    }

    static func dirName(_ n: Int, _ c: Corpus9Case) -> String { String(format: "%03d-%@", n, c.name) }

    /// The case's damaged image, as `image.img` in a scratch directory.
    static func build(_ c: Corpus9Case) throws -> String {
        let img = Fixtures.scratch("fsck9").appendingPathComponent("image.img").path
        let r = try Fixtures.run("/bin/cp", ["--sparse=always", try base(c.base), img])
        guard r.status == 0 else { throw CorruptorError("cp: \(r.stderr)") }
        try c.damage(try Corruptor(path: img))
        return img
    }

    /// What the image holds: every data extent of the (sparse) file, with where it lies, hashed.
    /// Reading only the extents keeps this cheap on a 160 MiB image with 2 MiB of data; a write
    /// anywhere changes the bytes of an extent or adds one.
    static func digest(_ path: String) throws -> [UInt64] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CorruptorError("cannot open \(path)") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        var out: [UInt64] = [UInt64(st.st_size)]
        var off: off_t = 0
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        let seekData: Int32 = 3, seekHole: Int32 = 4  // Linux's SEEK_DATA and SEEK_HOLE
        while off < st.st_size {
            let data = lseek(fd, off, seekData)
            guard data >= 0 else { break }
            let hole = lseek(fd, data, seekHole)
            var at = data
            while at < hole {
                let n = pread(fd, &buf, min(buf.count, Int(hole - at)), at)
                guard n > 0 else { throw CorruptorError("cannot read \(path) at \(at)") }
                out.append(UInt64(at))
                out.append(Gefs9Format.hash(buf, 0..<n))
                at += off_t(n)
            }
            off = hole
        }
        return out
    }

    /// The case directories written again once per run when golden files are being updated.
    static let prepared: Result<Void, Error> = Result {
        guard Golden.updating else { return }
        let fm = FileManager.default
        try? fm.removeItem(at: corpus)
        for (n, c) in Fsck9Corpus.cases {
            let dir = corpus.appendingPathComponent(dirName(n, c))
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try (c.name + "\n").write(to: dir.appendingPathComponent("name"), atomically: true, encoding: .utf8)
            try (c.base + "\n").write(to: dir.appendingPathComponent("base"), atomically: true, encoding: .utf8)
        }
    }

    /// Every case of `Fsck9Corpus.cases` has its directory and its test method, and nothing else.
    func testEveryCaseHasATest() throws {
        try Self.prepared.get()
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        XCTAssertEqual(dirs, Fsck9Corpus.cases.map { Self.dirName($0.0, $0.1) }, "Fixtures/fsck9 holds exactly the cases")
        XCTAssertEqual(Self.generatedCases, dirs, "the corpus changed: run scripts/fsck-corpus-tests.sh")
        XCTAssertGreaterThan(dirs.count, 50)
    }

    /// Runs one case: builds its image, runs gefs-fsck -n and compares with `expect`.
    func check(_ d: String) throws {
        try Self.prepared.get()
        guard let c = Fsck9Corpus.cases.first(where: { Self.dirName($0.0, $0.1) == d })?.1 else {
            XCTFail("\(d) is not a case of Fsck9Corpus.cases: run scripts/fsck-corpus-tests.sh")
            return
        }
        let dir = Self.corpus.appendingPathComponent(d)
        XCTAssertEqual(try? String(contentsOf: dir.appendingPathComponent("name"), encoding: .utf8), c.name + "\n", d)
        XCTAssertEqual(try? String(contentsOf: dir.appendingPathComponent("base"), encoding: .utf8), c.base + "\n", d)
        let img: String
        do { img = try Self.build(c) } catch {
            XCTFail("\(d): the damage does not apply: \(error)")
            return
        }
        let cwd = (img as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        let before = try Self.digest(img)
        let r = try Fixtures.tool("gefs-fsck", ["-n", "image.img"], cwd: cwd)
        Golden.assert(FsckCorpusTests.transcript(r), "fsck9/\(d)/expect")
        XCTAssertEqual(try Self.digest(img), before, "\(d): gefs-fsck -n changed the image")
        let found = CorpusCoverage.codes(in: r.stdout + r.stderr)
        for code in c.codes {
            XCTAssertTrue(found.contains(code), "\(d) does not produce \(code):\n\(r.stdout)\(r.stderr)")
        }
        XCTAssertTrue(r.stdout.contains("is gefs9.00") || r.status == 8, "\(d): gefs-fsck names the format")
        // A case meant only for notes and warnings (the clean controls among them) leaves the
        // exit status 0; one meant for an error says so in it.
        func severity(_ id: String) -> Severity? { ProblemCode.all.first { $0.id == id }?.severity }
        if c.codes.contains(where: { severity($0) == .error }) {
            XCTAssertTrue(r.status == 4 || r.status == 8, "\(d): exit \(r.status) for an error")
        } else {
            XCTAssertEqual(r.status, 0, "\(d): no error expected\n\(r.stdout)")
            XCTAssertFalse(found.contains { severity($0) == .error }, d)
        }
        try repair(d, cwd: cwd)
    }

    /// The repair of a case, as the gefs8.00 corpus has it: `-y` (`expect.1`), then a second `-n`
    /// (`expect.2`) that finds no error when the first left none; and when the repair left no
    /// error, the genuine gefs loads the image and its own check passes.
    func repair(_ d: String, cwd: String) throws {
        let first = try Fixtures.tool("gefs-fsck", ["-y", "image.img"], cwd: cwd)
        Golden.assert(FsckCorpusTests.transcript(first), "fsck9/\(d)/expect.1")
        let second = try Fixtures.tool("gefs-fsck", ["-n", "image.img"], cwd: cwd)
        Golden.assert(FsckCorpusTests.transcript(second), "fsck9/\(d)/expect.2")
        guard first.status & 4 == 0, first.status & 8 == 0 else { return }
        XCTAssertEqual(second.status, 0, "\(d): second run\n\(second.stdout)")
        // 092's damage (a control byte in a name, re-sorted) is not one the genuine loader
        // takes even before any repair; a note is all gefs-fsck says of it.
        guard RealGefs.unavailable == nil, !d.hasPrefix("092-") else { return }
        let genuine = try RealGefs.check((cwd as NSString).appendingPathComponent("image.img"))
        XCTAssertEqual(genuine.status, 0, "\(d): the genuine gefs's check after the repair\n\(genuine.stdout.suffix(2000))")
    }
}
