import XCTest
import Foundation
import GefsCore
import TestSupport

/// The mkgefs command: its output, exit statuses, and the images it writes.
final class MkgefsToolTests: XCTestCase {
    let epoch = ["SOURCE_DATE_EPOCH": "1718000000"]

    func mkgefs(_ args: [String], env: [String: String]? = nil) throws -> Fixtures.Result {
        try Fixtures.tool("mkgefs", args, env: env ?? epoch)
    }

    func sh(_ script: String) throws {
        let r = try Fixtures.run("/bin/sh", ["-c", script])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// A copy of Fixtures/mkgefs/demo-root with fixed modes and times (a checkout keeps neither).
    func demoRoot() throws -> String {
        let dst = Fixtures.scratch("demo").appendingPathComponent("demo-root").path
        try sh("""
            cp -R '\(Fixtures.dir.path)/mkgefs/demo-root' '\(dst)' && \
            find '\(dst)' -type d -exec chmod 755 {} + && find '\(dst)' -type f -exec chmod 644 {} + && \
            find '\(dst)' -exec touch -d @1700000000 {} +
            """)
        return dst
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The golden image: the demo tree in a 2 MiB image, and the summary mkgefs prints for it.
    /// With GEFS_UPDATE_GOLDEN=1 both are rewritten.
    func testGoldenImageAndSummary() throws {
        let img = Fixtures.scratch("golden").appendingPathComponent("golden.img").path
        let r = try mkgefs(["-s", "2M", "-d", try demoRoot(), img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        Golden.assert(r.stdout, "mkgefs/golden.summary.txt")
        let gz = Fixtures.dir.appendingPathComponent("mkgefs/golden.img.gz").path
        if Golden.updating { try sh("gzip -9nc '\(img)' > '\(gz)'") }
        XCTAssertEqual(try bytes(img), try bytes(try Fixtures.unpack("mkgefs/golden.img")), "the image differs from golden.img.gz")
        let image = try Image(path: img)
        let reader = TreeReader(image)
        let main = try reader.tree(label: "main")
        let words = try XCTUnwrap(try reader.lookup(main, path: "/src/lib/words.txt"))
        XCTAssertGreaterThan(words.dir.length, 16384)
        XCTAssertEqual(try reader.contents(main, file: words.dir),
                       [UInt8](try bytes(Fixtures.dir.path + "/mkgefs/demo-root/src/lib/words.txt")))
    }

    func testFreshSampleByteForByte() throws {
        let img = Fixtures.scratch("fresh").appendingPathComponent("f.img").path
        let r = try mkgefs(["-s", "16M", "--arenas", "2", img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(img), try bytes(try Fixtures.sample("fresh")))
        XCTAssertTrue(r.stdout.hasPrefix("size       16777216 bytes (16 MiB), 1024 blocks of 16384 bytes\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\nsb1        0xffc000\n"))
        XCTAssertTrue(r.stdout.contains("\narena 1    header 0x800000 footer 0xff8000 log 0x804000 used 16384 of 8339456\n"))
    }

    func testHelp() throws {
        let r = try mkgefs(["--help"])
        XCTAssertEqual(r.status, 0)
        for option in ["--size", "--arenas", "--user", "--root", "--force", "--dry-run", "Exit status"] {
            XCTAssertTrue(r.stdout.contains(option), option)
        }
    }

    func testUsageErrorsExit2() throws {
        for args in [[], ["-a", "0", "x.img"], ["-a", "257", "x.img"], ["-s", "12Q", "x.img"], ["--bogus", "x.img"], ["a", "b"]] {
            let r = try mkgefs(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.lowercased().contains("usage: mkgefs"), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testErrorsExit1WithOneLine() throws {
        let dir = Fixtures.scratch("errs")
        let img = dir.appendingPathComponent("e.img").path
        let cases: [([String], [String: String]?, String)] = [
            (["-s", "100K", img], nil, "mkgefs: a size of 102400 bytes is too small: gefs needs at least 1081344 bytes (1.0 MiB)\n"),
            ([img], nil, "mkgefs: \(img): does not exist (give a size to create it)\n"),
            (["-s", "2M", "-d", dir.path + "/nope", img], nil, "mkgefs: \(dir.path)/nope: cannot read: No such file or directory\n"),
            (["-s", "2M", "-a", "200", img], nil, "mkgefs: 200 arenas need an image of at least 209747968 bytes (200.0 MiB): each arena must have 64 blocks\n"),
            (["-s", "2M", "-u", "adm", img], nil, "mkgefs: bad user name \"adm\": adm is already in the users file\n"),
            (["-s", "2M", img], ["SOURCE_DATE_EPOCH": "soon"], "mkgefs: bad SOURCE_DATE_EPOCH \"soon\": expected whole seconds since 1970\n"),
        ]
        for (args, env, message) in cases {
            let r = try mkgefs(args, env: env)
            XCTAssertEqual(r.status, 1, "\(args)")
            XCTAssertEqual(r.stderr, message)
            XCTAssertEqual(r.stdout, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: img), "\(args) wrote nothing")
        }
    }

    func testRefusalAndForce() throws {
        let img = Fixtures.scratch("force").appendingPathComponent("x.img").path
        XCTAssertEqual(try mkgefs(["-s", "2M", img]).status, 0)
        let before = try bytes(img)
        let r = try mkgefs(["-u", "alice", img], env: ["SOURCE_DATE_EPOCH": "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "mkgefs: \(img): already holds a gefs8.00 file system (use -f to format over it)\n")
        XCTAssertEqual(try bytes(img), before)
        let f = try mkgefs(["-f", "-u", "alice", img], env: ["SOURCE_DATE_EPOCH": "1"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertTrue(f.stdout.contains("\nuser       alice\n"))
        let reader = TreeReader(try Image(path: img))
        let adm = try reader.tree(label: "adm")
        let users = try XCTUnwrap(try reader.lookup(adm, path: "/users"))
        XCTAssertEqual(String(decoding: try reader.contents(adm, file: users.dir), as: UTF8.self), "-1:adm::alice\n0:none::\n1:alice:alice:\n")
        XCTAssertEqual(users.dir.mtime, 1_000_000_000)
    }

    func testDryRunWritesNothing() throws {
        let img = Fixtures.scratch("dry").appendingPathComponent("d.img").path
        let r = try mkgefs(["-n", "-s", "64G", img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("size       68719476736 bytes (64 GiB), 4194304 blocks of 16384 bytes\narenas     1 of"))
        XCTAssertTrue(r.stdout.hasSuffix("\ndry run: nothing was written\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: img))
    }

    /// Without -s an existing file keeps its size; skipped host files are warned about on stderr.
    func testExistingFileAndWarnings() throws {
        let dir = Fixtures.scratch("existing")
        let img = dir.appendingPathComponent("e.img").path
        try sh("truncate -s 3M '\(img)' && mkdir '\(dir.path)/src' && echo hi > '\(dir.path)/src/f' && ln -s f '\(dir.path)/src/l'")
        let r = try mkgefs(["-d", dir.path + "/src", img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "mkgefs: warning: skipped \(dir.path)/src/l: symbolic link\n")
        XCTAssertTrue(r.stdout.hasPrefix("size       3145728 bytes (3 MiB), 192 blocks"))
        XCTAssertTrue(r.stdout.contains("\npopulated  0 directories, 1 files, 1 data blocks, 0 holes, 1 skipped\n"), r.stdout)
    }

    /// gefs-fsck finds nothing wrong in mkgefs images: fresh, populated with a pivot and a
    /// compressed log, and populated through a symbolic link to the host directory.
    func testImagesPassFsck() throws {
        let dir = Fixtures.scratch("fsck")
        // Some 600 MiB of source and image: not left behind.
        defer { try? FileManager.default.removeItem(at: dir) }
        try sh("""
            mkdir -p '\(dir.path)/src/d' && for i in $(seq 1 300); do echo "file $i" > '\(dir.path)/src/d/'f$i; done && \
            head -c 300M /dev/zero | tr '\\0' x > '\(dir.path)/src/big' && ln -s src '\(dir.path)/link'
            """)
        for (name, args) in [("fresh", ["-s", "8M"]), ("populated", ["-s", "1G", "-d", dir.path + "/link"])] {
            let img = dir.appendingPathComponent("\(name).img").path
            let r = try mkgefs(args + [img])
            XCTAssertEqual(r.status, 0, r.stderr)
            if name == "populated" {
                XCTAssertTrue(r.stdout.contains("(2 log blocks)"), "the log was compressed: \(r.stdout)")
                XCTAssertTrue(r.stdout.contains("main tree  height 2"), r.stdout)
            }
            let f = try Fixtures.tool("gefs-fsck", [img])
            XCTAssertEqual(f.status, 0, "\(name): \(f.stdout)\(f.stderr)")
            XCTAssertTrue(f.stdout.contains(": 0 errors, 0 warnings"), f.stdout)
        }
    }
}
