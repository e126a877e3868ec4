import XCTest
import Foundation
import GefsCore
import TestSupport

/// gefs-arenadump on the sample images and on damaged copies of them, against golden outputs.
final class ArenadumpToolTests: XCTestCase {
    /// Runs the tool in the image's directory so that outputs name the image by its file name.
    func dump(_ path: String, _ args: [String] = []) throws -> Fixtures.Result {
        let url = URL(fileURLWithPath: path)
        return try Fixtures.tool("gefs-arenadump", args + [url.lastPathComponent], cwd: url.deletingLastPathComponent().path)
    }

    func testSamplesMatchGoldens() throws {
        for name in ["fresh", "populated", "snapshots", "crashed"] {
            let r = try dump(try Fixtures.sample(name))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            Golden.assert(r.stdout, "arenadump/\(name).txt")
        }
    }

    func testJSONAndRanges() throws {
        let r = try dump(try Fixtures.sample("crashed"), ["--json", "--ranges", "-a", "1"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "arenadump/crashed-a1.json")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let arenas = doc["arenas"] as! [[String: Any]]
        XCTAssertEqual(arenas.map { $0["index"] as! Int }, [1])
        XCTAssertEqual(arenas[0]["current_copy"] as? String, "footer")
        XCTAssertEqual((arenas[0]["ranges"] as! [[Int]]).count, arenas[0]["free_extents"] as? Int)
        XCTAssertEqual((doc["superblocks"] as! [[String: Any]]).map { $0["current"] as! Bool }, [true, false])
    }

    func testSuperblockOnly() throws {
        let r = try dump(try Fixtures.sample("fresh"), ["-S"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("superblock sb1 at 0xffc000: valid"))
        XCTAssertFalse(r.stdout.contains("arena 0:"))
    }

    /// A damaged sb0 (one byte of its hashed fields changed): the dump goes on from sb1,
    /// shows where the copies differ, names the problem and exits 1.
    func testDamagedSuperblock() throws {
        let path = try Fixtures.sample("fresh")
        try patch(path, at: 0x5f, byte: 0x07)  // nextgen 3 -> 7, hash now wrong
        let r = try dump(path)
        XCTAssertEqual(r.status, 1)
        Golden.assert(r.stdout, "arenadump/damaged-sb0.txt")
        XCTAssertTrue(r.stdout.contains("superblock sb0 at 0x0: INVALID: superblock: hash mismatch"))
        XCTAssertTrue(r.stdout.contains("sb0 and sb1 differ in: nextgen"))
        XCTAssertTrue(r.stdout.contains("error superblock_invalid: block 0x0: sb0:"))
    }

    /// A log block whose data no longer matches its loghash: the arena is dumped as far as it can be read.
    func testDamagedLog() throws {
        let path = try Fixtures.sample("populated")
        try patch(path, at: 0x8000 + 12 + 40, byte: 0xff)
        let r = try dump(path, ["-a", "0"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("error log_hash_mismatch: arena 0 block 0x8000:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("MISMATCH"))
    }

    func testUsageAndIOErrors() throws {
        let missing = try Fixtures.tool("gefs-arenadump", ["/nonexistent/x.img"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/x.img: cannot open"), missing.stderr)
        let badArena = try dump(try Fixtures.sample("fresh"), ["-a", "5"])
        XCTAssertEqual(badArena.status, 2)
        XCTAssertTrue(badArena.stderr.contains("no arena 5 (the image has 2)"))
        let badFlag = try Fixtures.tool("gefs-arenadump", ["--bogus", "x"])
        XCTAssertEqual(badFlag.status, 2)
        let notGefs = Fixtures.scratch().appendingPathComponent("zero.img").path
        FileManager.default.createFile(atPath: notGefs, contents: Data(count: 1 << 20))
        let z = try Fixtures.tool("gefs-arenadump", [notGefs])
        XCTAssertEqual(z.status, 2)
        XCTAssertTrue(z.stderr.contains("no valid superblock"), z.stderr)
    }

    func patch(_ path: String, at offset: UInt64, byte: UInt8) throws {
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.seek(toOffset: offset)
        h.write(Data([byte]))
        try h.close()
    }
}
