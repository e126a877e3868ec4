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

    // MARK: Never worse

    /// A genuine image with one pivot of a tree made unreadable (its hash fails): part of the
    /// trees is unknown, so nothing may be freed.
    func damagedTree() throws -> (bytes: [UInt8], pivot: Int64) {
        var bytes = try sample("populated")
        let c = Checker(image: try Image(device: MemoryDevice(bytes: bytes)))
        c.run()
        let pivot = try XCTUnwrap(c.image.arenas.lazy.flatMap { a in
            stride(from: a.region.lowerBound, to: a.region.upperBound, by: Format.blockSize).lazy.map { $0 }
        }.first { c.space.kinds(at: $0) == [.pivot] })
        bytes[Int(pivot) + 5000] ^= 0x55
        return (bytes, pivot)
    }

    func freeMaps(_ bytes: [UInt8]) throws -> [BlockBitmap] {
        let img = try Image(device: MemoryDevice(bytes: bytes))
        return img.arenas.indices.map { Replay.arena(img, $0).free }
    }

    /// `-y` on it rewrites an invalid sb1 and frees nothing: every free map replays as before,
    /// the damaged pivot is left as it is, and no new problem appears.
    func testNothingFreedWhenATreeIsUnreadable() throws {
        var (bytes, pivot) = try damagedTree()
        let sb1 = Int(bytes.count / Format.blockSize - 1) * Format.blockSize
        bytes.replaceSubrange(sb1..<sb1 + Format.blockSize, with: [UInt8](repeating: 0, count: Format.blockSize))
        let before = try XCTUnwrap(codes(bytes))
        XCTAssertTrue(before.contains("tree_hash_mismatch"), "\(before)")
        let dev = MemoryDevice(bytes: bytes)
        let c = Checker(image: try Image(device: dev))
        c.run()
        XCTAssertFalse(c.space.complete)
        let out = try Repairer(checker: c, mode: .all).repair()
        XCTAssertTrue(out.actions.contains { $0.description.contains("sb1 rewritten") }, "\(out.actions)")
        XCTAssertEqual(try freeMaps(dev.bytes), try freeMaps(bytes), "nothing freed, nothing allocated")
        XCTAssertTrue(dev.bytes[Int(pivot)..<Int(pivot) + Format.blockSize] == bytes[Int(pivot)..<Int(pivot) + Format.blockSize])
        XCTAssertEqual(codes(dev.bytes), before, "the same problems, none new")
        let after = Checker(image: try Image(device: MemoryDevice(bytes: dev.bytes)))
        after.run()
        XCTAssertFalse(after.problems.contains { $0.code.id == "superblock_copy_invalid" })
    }

    /// With an arena's log unreadable too, its free map cannot be rebuilt without the trees: the
    /// repair refuses and writes nothing at all.
    func testAnUnrepairableImageIsLeftAlone() throws {
        var (bytes, _) = try damagedTree()
        let img = try Image(device: MemoryDevice(bytes: bytes))
        let head = Int(img.arenas[2].current!.loghd)
        bytes[head + Gefs9Format.logHeaderSize + 3] ^= 0x01  // the body hash fails
        let dev = MemoryDevice(bytes: bytes)
        for mode in [RepairMode.preen, .all] {
            let c = Checker(image: try Image(device: dev))
            c.run()
            XCTAssertTrue(c.problems.contains { $0.code.id == "log_hash_mismatch" })
            let out = try Repairer(checker: c, mode: mode).repair()
            XCTAssertEqual(out.actions, [], "\(mode)")
            XCTAssertTrue(out.notes.contains { $0.description.contains("free maps not rebuilt") }, "\(out.notes)")
            XCTAssertEqual(dev.writesDone, 0, "nothing written")
        }
    }
}
