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

    /// The directory checks stream over a file tree's key order: memory grows by a few bytes per
    /// file, within the bound of 64 MiB + 2 bits per block + 16 bytes per file (issue 17). The
    /// peak of `gefs-fsck -n` (every check, data hashed) on 100,000 one-byte files in 100
    /// directories, against the same on 10,000: the difference is what the 90,000 files cost.
    func testHundredThousandFilesMemory() throws {
        let dir = Fixtures.scratch("files")
        defer { try? FileManager.default.removeItem(at: dir) }
        func peak(files n: Int) throws -> (mib: Int, blocks: Int) {
            let src = dir.appendingPathComponent("src\(n)")
            for i in 0..<n {
                let d = src.appendingPathComponent(String(format: "d%04d", i / 1000))
                if i % 1000 == 0 { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
                XCTAssertTrue(FileManager.default.createFile(atPath: d.appendingPathComponent(String(format: "file-%07d", i)).path, contents: Data("x".utf8)))
            }
            let img = dir.appendingPathComponent("files\(n).img").path
            let mk = try Fixtures.tool("mkgefs", ["-f", "-s", "\(n / 50 + 256)M", "-d", src.path, img])
            XCTAssertEqual(mk.status, 0, mk.stderr)
            try FileManager.default.removeItem(at: src)
            defer { try? FileManager.default.removeItem(atPath: img) }
            // Through a shell that forks it, as above.
            let fsck = Fixtures.productsDir.appendingPathComponent("gefs-fsck").path
            let r = try Fixtures.run("/bin/sh", ["-c", "'\(fsck)' -n -t '\(img)'; exit $?"])
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            XCTAssertTrue(r.stdout.contains("\(n + 1) files, \(n / 1000 + 2) directories"), r.stdout)
            let peaks = r.stdout.split(separator: "\n").compactMap { line -> Int? in
                guard let m = line.range(of: "peak memory ") else { return nil }
                return Int(line[m.upperBound...].prefix { $0.isNumber })
            }
            XCTAssertEqual(peaks.count, 5, r.stdout)
            let size = try FileManager.default.attributesOfItem(atPath: img)[.size] as! Int
            return (peaks.max() ?? .max, size / 16384)
        }
        let small = try peak(files: 10_000), large = try peak(files: 100_000)
        let mib = 1 << 20
        // The bound itself, and what the 90,000 files added: 16 bytes each and 2 bits per added
        // block, with 2 MiB for the allocator's rounding (the per-file state of before, an
        // entry with its name per file, took over 200 bytes a file: 19 MiB here).
        XCTAssertLessThanOrEqual(large.mib * mib, 64 * mib + large.blocks / 4 + 100_000 * 16, "peak MiB on 100,000 files")
        XCTAssertLessThanOrEqual((large.mib - small.mib) * mib, 90_000 * 16 + (large.blocks - small.blocks) / 4 + 2 * mib,
                                 "peak MiB on 100,000 files (\(large.mib)) against 10,000 (\(small.mib))")
    }
}
