import XCTest

@testable import GefsCore

final class TallyTests: XCTestCase {
    /// Each case counts on its own, whatever the raw values' order; totals and sums add up.
    func testCountsPerCase() {
        var t = Tally<LogOp>()
        for op in LogOp.allCases { XCTAssertEqual(t[op], 0) }
        t[.free] += 2
        t[.nop] += 1
        t[.sync] += 5
        XCTAssertEqual(LogOp.allCases.map { t[$0] }, [1, 0, 0, 5, 0, 0, 0, 2])
        XCTAssertEqual(t.total, 8)
        var u = Tally<LogOp>()
        u[.free] = 1
        u += t
        XCTAssertEqual(u[.free], 3)
        XCTAssertEqual(u.total, 9)
    }

    /// Raw values with gaps still give every case its own slot.
    func testSparseRawValues() {
        enum Sparse: UInt8, CaseIterable { case a = 3, b = 0, c = 9 }
        var t = Tally<Sparse>()
        t[.c] += 1
        t[.a] += 2
        XCTAssertEqual([t[.a], t[.b], t[.c]], [2, 0, 1])
    }
}
