import Foundation
import XCTest
import GefsCore
import TestSupport

/// Hostile images never crash or hang the checker: bytes of tree nodes, deadlist blocks and log
/// blocks are changed at random and the parents re-hashed, so that the damage reaches the
/// structural and logical checks rather than stopping at a hash.
final class CheckerFuzzTests: XCTestCase {
    func testRandomDamageWithRehashedParents() throws {
        let src = Fixtures.dir.appendingPathComponent("fsck/005-clean-mkgefs-tree/image.img.gz").path
        var rng = SeededRandom(seed: 0x6765_6673)
        for round in 0..<40 {
            let path = Fixtures.scratch("fuzz").appendingPathComponent("image.img").path
            XCTAssertEqual(try Fixtures.run("/bin/sh", ["-c", "gzip -dc '\(src)' > '\(path)'"]).status, 0)
            let c = try Corruptor(path: path)
            let reader = try c.reader()
            var targets = try c.nodes(reader.snapshotTree).map(\.pointer.addr)
            for s in try reader.snapshotContents().snapshots { targets += try c.nodes(reader.tree(s)).map(\.pointer.addr) }
            targets += try reader.snapshotContents().deadlists.map(\.ref.head.addr)
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let addr = targets[Int(rng.next() % UInt64(targets.count))]
                let at = Int(rng.next() % 512)  // headers, tables and the first records
                let value = UInt8(truncatingIfNeeded: rng.next())
                try c.edit(addr) { $0[at < 256 ? at : Format.blockSize - 1 - (at - 256)] = value }
            }
            if round % 3 == 0 { try c.edit(try c.logHead(0), rehash: false) { $0[20 + Int(rng.next() % 64)] ^= 0x41 } }
            let checker = Checker(image: try Image(path: path))
            checker.run()
            XCTAssertNotNil(checker.summary.reachable[.data], "round \(round)")
            if round % 2 == 1 {
                // Repairs of a damaged image may refuse or fail, but never trap.
                let mem = MemoryDevice(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                let m = Checker(image: try Image(device: mem))
                m.run()
                _ = try? Repairer(checker: m, mode: .all).repair()
            }
        }
    }
}

