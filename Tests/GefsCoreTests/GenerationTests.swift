import XCTest
import GefsCore

/// Snapshot gens are Int64 in the model; keys hold them as u64 and convert where they decode.
final class GenerationTests: XCTestCase {
    func testInUse() {
        let sb = Superblock(narena: 2, snapHeight: 1, snapRoot: BlockPointer(addr: 0x18000, hash: 1), nextqid: 3, nextgen: 3,
                            qgen: 1, arenasz: 0x7fc000, fssize: 0x1000000, arenas: [])
        XCTAssertTrue(sb.inUse(gen: 0))
        XCTAssertTrue(sb.inUse(gen: 2))
        XCTAssertFalse(sb.inUse(gen: 3))
        XCTAssertFalse(sb.inUse(gen: -1), "a negative gen is, as a key's u64, above every nextgen")
    }

    func testDeadlistEntryKey() {
        let d = DeadlistEntry(key: UInt64.max, 2, ref: DeadlistRef(head: .null, tail: .null))
        XCTAssertEqual(d.gen, -1)
        XCTAssertEqual(d.bgen, 2)
        XCTAssertEqual(d.key, .dlist(gen: UInt64.max, bgen: 2))
        XCTAssertEqual(d.name, "Kdlist(18446744073709551615, 2)", "named as its key is written")
    }
}
