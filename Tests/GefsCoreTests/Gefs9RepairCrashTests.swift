import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs9.00 repairs cannot make things worse either (FORMAT-9FRONT.md §8.5, §10): on genuine
/// images with halt leftovers, a power loss after each possible number of writes of `-p`, `-y`
/// and `gefs-replay --rewrite --write` leaves an image that checks as before or as repaired (up
/// to stale copies, which the next run rewrites), never a third way, and a second repair run
/// then converges to the repaired state.
final class Gefs9RepairCrashTests: XCTestCase {
    /// Problems a crash between sync passes leaves behind by design (§10): copies not yet rewritten.
    static let stale: Set<String> = ["superblock_stale", "arena_header_stale", "arena_footer_stale",
                                     "superblock_mismatch", "superblock_copy_invalid"]

    func codes(_ bytes: [UInt8]) -> Set<String>? {
        guard let img = try? Image(device: MemoryDevice(bytes: bytes)) else { return nil }
        let c = Checker(image: img)
        c.run()
        return Set(c.problems.filter { $0.severity != .info }.map(\.code.id)).subtracting(Self.stale)
    }

    func repair(_ dev: BlockDevice, _ mode: RepairMode) throws {
        let c = Checker(image: try Image(device: dev))
        c.run()
        _ = try Repairer(checker: c, mode: mode).repair()
    }

    func rewrite(_ dev: BlockDevice) throws {
        let img = try Image(device: dev)
        try LogRewrite.plan(image: img, arenas: Array(img.arenas.indices)).commit(to: dev)
    }

    /// Cuts `write` after every number of writes it makes on `original`.
    func crashEverywhere(_ name: String, _ original: [UInt8], _ write: (BlockDevice) throws -> Void,
                         second: (BlockDevice) throws -> Void) throws -> Int {
        let full = MemoryDevice(bytes: original)
        try write(full)
        XCTAssertGreaterThan(full.writesDone, 0, name)
        let before = try XCTUnwrap(codes(original)), after = try XCTUnwrap(codes(full.bytes))
        XCTAssertNotEqual(before, after, "\(name) changes something")
        for n in 0..<full.writesDone {
            let what = "\(name): crash after \(n) of \(full.writesDone) writes"
            let dev = MemoryDevice(bytes: original, crashAfter: n)
            try write(dev)
            let now = codes(dev.bytes)
            XCTAssertTrue(now == before || now == after,
                          "\(what): \(now.map { $0.sorted() } ?? ["does not open"]), neither \(before.sorted()) nor \(after.sorted())")
            let again = MemoryDevice(bytes: dev.bytes)
            try second(again)
            XCTAssertEqual(codes(again.bytes), after, "\(what), then a second run")
            let c = Checker(image: try Image(device: again))
            c.run()
            XCTAssertEqual(c.problems.filter { $0.severity != .info }.map(\.code.id), [], "\(what): nothing stale left")
        }
        return full.writesDone
    }

    func sample(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.sample9(name).path)))
    }

    func testPreenAtEveryCrashPoint() throws {
        let original = try sample("fresh")
        let n = try crashEverywhere("fresh -p", original, { try repair($0, .preen) }, second: { try repair($0, .preen) })
        XCTAssertEqual(n, 8 + 8 + 2 + 8, "8 new logs, 8 headers, sb0, sb1, 8 footers")
    }

    /// A chained (two-block) genuine log, never synced: qgen 0 and no barrier anywhere.
    func testRepairOfANeverSyncedImageAtEveryCrashPoint() throws {
        let original = try sample("unsynced")
        _ = try crashEverywhere("unsynced -y", original, { try repair($0, .all) }, second: { try repair($0, .all) })
    }

    /// The rewrite alone reclaims nothing (the halt leftovers stay): a crash leaves the old or
    /// the new logs; the second run of the rewrite converges.
    func testRewriteAtEveryCrashPoint() throws {
        let original = try sample("populated")
        let full = MemoryDevice(bytes: original)
        try rewrite(full)
        let want = try XCTUnwrap(codes(full.bytes))
        XCTAssertEqual(want, codes(original), "the rewrite changes no finding but the log's")
        for n in 0..<full.writesDone {
            let dev = MemoryDevice(bytes: original, crashAfter: n)
            try rewrite(dev)
            XCTAssertEqual(codes(dev.bytes), want, "crash after \(n) of \(full.writesDone) writes")
            let again = MemoryDevice(bytes: dev.bytes)
            try rewrite(again)
            let img = try Image(device: again)
            XCTAssertGreaterThan(img.qgen, try Image(device: MemoryDevice(bytes: original)).qgen)
            let c = Checker(image: img)
            c.run()
            XCTAssertEqual(Set(c.problems.filter { $0.severity != .info }.map(\.code.id)), want, "crash after \(n), then a second rewrite")
        }
    }
}
