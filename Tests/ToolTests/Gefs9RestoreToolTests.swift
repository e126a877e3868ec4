import Foundation
import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// gefs-restore on gefs9.00 images the genuine 9front gefs wrote: the genuine samples against
/// their facts (every file of `main` and of the older snapshot `base`), and a host tree copied in
/// by the genuine gefs (`../shared/realgefs --root`) restored with `-m` and compared with the
/// source and with what the genuine gefs lists.
final class Gefs9RestoreToolTests: XCTestCase, RestoreTesting {
    func sha256(_ path: String) throws -> String {
        try Fixtures.run("/usr/bin/sha256sum", [path]).stdout.split(separator: " ")[0].description
    }

    func testSamplesRestoreAsTheirFactsSay() throws {
        let (img, facts) = try Fixtures.sample9("populated")
        let snapshots = facts["snapshots"] as! [String: [String: Any]]
        for (snap, gen) in [("main", "6"), ("base", "4")] {
            let out = dest()
            let r = try unchanged(img) { try restore(["-m", "--snap", snap, img, out]) }
            XCTAssertEqual(r.status, 0, r.stderr)
            var files = 0
            // DEST itself is the root: its bits are the caller's, as with `btrfs restore`.
            for p in snapshots[gen]!["paths"] as! [[String: Any]] where p["path"] as? String != "/" {
                let path = out + (p["path"] as! String)
                var st = stat()
                XCTAssertEqual(lstat(path, &st), 0, "\(snap) \(p["path"]!) restored")
                XCTAssertEqual(String(st.st_mode & 0o777, radix: 8), (p["mode"] as! String).dropFirst(2).description, "\(snap) \(p["path"]!) mode")
                guard p["dir"] as? Bool != true else { continue }
                files += 1
                XCTAssertEqual(Int(st.st_size), p["length"] as? Int, "\(snap) \(p["path"]!) length")
                XCTAssertEqual(try sha256(path), p["sha256"] as? String, "\(snap) \(p["path"]!) contents")
            }
            XCTAssertEqual(files, snapshots[gen]!["files"] as? Int, snap)
        }
    }

    func testATreeTheGenuineGefsWroteComesBack() throws {
        if let why = RealGefs.unavailable { throw XCTSkip(why) }
        let src = Fixtures.scratch("src9").appendingPathComponent("root").path
        try sh("""
            mkdir -p '\(src)/a/b/c' '\(src)/empty' && cd '\(src)'
            head -c 100000 /dev/urandom > a/big.bin; printf hello > a/b/c/small.txt; : > a/zero
            for i in $(seq 1 150); do printf 'file %d\\n' $i > a/b/f$i; done
            chmod 0640 a/b/c/small.txt; chmod 0700 a/big.bin; chmod 0750 empty
            """)
        let img = Fixtures.scratch("img9").appendingPathComponent("g.img").path
        let made = try Fixtures.run(RealGefs.script, [img, "--size", "200M", "--root", src, "--snap", ""])
        XCTAssertEqual(made.status, 0, made.stderr)
        let listed = try Fixtures.run(RealGefs.script, ["--ls", img, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let genuine = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as! [[String: Any]]
        let out = dest()
        let r = try unchanged(img) { try restore(["-m", img, out]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        let source = tree(src), restored = tree(out)
        // Contents and permission bits are the source's; times are the genuine gefs's (the kit
        // writes files at copy time), checked against its own listing below.
        assertSameTree(source, restored, metadata: false)
        for (p, s) in source { XCTAssertEqual(restored[p]?.perm, s.perm, show(p)) }
        for e in genuine where (e["path"] as! String) != "/" {
            let rel = Array((e["path"] as! String).dropFirst().utf8)
            // The restore keeps Xdir's nanoseconds; the genuine stat rounds to the nearest second.
            XCTAssertEqual(restored[rel].map { Int(($0.mtime + 500_000_000) / 1_000_000_000) }, e["mtime"] as? Int,
                           "\(e["path"]!) mtime as the genuine gefs lists it")
        }
    }

    /// The snapshot tree's root zeroed: without `--scan` nothing of main can be found (exit 1,
    /// the damage named); with it, every file of main comes back from the nodes found by
    /// structure, and the image is never written.
    func testScanFindsMainWhenTheSnapshotTreeIsGone() throws {
        let (img, facts) = try Fixtures.sample9("populated")
        let snap = ((facts["superblock"] as! [String: Any])["snap"] as! [String: Any])["addr"] as! Int
        try sh("dd if=/dev/zero of='\(img)' bs=16384 seek=\(snap / 16384) count=1 conv=notrunc 2>/dev/null")
        let plain = try unchanged(img) { try restore([img, dest()]) }
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.contains("label_dangling"), plain.stderr)
        let out = dest()
        let scanned = try unchanged(img) { try restore(["--scan", img, out]) }
        XCTAssertEqual(scanned.status, 1, "a scan's result is a best reading: \(scanned.stderr)")
        let paths = ((facts["snapshots"] as! [String: [String: Any]])["6"]!["paths"] as! [[String: Any]])
        for p in paths where p["dir"] as? Bool != true {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + (p["path"] as! String)), "\(p["path"]!) found by scan")
        }
    }
}
