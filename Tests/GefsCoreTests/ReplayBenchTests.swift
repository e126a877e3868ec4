import XCTest
import GefsCore
import GefsSynthetic
import TestSupport

/// Long synthetic logs (`SyntheticLog`, which also writes scripts/bench.sh's replay input
/// through gefs-bench-log) replay cleanly over chains of many blocks. Speed is measured by
/// scripts/bench.sh, never here.
final class ReplayBenchTests: XCTestCase {
    func testSyntheticLogReplaysOverManyBlocks() throws {
        let entries = 60_000
        let synth = SyntheticLog(entries: entries, maxLive: 512)
        let device = MemoryDevice(size: Int(synth.imageSize))
        let sb = try synth.write(to: device)
        let image = try Image(device: device)
        XCTAssertEqual(image.problems, [])
        let r = Replay.arena(image, 0)
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.committedGen, sb.qgen)
        XCTAssertTrue(r.agrees)
        XCTAssertGreaterThanOrEqual(r.committedEntries, entries)
        XCTAssertGreaterThan(r.logBlocks.count, entries / 2100)
    }
}
