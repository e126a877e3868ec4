import XCTest
@testable import GefsCore

/// The problem catalogue as one table: every row complete and consistent, and the repairs'
/// sets read from it.
final class CatalogueTests: XCTestCase {
    func testEveryRowIsComplete() {
        var ids = Set<String>()
        for c in ProblemCode.all {
            XCTAssertTrue(ids.insert(c.id).inserted, "\(c.id) is in the catalogue twice")
            XCTAssertNotNil(c.id.range(of: #"^[a-z0-9]+(_[a-z0-9]+)*$"#, options: .regularExpression), "\(c.id) is not snake_case")
            XCTAssertFalse(c.summary.isEmpty, c.id)
            XCTAssertEqual(c.fix != nil, c.repair != .none, "\(c.id): a fix text exactly when a repair fixes it")
            if c.hidesSubtree { XCTAssertEqual(c.pass, .trees, "\(c.id): only tree walks stop below a problem") }
        }
    }

    func testRepairerReadsTheTable() {
        XCTAssertEqual(Repairer.fixable, Set(ProblemCode.all.filter(\.repair.isUnconditional)))
        for c in ProblemCode.all where c.severity == .error && c.repair == .none {
            XCTAssertFalse(c.preenSafe, "\(c.id): an error no repair fixes needs a human")
        }
        // A grown image's arena is repaired only where the format records its hash: a preen
        // must not count on it.
        XCTAssertFalse(ProblemCode.arenaNoCurrentCopy.preenSafe)
        XCTAssertTrue(ProblemCode.spaceLeak.preenSafe)
        XCTAssertTrue(ProblemCode.logDiscardedEntries.preenSafe)
    }

    /// What the repairs fixed before the table carried it (`Repairer.copyCodes`,
    /// `FreeMapRebuild.codes`): the table must say the same.
    func testRepairColumnsKeepTheirSets() {
        let copies: Set<ProblemCode> = [.superblockInvalid, .superblockStale, .superblockMismatch, .arenaHeaderStale,
                                        .arenaFooterStale, .arenaCopyCorrupt, .arenaCopyTail, .superblockCopyInvalid, .arenaUsedStale]
        XCTAssertEqual(Set(ProblemCode.all.filter { $0.repair == .copies }), copies)
        let rebuild = Set(ProblemCode.logCodes).union([.spaceLeak, .spaceUseAfterFree, .spaceUnreachable])
        XCTAssertEqual(Set(ProblemCode.all.filter { $0.repair == .freeMapRebuild || $0.repair == .withOldLog }), rebuild)
        XCTAssertEqual(ProblemCode.all.filter { $0.repair == .withOldLog }, [.logDiscardedEntries])
        XCTAssertEqual(Repairer.fixable, copies.union(rebuild))
        let hiding: Set<ProblemCode> = [.treeBlockUnreadable, .treeHashMismatch, .treeNodeType, .treeNodeLayout,
                                        .treeChildPointer, .treeHeightInvalid]
        XCTAssertEqual(Set(ProblemCode.all.filter(\.hidesSubtree)), hiding)
    }
}
