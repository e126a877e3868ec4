import Foundation
import XCTest
import GefsCore
import TestSupport

/// Repairs cannot make things worse: a power loss after any number of writes leaves an image
/// that checks either as it was before the repair or as repaired, never with new errors.
final class RepairCrashTests: XCTestCase {
    func bytes(_ corpusCase: String) throws -> [UInt8] {
        let path = Fixtures.scratch("crash").appendingPathComponent("image.img").path
        let src = Fixtures.dir.appendingPathComponent("fsck/\(corpusCase)/image.img.gz").path
        XCTAssertEqual(try Fixtures.run("/bin/sh", ["-c", "gzip -dc '\(src)' > '\(path)'"]).status, 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func codes(_ dev: BlockDevice) throws -> Set<String> {
        let c = Checker(image: try Image(device: dev))
        c.run()
        return Set(c.problems.filter { $0.severity != .info }.map(\.code.id))
    }

    func crashAtEveryWrite(_ corpusCase: String) throws {
        let original = try bytes(corpusCase)
        let before = try codes(MemoryDevice(bytes: original))
        XCTAssertFalse(before.isEmpty)
        // The whole repair, to count its writes.
        let full = MemoryDevice(bytes: original)
        _ = try Repairer(checker: { let c = Checker(image: try Image(device: full)); c.run(); return c }(), mode: .all).repair()
        XCTAssertEqual(try codes(MemoryDevice(bytes: full.bytes)), [], corpusCase)
        let writes = full.writesDone
        XCTAssertGreaterThan(writes, 0)
        for n in 0..<writes {
            let dev = MemoryDevice(bytes: original, crashAfter: n)
            let c = Checker(image: try Image(device: dev))
            c.run()
            _ = try Repairer(checker: c, mode: .all).repair()
            let after = try codes(MemoryDevice(bytes: dev.bytes))
            XCTAssertTrue(after.isSubset(of: before.union(["superblock_stale", "arena_header_stale", "arena_footer_stale", "superblock_mismatch"])),
                          "\(corpusCase): crash after \(n) of \(writes) writes: \(after.subtracting(before))")
        }
    }

    func testLeakRebuild() throws { try crashAtEveryWrite("100-space-leak") }
    func testUseAfterFreeRebuild() throws { try crashAtEveryWrite("101-space-use-after-free") }
    func testDamagedLogRebuild() throws { try crashAtEveryWrite("030-log-hash-mismatch") }
    func testCopyRewrite() throws { try crashAtEveryWrite("016-arena-header-stale") }
    func testSuperblockRewrite() throws { try crashAtEveryWrite("010-superblock-invalid") }
}
