import XCTest
import GefsCore
import TestSupport

/// Long synthetic logs (`SyntheticLog`): they replay cleanly over chains of many blocks. With
/// `GEFS_BENCH_IMAGE=PATH` the test writes a log of `GEFS_BENCH_ENTRIES` (default 10 million)
/// entries to PATH instead and prints replay throughput; `scripts/bench-replay.sh` uses this.
final class ReplayBenchTests: XCTestCase {
    func testSyntheticLogReplaysOverManyBlocks() throws {
        let env = ProcessInfo.processInfo.environment
        let path = env["GEFS_BENCH_IMAGE"]
        let entries = Int(env["GEFS_BENCH_ENTRIES"] ?? "") ?? (path == nil ? 60_000 : 10_000_000)
        let synth = SyntheticLog(entries: entries, maxLive: path == nil ? 512 : 16384)
        let device: BlockDevice
        if let path {
            FileManager.default.createFile(atPath: path, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try h.truncate(atOffset: UInt64(synth.imageSize))
            try h.close()
            device = try FileDevice(path: path, writable: true)
        } else {
            device = MemoryDevice(size: Int(synth.imageSize))
        }
        let sb = try synth.write(to: device)
        let image = try Image(device: device)
        XCTAssertEqual(image.problems, [])
        var best = Double.infinity
        var r = Replay.arena(image, 0)
        for _ in 0..<(path == nil ? 1 : 3) {
            let t0 = ContinuousClock.now
            r = Replay.arena(image, 0)
            let d = ContinuousClock.now - t0
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.committedGen, sb.qgen)
        XCTAssertTrue(r.agrees)
        XCTAssertGreaterThanOrEqual(r.committedEntries, entries)
        XCTAssertGreaterThan(r.logBlocks.count, entries / 2100)
        let total = r.committedEntries + r.logBlocks.count - 1
        print("bench: \(total) entries in \(r.logBlocks.count) log blocks replayed in \(best) s: \(Int(Double(total) / best)) entries/s")
    }
}
