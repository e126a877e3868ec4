import Foundation
import XCTest
import GefsCore
import TestSupport

/// Every tool on a block device: an image file attached to a loop device (`losetup -f --show`,
/// which needs root). Each device is detached when its test ends, passed, failed or thrown. Where
/// losetup is refused (no root, no loop driver) the tests are skipped, saying why.
final class BlockDeviceToolTests: XCTestCase {
    let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]

    /// Attaches `file` to a free loop device and returns the device's path; the device is
    /// detached when the test ends, whatever happens.
    func attach(_ file: String) throws -> String {
        var r = try Fixtures.run("/bin/sh", ["-c", "losetup -f --show '\(file)'"])
        if r.status != 0, r.stderr.contains("Device or resource busy") {
            // Another process took the same free device between the lookup and the attach.
            r = try Fixtures.run("/bin/sh", ["-c", "losetup -f --show '\(file)'"])
        }
        let dev = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, dev.hasPrefix("/dev/") else {
            throw XCTSkip("losetup could not attach a loop device, so block devices cannot be tested here: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) (exit \(r.status))")
        }
        addTeardownBlock {
            let d = try? Fixtures.run("/bin/sh", ["-c", "losetup -d '\(dev)'"])
            XCTAssertEqual(d?.status, 0, "losetup -d \(dev): \(d?.stderr ?? "did not run")")
        }
        var st = stat()
        XCTAssertEqual(stat(dev, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFBLK, "\(dev) is a block device")
        return dev
    }

    /// Holds the writers' lock on `path` as another gefs-tools process would, while `body` runs.
    func holdingLock(_ path: String, _ body: () throws -> Void) throws {
        let dev = try FileDevice(path: path, writable: true)
        try dev.lock(.exclusive)
        try withExtendedLifetime(dev) { try body() }
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// A sparse file of `size` bytes, all zeros.
    func zeroFile(_ size: Int64, _ name: String = "device.img") throws -> String {
        let path = Fixtures.scratch("blockdev").appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.truncate(atOffset: UInt64(size))
        try h.close()
        return path
    }

    /// What a tool says, with the image's path replaced by `IMAGE` (to compare a device with
    /// the file behind it).
    func transcript(_ tool: String, _ args: [String], _ path: String) throws -> String {
        let r = try Fixtures.tool(tool, args + [path])
        return (r.stdout + "--- stderr\n" + r.stderr + "--- exit \(r.status)\n").replacingOccurrences(of: path, with: "IMAGE")
    }

    /// mkgefs takes the size from the device, writes the same image as on a file of that size,
    /// refuses without -f to write over a file system or other data, and never resizes a device.
    func testMkgefsOnADevice() throws {
        let size: Int64 = 24 << 20
        let backing = try zeroFile(size)
        let dev = try attach(backing)
        let r = try Fixtures.tool("mkgefs", [dev], env: epoch)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("size       25165824 bytes (24 MiB), 1536 blocks of 16384 bytes\n"), r.stdout)
        let file = try zeroFile(size, "file.img")
        XCTAssertEqual(try Fixtures.tool("mkgefs", [file], env: epoch).status, 0)
        XCTAssertEqual(try bytes(backing), try bytes(file), "the device holds what mkgefs writes to a file of its size")
        let check = try Fixtures.tool("gefs-fsck", ["-n", dev])
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("\(dev): 5/1532 blocks used (0.3%)"), check.stdout)

        // Refusals: a file system, a size the device does not have; nothing written.
        let before = try bytes(backing)
        let again = try Fixtures.tool("mkgefs", [dev], env: epoch)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "mkgefs: \(dev): already holds a gefs8.00 file system (use -f to format over it)\n")
        let big = try Fixtures.tool("mkgefs", ["-f", "-s", "32M", dev], env: epoch)
        XCTAssertEqual(big.status, 1)
        XCTAssertEqual(big.stderr, "mkgefs: \(dev): the device holds 25165824 bytes, fewer than the 33554432 asked for\n")
        XCTAssertEqual(try bytes(backing), before)
        // -f formats over it, with another user.
        let forced = try Fixtures.tool("mkgefs", ["-f", "-u", "alice", dev], env: epoch)
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertNotEqual(try bytes(backing), before)
        XCTAssertEqual(try bytes(backing).count, Int(size), "a device is never resized")
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", dev]).status, 0)

        // Data that is not gefs: refused without -f.
        let other = try zeroFile(8 << 20, "other.img")
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: other))
        h.write(Data(repeating: 0x55, count: 4096))
        try h.close()
        let odev = try attach(other)
        let refused = try Fixtures.tool("mkgefs", [odev], env: epoch)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "mkgefs: \(odev): holds data that is not a gefs image (use -f to overwrite it)\n")
        XCTAssertEqual(try bytes(other).prefix(4096), Data(repeating: 0x55, count: 4096))
    }

    /// gefs-fsck checks and repairs a device as it does the file behind it.
    func testFsckOnADevice() throws {
        for name in ["100-space-leak", "007-arena-copy-tail", "072-deadlist-reclaimable-freed"] {
            let file = try Fixtures.unpack("fsck/\(name)/image.img")
            let copy = (file as NSString).deletingLastPathComponent + "/copy.img"
            try FileManager.default.copyItem(atPath: file, toPath: copy)
            let dev = try attach(file)
            XCTAssertEqual(try transcript("gefs-fsck", ["-n"], dev), try transcript("gefs-fsck", ["-n"], copy), name)
            let y = try Fixtures.tool("gefs-fsck", ["-y", dev])
            XCTAssertEqual(y.status, 1, "\(name): \(y.stdout)")
            XCTAssertTrue(y.stdout.contains("***** IMAGE WAS MODIFIED *****"), name)
            XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", copy]).status, 1)
            XCTAssertEqual(try bytes(file), try bytes(copy), "\(name): the device was repaired as the file was")
            let n = try Fixtures.tool("gefs-fsck", ["-n", dev])
            XCTAssertEqual(n.status, 0, "\(name): \(n.stdout)")
        }
    }

    /// The dump tools read a device as they read the file behind it; gefs-replay --write
    /// rewrites its logs.
    func testDumpToolsOnADevice() throws {
        let file = try Fixtures.sample("snapshots")
        let copy = (file as NSString).deletingLastPathComponent + "/copy.img"
        try FileManager.default.copyItem(atPath: file, toPath: copy)
        let dev = try attach(file)
        // (The logs were compressed after LogSync 16: --until-gen 16 says so, exit 2.)
        for (tool, args, end) in [("gefs-logdump", [], "--- stderr\n--- exit 0\n"), ("gefs-logdump", ["--json", "-a", "1"], "--- stderr\n--- exit 0\n"),
                                  ("gefs-logdump", ["--block", "0x8000"], "--- stderr\n--- exit 0\n"),
                                  ("gefs-arenadump", [], "--- stderr\n--- exit 0\n"), ("gefs-arenadump", ["--map", "--width", "60"], "--- stderr\n--- exit 0\n"),
                                  ("gefs-replay", ["--ranges"], "--- stderr\n--- exit 0\n"), ("gefs-replay", ["--rewrite"], "--- stderr\n--- exit 0\n"),
                                  ("gefs-replay", ["--until-gen", "16"], "no longer holds LogSync 16\n--- exit 2\n")] {
            let d = try transcript(tool, args, dev)
            XCTAssertEqual(d, try transcript(tool, args, copy), "\(tool) \(args)")
            XCTAssertTrue(d.hasSuffix(end), "\(tool) \(args): \(d)")
        }
        let w = try Fixtures.tool("gefs-replay", ["--rewrite", "--write", dev])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("committed as sync 18; the image replays to the planned free maps\n"), w.stdout)
        XCTAssertEqual(try Fixtures.tool("gefs-replay", ["--rewrite", "--write", copy]).status, 0)
        XCTAssertEqual(try bytes(file), try bytes(copy))
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", dev]).status, 0)
    }

    /// The writers' lock works on a device node: writers refuse a device another process holds,
    /// readers go on with a warning.
    func testLockingOnADevice() throws {
        let file = try Fixtures.unpack("fsck/100-space-leak/image.img")
        let dev = try attach(file)
        let before = try bytes(file)
        try holdingLock(dev) {
            let me = "pid \(getpid())"
            for (tool, args, status) in [("gefs-fsck", ["-y"], Int32(8)), ("gefs-fsck", ["-p"], 8),
                                         ("gefs-replay", ["--rewrite", "--write"], 2), ("mkgefs", ["-f"], 1)] {
                let r = try Fixtures.tool(tool, args + [dev], env: epoch)
                XCTAssertEqual(r.status, status, "\(tool) \(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("in use: another process (\(me)) holds a lock on it"), "\(tool) \(args): \(r.stderr)")
            }
            for (tool, args) in [("gefs-fsck", ["-n"]), ("gefs-logdump", ["--stats"]), ("gefs-arenadump", []), ("gefs-replay", [])] {
                let r = try Fixtures.tool(tool, args + [dev])
                XCTAssertNotEqual(r.status, 8, "\(tool): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("warning: \(dev) is being written by another gefs-tools process"), "\(tool): \(r.stderr)")
            }
        }
        XCTAssertEqual(try bytes(file), before, "nothing was written")
        // The lock let go, a writer goes ahead.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", dev]).status, 1)
    }
}
