import XCTest
import GefsCore
import TestSupport

final class HashTests: XCTestCase {
    func testVectors() {
        XCTAssertEqual(XXH3.hash([UInt8](repeating: 0, count: 16384)), 0xb7ce04b81707a4d0)
        XCTAssertEqual(XXH3.hash(Array("abc".utf8)), 0x78af5f94892f3950)
    }
}
