import Foundation
import XCTest
import GefsCore
import TestSupport

/// What a user sees of the safety features: undo files from gefs-fsck and gefs-replay put an
/// image back byte for byte, and every writer refuses an image another process holds locked
/// while the readers go on with a warning.
final class SafetyToolTests: XCTestCase {
    func image(_ corpusCase: String) throws -> String {
        try Fixtures.unpack("fsck/\(corpusCase)/image.img")
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testFsckUndo() throws {
        let img = try image("100-space-leak")
        let before = try bytes(img)
        let undo = (img as NSString).deletingLastPathComponent + "/leak.undo"
        let r = try Fixtures.tool("gefs-fsck", ["-y", "-z", undo, img])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("Undo: 5 blocks saved in \(undo) (gefs-fsck --apply-undo \(undo) \(img) puts them back)"), r.stdout)
        XCTAssertNotEqual(try bytes(img), before)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 0)
        // A second repair may not reuse the file.
        let again = try Fixtures.tool("gefs-fsck", ["-y", "-z", undo, img])
        XCTAssertEqual(again.status, 8)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
        let back = try Fixtures.tool("gefs-fsck", ["--apply-undo", undo, img])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(back.stdout, "gefs-fsck: \(img): 5 blocks restored from \(undo)\n")
        XCTAssertEqual(try bytes(img), before, "the image's bytes are back as they were")
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 4, "and so is the leak")
        // Not the image it belongs to.
        let other = try image("016-arena-header-stale")
        let otherBefore = try bytes(other)
        let wrong = try Fixtures.tool("gefs-fsck", ["--apply-undo", undo, other])
        XCTAssertEqual(wrong.status, 8)
        XCTAssertTrue(wrong.stderr.contains("does not match"), wrong.stderr)
        XCTAssertEqual(try bytes(other), otherBefore)
        // Usage.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", "-z", undo, img]).status, 16)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", "--apply-undo", undo, img]).status, 16)
    }

    func testReplayUndo() throws {
        let img = try Fixtures.sample("snapshots")
        let before = try bytes(img)
        let undo = (img as NSString).deletingLastPathComponent + "/rewrite.undo"
        let r = try Fixtures.tool("gefs-replay", ["--rewrite", "--write", "--undo", undo, img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("blocks saved in \(undo)"), r.stdout)
        XCTAssertEqual(try Fixtures.tool("gefs-replay", ["--rewrite", "--undo", undo, img]).status, 2, "--undo needs --write")
        let back = try Fixtures.tool("gefs-fsck", ["--apply-undo", undo, img])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try bytes(img), before)
    }

    /// Holds the writers' lock on `path` as another gefs-tools process would.
    func holdingLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let dev = try FileDevice(path: path, writable: true)
        try dev.lock(.exclusive)
        return try withExtendedLifetime(dev) { try body() }
    }

    func testWritersRefuseALockedImageAndReadersWarn() throws {
        let img = try image("100-space-leak")
        let before = try bytes(img)
        let undo = (img as NSString).deletingLastPathComponent + "/u"
        try holdingLock(img) {
            let me = "pid \(getpid())"
            for (tool, args, status) in [("gefs-fsck", ["-y", img], Int32(8)), ("gefs-fsck", ["-p", img], 8),
                                         ("gefs-replay", ["--rewrite", "--write", img], 2), ("mkgefs", ["-f", img], 1),
                                         ("mkgefs", ["-f", "-s", "8M", img], 1)] {
                let r = try Fixtures.tool(tool, args)
                XCTAssertEqual(r.status, status, "\(tool) \(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("in use: another process (\(me)) holds a lock on it"), "\(tool) \(args): \(r.stderr)")
            }
            for (tool, args) in [("gefs-fsck", ["-n", img]), ("gefs-logdump", ["--stats", img]), ("gefs-arenadump", [img]),
                                 ("gefs-replay", [img])] {
                let r = try Fixtures.tool(tool, args)
                XCTAssertNotEqual(r.status, 8, "\(tool): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("warning: \(img) is being written by another gefs-tools process"), "\(tool): \(r.stderr)")
            }
        }
        XCTAssertEqual(try bytes(img), before, "nothing was written")
        // Once the lock is gone, a writer goes ahead; a reader leaves no lock behind.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).stderr, "")
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", "-z", undo, img]).status, 1)
        try holdingLock(img) {
            let r = try Fixtures.tool("gefs-fsck", ["--apply-undo", undo, img])
            XCTAssertEqual(r.status, 8, r.stderr)
        }
    }
}
