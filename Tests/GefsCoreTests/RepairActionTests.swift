import XCTest
import GefsCore

/// Repair actions and notes as gefs-fsck prints them.
final class RepairActionTests: XCTestCase {
    func testActionLines() {
        XCTAssertEqual(RepairAction.freeMapRebuilt(arena: 1, blocks: 1, at: 0x8000, was: 3, used: 40960, usedBefore: 49152).description,
                       "arena 1: free map rebuilt from reachability; fresh log of 1 block at 0x8000 (was 3); used 49152 -> 40960")
        XCTAssertEqual(RepairAction.deadlistRechained(name: "dlist", dropped: [0x4000, 0x8000, 0xc000, 0x10000], blocks: 2, at: 0x2000, was: 1).description,
                       "dlist: dropped 4 addresses (0x4000, 0x8000, 0xc000, ...), which no older snapshot reaches; new chain of 2 blocks at 0x2000 (was 1)")
        XCTAssertEqual(RepairAction.superblockRewritten(.sb1, from: .sb0, qgen: 7).description,
                       "sb1 rewritten from the current superblock (sb0, qgen 7)")
    }

    func testNoteLines() {
        XCTAssertEqual(RepairNote.refused(.freeMapRebuild, why: "the image is truncated").lines, ["free maps not rebuilt: the image is truncated"])
        let left = [Problem(.spaceLeak, "1 block leaked", arena: 0)]
        XCTAssertEqual(RepairNote.remaining(left).lines, ["the check after the repair still finds 1 problem:", "  error space_leak: arena 0: 1 block leaked"])
    }
}
