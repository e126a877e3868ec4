import Foundation
import XCTest
import GefsCore
import TestSupport

/// Repairs cannot make things worse. For every case of gefs-fsck's corpus that a repair
/// writes to, a power loss after each possible number of writes leaves an image that checks as
/// it did before the repair or as repaired (up to stale copies, which the next run rewrites),
/// never a third way; a second repair run then leaves it clean. The same crash with an undo
/// file (`-z`), cut off where the crash left it, puts back the image's bytes exactly.
final class RepairCrashTests: XCTestCase {
    /// Problems a crash between sync passes leaves behind by design (§10): copies not yet
    /// rewritten.
    static let stale: Set<String> = ["superblock_stale", "arena_header_stale", "arena_footer_stale", "superblock_mismatch"]

    static let corpus = Fixtures.dir.appendingPathComponent("fsck")

    func bytes(_ corpusCase: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.unpack("fsck/\(corpusCase)/image.img"))))
    }

    /// The codes a check finds, stale copies left out; nil when the image does not open.
    func codes(_ bytes: [UInt8]) -> Set<String>? {
        guard let img = try? Image(device: MemoryDevice(bytes: bytes)) else { return nil }
        let c = Checker(image: img)
        c.run()
        return Set(c.problems.filter { $0.severity != .info }.map(\.code.id)).subtracting(Self.stale)
    }

    /// Runs the whole repair of `-y` on `dev`.
    @discardableResult
    func repair(_ dev: BlockDevice) throws -> Repairer.Outcome {
        let c = Checker(image: try Image(device: dev))
        c.run()
        return try Repairer(checker: c, mode: .all).repair()
    }

    /// Every corpus case with an image of its own (not a sample) that a repair writes to.
    func repairedCases() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted().filter {
            FileManager.default.fileExists(atPath: Self.corpus.appendingPathComponent("\($0)/image.img.gz").path)
        }
    }

    func testEveryRepairAtEveryCrashPoint() throws {
        var cases = 0, points = 0
        for name in try repairedCases() {
            let original = try bytes(name)
            let full = MemoryDevice(bytes: original)
            guard (try? Image(device: full)) != nil, (try? repair(full)) != nil, full.writesDone > 0 else { continue }
            cases += 1
            let before = codes(original)!, after = codes(full.bytes)!
            for n in 0..<full.writesDone {
                points += 1
                let what = "\(name): crash after \(n) of \(full.writesDone) writes"
                let dev = MemoryDevice(bytes: original, crashAfter: n)
                try repair(dev)
                let now = codes(dev.bytes)
                XCTAssertTrue(now == before || now == after, "\(what): \(now.map { $0.sorted() } ?? ["does not open"]), neither \(before.sorted()) nor \(after.sorted())")
                // The next run finishes the job.
                let again = MemoryDevice(bytes: dev.bytes)
                try repair(again)
                let second = try Image(device: again)
                let c = Checker(image: second)
                c.run()
                XCTAssertEqual(Set(c.problems.filter { $0.severity != .info }.map(\.code.id)), after, "\(what), then a second repair")
            }
        }
        XCTAssertGreaterThan(cases, 20)
        print("repair crashes: \(cases) corpus cases, \(points) crash points")
    }

    /// A device that tells, before each write, how many writes came before it.
    final class Tap: BlockDevice {
        let inner: MemoryDevice
        let before: (Int) -> Void
        init(_ inner: MemoryDevice, before: @escaping (Int) -> Void) { self.inner = inner; self.before = before }
        var name: String { inner.name }
        var size: Int64 { inner.size }
        func read(at addr: Int64) throws -> [UInt8] { try inner.read(at: addr) }
        func write(_ block: [UInt8], at addr: Int64) throws { before(inner.writesAttempted); try inner.write(block, at: addr) }
        func flush() throws { try inner.flush() }
    }

    /// Undo files survive the crash they are for: cut where a crash after `n` writes leaves
    /// them (the record of write n+1 is durable, half of the next one may be there), they put
    /// back every byte.
    func testUndoAtEveryCrashPoint() throws {
        for name in ["100-space-leak", "030-log-hash-mismatch", "016-arena-header-stale", "010-superblock-invalid", "033-log-no-barrier"] {
            let original = try bytes(name)
            let full = MemoryDevice(bytes: original)
            try repair(full)
            for n in 0...full.writesDone {
                let what = "\(name): crash after \(n) of \(full.writesDone) writes"
                let path = Fixtures.scratch("undo").appendingPathComponent("undo").path
                let mem = MemoryDevice(name: "image.img", bytes: original, crashAfter: n)
                var cut: UInt64?
                let tap = Tap(mem) { k in if k == n, cut == nil { cut = Self.fileSize(path) } }
                let w = try UndoWriter(path: path, image: tap)
                try repair(UndoDevice(tap, undo: w))
                try w.finish()
                if let cut {
                    // The crash: the writer stopped with the record of write n+1 durable, and a
                    // few bytes of the next record (every record is longer than 10 bytes).
                    XCTAssertEqual(truncate(path, off_t(cut) + 10), 0)
                }
                let undo = try UndoFile.read(path: path)
                XCTAssertEqual(undo.complete, cut == nil, what)
                let crashed = MemoryDevice(bytes: mem.bytes)
                try undo.apply(to: crashed)
                XCTAssertTrue(crashed.bytes == original, what)
            }
        }
    }

    static func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// An undo file refuses what is not its image, and damage anywhere but an unfinished tail.
    func testUndoRefusals() throws {
        let original = try bytes("100-space-leak")
        let path = Fixtures.scratch("undo").appendingPathComponent("undo").path
        let dev = MemoryDevice(name: "image.img", bytes: original)
        let w = try UndoWriter(path: path, image: dev)
        try repair(UndoDevice(dev, undo: w))
        try w.finish()
        XCTAssertThrowsError(try UndoWriter(path: path, image: dev), "an existing undo file is never overwritten")
        let undo = try UndoFile.read(path: path)
        XCTAssertEqual(undo.imageName, "image.img")
        XCTAssertGreaterThan(undo.blocks.count, 2)
        // Another image, or the same one changed since.
        let other = MemoryDevice(bytes: try bytes("016-arena-header-stale"))
        XCTAssertThrowsError(try undo.apply(to: other))
        var changed = dev.bytes
        changed[Int(undo.blocks[0].addr) + 100] ^= 1
        let changedDev = MemoryDevice(bytes: changed)
        XCTAssertThrowsError(try undo.apply(to: changedDev)) { XCTAssertTrue("\($0)".contains("neither what the writer wrote"), "\($0)") }
        XCTAssertTrue(changedDev.bytes == changed, "a refused undo writes nothing")
        XCTAssertThrowsError(try undo.apply(to: MemoryDevice(bytes: dev.bytes + [UInt8](repeating: 0, count: Format.blockSize))))
        // Damage: a byte of the header or of any record but the last.
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        for at in [3, 30, 40, 20000, good.count - 30] {
            var d = good
            d[at] ^= 0x10
            try d.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try UndoFile.read(path: path).apply(to: MemoryDevice(bytes: dev.bytes)), "byte \(at)") { e in
                XCTAssertTrue("\(e)".contains("damaged") || "\(e)".contains("not a gefs undo file"), "byte \(at): \(e)")
            }
        }
        // A damaged last record, or a file cut short, is what a writer that stopped early
        // leaves: the file is unfinished and its incomplete last record ignored.
        for bad in [{ var d = good; d[good.count - 3] ^= 0x10; return d }(), good.prefix(good.count - 20000)] {
            try bad.write(to: URL(fileURLWithPath: path))
            let cut = try UndoFile.read(path: path)
            XCTAssertFalse(cut.complete)
            XCTAssertTrue(cut.tornTail)
        }
        // Applying twice is harmless; applying to the image as it was before is a no-op.
        try good.write(to: URL(fileURLWithPath: path))
        try undo.apply(to: dev)
        XCTAssertTrue(dev.bytes == original)
        try undo.apply(to: dev)
        XCTAssertTrue(dev.bytes == original)
    }
}
