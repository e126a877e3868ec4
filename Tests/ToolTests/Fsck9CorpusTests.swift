import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-fsck's gefs9.00 corpus: `Fixtures/fsck9/NNN-name/` holds `name`, `base` (the genuine
/// sample of `Fixtures/samples9` the case starts from) and `expect` (what `gefs-fsck -n` prints,
/// and its exit status). The damaged image is not kept: a genuine image is 136 MiB or more, so
/// each case is built again at test time from its sample and the damage `Fsck9Corpus.cases`
/// gives. Repairs of gefs9.00 are not supported yet: only `-n` runs, and it must leave the image
/// as it was. With `GEFS_UPDATE_GOLDEN=1` the directories and outputs are written again.
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
        while off < st.st_size {
            let data = lseek(fd, off, 3 /* SEEK_DATA */)
            guard data >= 0 else { break }
            let hole = lseek(fd, data, 4 /* SEEK_HOLE */)
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

    func testCorpus() throws {
        let fm = FileManager.default
        if Golden.updating {
            try? fm.removeItem(at: Self.corpus)
            for (n, c) in Fsck9Corpus.cases {
                let dir = Self.corpus.appendingPathComponent(Self.dirName(n, c))
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                try (c.name + "\n").write(to: dir.appendingPathComponent("name"), atomically: true, encoding: .utf8)
                try (c.base + "\n").write(to: dir.appendingPathComponent("base"), atomically: true, encoding: .utf8)
            }
        }
        let dirs = try fm.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        XCTAssertEqual(dirs, Fsck9Corpus.cases.map { Self.dirName($0.0, $0.1) }, "Fixtures/fsck9 holds exactly the cases")
        XCTAssertGreaterThan(dirs.count, 50)
        for (n, c) in Fsck9Corpus.cases {
            let d = Self.dirName(n, c)
            let dir = Self.corpus.appendingPathComponent(d)
            XCTAssertEqual(try? String(contentsOf: dir.appendingPathComponent("name"), encoding: .utf8), c.name + "\n", d)
            XCTAssertEqual(try? String(contentsOf: dir.appendingPathComponent("base"), encoding: .utf8), c.base + "\n", d)
            let img: String
            do { img = try Self.build(c) } catch {
                XCTFail("\(d): the damage does not apply: \(error)")
                continue
            }
            let cwd = (img as NSString).deletingLastPathComponent
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
            let meantForError = c.codes.contains { id in ProblemCode.all.first { $0.id == id }?.severity == .error }
            if meantForError {
                XCTAssertTrue(r.status == 4 || r.status == 8, "\(d): exit \(r.status) for an error")
            } else {
                XCTAssertEqual(r.status, 0, "\(d): no error expected\n\(r.stdout)")
                XCTAssertFalse(found.contains { id in ProblemCode.all.first { $0.id == id }?.severity == .error }, d)
            }
            try? fm.removeItem(atPath: cwd)
        }
    }
}
