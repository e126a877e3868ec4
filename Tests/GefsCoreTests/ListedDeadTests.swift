import XCTest
@testable import GefsCore

/// Pass 3's table of listed dead addresses: sorted lookups, and what the walked trees reach.
final class ListedDeadTests: XCTestCase {
    func testLookupAndReach() {
        var t = ListedDead(killers: [0xc000: 5, 0x4000: 3, 0x8000: 5])
        XCTAssertEqual(t.entries.map(\.addr), [0x4000, 0x8000, 0xc000])
        XCTAssertEqual(t.index(0x8000), 1)
        XCTAssertNil(t.index(0x6000))
        t.noteReach(0x8000, by: WalkedGens(min: 2, all: [2, 5]))
        t.noteReach(0xc000, by: WalkedGens(min: 4, all: [4]))
        t.noteReach(0x6000, by: WalkedGens(min: 1, all: [1]))
        XCTAssertEqual(t[1].minGen, 2)
        XCTAssertTrue(t[1].live, "the killer's own tree reaches it")
        XCTAssertEqual(t[2].minGen, 4)
        XCTAssertFalse(t[2].live)
        XCTAssertEqual(t[0].minGen, .max, "nothing reaches it")
    }
}
