import Foundation
import XCTest
import GefsCore
import TestSupport

/// Memory follows the number of blocks, not the data: a 1 TiB image (sparse: under a
/// megabyte on disk) formats, checks, repairs and dumps in a few tens of MiB.
final class LargeImageTests: XCTestCase {
    func testTerabyteSparseImage() throws {
        let dir = Fixtures.scratch("tib")
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = dir.appendingPathComponent("big.img").path
        XCTAssertEqual(try Fixtures.tool("mkgefs", ["-s", "1T", img]).status, 0)
        // Through a shell that forks it: a process forked from this one (the test runner, over
        // 100 MiB) would start with the runner's peak resident size as its own.
        let fsck = Fixtures.productsDir.appendingPathComponent("gefs-fsck").path
        let r = try Fixtures.run("/bin/sh", ["-c", "'\(fsck)' -n -t '\(img)'; exit $?"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("20/67108816 blocks used"), r.stdout)
        // `-t` prints the peak resident memory after each pass.
        let peaks = r.stdout.split(separator: "\n").compactMap { line -> Int? in
            guard let m = line.range(of: "peak memory ") else { return nil }
            return Int(line[m.upperBound...].prefix { $0.isNumber })
        }
        XCTAssertEqual(peaks.count, 5, r.stdout)
        // 64 Mi blocks: a bitmap of them is 8 MiB.
        XCTAssertLessThan(peaks.max() ?? .max, 100, "peak MiB of gefs-fsck -n on 1 TiB")
        XCTAssertEqual(try Fixtures.tool("gefs-replay", ["--rewrite", "--write", img]).status, 0)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", img]).status, 0)
    }
}
