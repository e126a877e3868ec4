import Foundation
import XCTest
import GefsCore
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// gefs-restore on real images: mkgefs -d images restored and compared with their source
/// (contents, names, modes and mtimes with -m, holes), the snapshots sample's older snapshots,
/// damaged images (each damage named, everything outside it restored byte for byte), --scan
/// when the snapshot tree or the superblocks are gone, and the image untouched by every run.
final class RestoreToolTests: XCTestCase, RestoreTesting {
    // MARK: Whole trees

    func testRestoresMkgefsTreeWithMetadata() throws {
        let src = try makeSource()
        let img = try makeImage(src)
        let out = dest()
        let r = try unchanged(img) { try restore(["-m", img, out]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let source = tree(src)
        XCTAssertTrue(r.stdout.contains("restored \(source.values.filter { !$0.isDir }.count) files and \(source.values.filter(\.isDir).count) directories"), r.stdout)
        assertSameTree(source, tree(out), metadata: true)
        // Holes stay holes: inside, and at the end of the file.
        XCTAssertTrue(hole(out + "/sparse.bin", at: 32768), "the hole in sparse.bin was written")
        XCTAssertTrue(hole(out + "/sparse.bin", at: 180224), "the tail of sparse.bin was written")
        XCTAssertFalse(hole(out + "/sparse.bin", at: 98304))
        // The image's tree had pivots: the test is about more than one leaf.
        let reader = TreeReader(try Image(path: img))
        XCTAssertGreaterThan(try reader.tree(label: "main").height, 1)
    }

    func testWithoutMetadataContentsAndNamesOnly() throws {
        let src = try makeSource(files: 40)
        let img = try makeImage(src)
        let out = dest()
        let r = try unchanged(img) { try restore([img, out]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = tree(out)
        assertSameTree(tree(src), got, metadata: false)
        XCTAssertNotEqual(got[Array("big.bin".utf8)]?.mtime, 1_600_000_000_500_000_000, "times are set only with -m")
    }

    func testDryRunListsEveryEntryAndWritesNothing() throws {
        let src = try makeSource(files: 30)
        let img = try makeImage(src)
        let out = dest()
        let r = try unchanged(img) { try restore(["-D", img, out]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let source = tree(src, contents: false)
        XCTAssertEqual(lines.count, source.count + 1, r.stdout)
        XCTAssertTrue(lines.contains("--rwxr-xr-x      1200000 2020-09-13T12:26:40.500000000Z /big.bin"), r.stdout)
        XCTAssertTrue(lines.contains("d-rwxr-x---            0 2023-11-14T22:13:20.123456789Z /emptydir"), r.stdout)
        XCTAssertTrue(lines.contains("--rw-------       300000 2023-11-14T22:13:20.123456789Z /sparse.bin"), r.stdout)
        XCTAssertEqual(lines.last, "\(source.values.filter { !$0.isDir }.count) files and \(source.values.filter(\.isDir).count) directories, \(source.values.reduce(0) { $0 + $1.size }) bytes, would be restored from snapshot 2 (main)")
        // With -m, the Plan 9 owner and group (mkgefs's default user).
        let m = try restore(["-D", "-m", img, out])
        XCTAssertTrue(m.stdout.contains("--rwxr-xr-x glenda glenda      1200000 "), m.stdout)
    }

    func testListShowsEveryTree() throws {
        let img = try Fixtures.sample("snapshots")
        let r = try unchanged(img) { try restore(["-l", img]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        let reader = TreeReader(try Image(path: img))
        let contents = try reader.snapshotContents()
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, contents.snapshots.count + 1)
        for (line, s) in zip(lines.dropFirst(), contents.snapshots) {
            var dirs = 0, files = 0
            try reader.walkFiles(reader.tree(s)) { p, e in if p != "/" { if e.isDirectory { dirs += 1 } else { files += 1 } } }
            let f = line.split(separator: " ").map(String.init)
            XCTAssertEqual(f[0], String(s.gen), line)
            XCTAssertEqual(f[1], s.pred < 0 ? "-" : String(s.pred), line)
            XCTAssertEqual(f[2], String(s.height), line)
            XCTAssertEqual(f[3], String(dirs), line)
            XCTAssertEqual(f[4], String(files), line)
            XCTAssertEqual(Array(f[6...]), contents.labels(of: s.gen).map(\.text).sorted(), line)
        }
        let j = try restore(["-l", "--json", img])
        let trees = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(trees.map { $0["gen"] as! Int }, contents.snapshots.map { Int($0.gen) })
        XCTAssertEqual(trees.last?["labels"] as? [String], ["main"])
    }

    /// The sample's older snapshots hold files main has since changed or removed: each
    /// snapshot restores as the tree reader reads it.
    func testOlderSnapshotsOfTheSample() throws {
        let img = try Fixtures.sample("snapshots")
        let reader = TreeReader(try Image(path: img))
        func expected(_ label: String) throws -> [[UInt8]: RestoredEntry] {
            let t = try reader.tree(label: label)
            var out: [[UInt8]: RestoredEntry] = [:]
            try reader.walkFiles(t) { p, e in
                guard p != "/" else { return }
                let content = e.isDirectory ? nil : Data(try reader.contents(t, file: e.dir))
                out[Array(p.dropFirst().utf8)] = RestoredEntry(isDir: e.isDirectory, perm: e.dir.mode & 0o777, size: e.isDirectory ? 0 : Int64(e.dir.length),
                                                       mtime: e.dir.mtime, content: content)
            }
            return out
        }
        var restored: [String: [[UInt8]: RestoredEntry]] = [:]
        for label in ["snap1", "snap3", "main"] {
            let out = dest()
            let r = try unchanged(img) { try restore(["-m", "--snap", label, img, out]) }
            XCTAssertEqual(r.status, 0, r.stderr)
            let want = try expected(label)
            assertSameTree(want, tree(out), metadata: true)
            restored[label] = want
        }
        let old = restored["snap1"]!, main = restored["main"]!
        XCTAssertTrue(old.keys.contains { main[$0] == nil }, "snap1 holds files main no longer has")
        XCTAssertTrue(old.contains { k, v in !v.isDir && main[k].map { $0.content != v.content } ?? false }, "and files main has changed")
        // --gen names the same tree.
        let out = dest()
        XCTAssertEqual(try restore(["-m", "--gen", "2", img, out]).status, 0)
        assertSameTree(old, tree(out), metadata: true)
    }

    // MARK: Choosing what

    func testPathsIncludeAndCat() throws {
        let src = try makeSource(files: 48)
        let img = try makeImage(src)
        let source = tree(src)
        let out = dest()
        let r = try unchanged(img) { try restore(["-m", img, out, "dir3", "/with space/a file.txt", "--include", "*.bin"]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        let want = source.filter { k, _ in
            let p = show(k)
            return p.hasPrefix("dir3/") || p == "dir3" || p == "with space" || p == "with space/a file.txt" || p.hasSuffix(".bin")
        }
        assertSameTree(want, tree(out), metadata: false)
        XCTAssertEqual(tree(out)[Array("dir3/sub0".utf8)]?.mtime, source[Array("dir3/sub0".utf8)]?.mtime)
        // A path that names nothing is reported, exit 1, the rest restored.
        let miss = try restore([img, dest(), "nope", "big.bin"])
        XCTAssertEqual(miss.status, 1)
        XCTAssertTrue(miss.stderr.contains("lost: nope: no such file or directory in snapshot 2 (main)"), miss.stderr)
        // --cat: contents on stdout, holes as zeros.
        for f in ["sparse.bin", "big.bin", "empty", "café.txt", "dir5/sub2/file-5.dat"] {
            let catOut = Fixtures.scratch("cat").appendingPathComponent("out").path
            try sh("'\(Fixtures.productsDir.path)/gefs-restore' --cat '/\(f)' '\(img)' > '\(catOut)'")
            XCTAssertEqual(try bytes(catOut), source[Array(f.utf8)]!.content, f)
        }
        XCTAssertEqual(try restore(["-c", "/dir3", img]).status, 1, "a directory cannot be written to standard output")
        XCTAssertEqual(try restore(["-c", "/nope", img]).status, 1)
    }

    func testUsageErrorsExit2() throws {
        let img = try Fixtures.sample("fresh")
        for args in [[img], ["-l", img, "dest"], ["--snap", "main", "--gen", "2", img, "d"], ["--gen", "x", img, "d"],
                     ["-c", "/a", img, "d"], ["--bogus", img, "d"], []] {
            let r = try restore(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Usage: gefs-restore") || r.stderr.contains("usage: gefs-restore"), "\(args): \(r.stderr)")
        }
        let missing = try restore(["/nonexistent/x.img", dest()])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/x.img: cannot open"), missing.stderr)
        let label = try restore(["--snap", "nope", img, dest()])
        XCTAssertEqual(label.status, 1)
        XCTAssertTrue(label.stderr.contains("label \"nope\": not restored: label_dangling: no label \"nope\" in the snapshot tree"), label.stderr)
    }

    // MARK: DEST

    func testExistingEntriesSkippedUnlessOverwrite() throws {
        let src = try makeSource(files: 20)
        let img = try makeImage(src)
        let out = dest()
        XCTAssertEqual(try restore([img, out]).status, 0)
        // An edited file and a symbolic link that points outside DEST, where a file goes.
        let outside = Fixtures.scratch("outside").appendingPathComponent("target").path
        try sh("printf 'keep' > '\(outside)'; printf 'edited' > '\(out)/café.txt'; rm '\(out)/empty'; ln -s '\(outside)' '\(out)/empty'")
        let again = try unchanged(img) { try restore([img, out]) }
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("/café.txt: skipped: \(out)/café.txt exists (-o replaces it)"), again.stderr)
        let files = tree(src, contents: false).values.filter { !$0.isDir }.count
        XCTAssertTrue(again.stdout.contains("restored 0 files"), again.stdout)
        XCTAssertTrue(again.stdout.contains("skipped \(files) existing entries (-o replaces them)"), again.stdout)
        XCTAssertEqual(try String(contentsOfFile: out + "/café.txt", encoding: .utf8), "edited")
        let o = try unchanged(img) { try restore(["-o", img, out]) }
        XCTAssertEqual(o.status, 0, o.stderr)
        assertSameTree(tree(src), tree(out), metadata: false)
        XCTAssertEqual(try String(contentsOfFile: outside, encoding: .utf8), "keep", "the link was replaced, not followed")
        // Even with -o, the image itself is never written, wherever DEST holds it.
        try sh("rm '\(out)/big.bin' && ln '\(img)' '\(out)/big.bin'")
        let own = try unchanged(img) { try restore(["-o", img, out]) }
        XCTAssertEqual(own.status, 0, own.stderr)
        XCTAssertTrue(own.stderr.contains("/big.bin: skipped: \(out)/big.bin: it or a directory on its way is the image being restored"), own.stderr)
    }

    /// Names an image should never hold (`..`, `/`, NUL) are refused, never followed out of DEST.
    func testHostileNamesStayInDest() throws {
        let src = try makeSource(files: 4)
        let img = try makeImage(src)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        let root = try XCTUnwrap(try c.reader().rootEntry(main))
        let leaf = try c.leaf(main) { if case let .ent(p, n) = $0 { return p == root.dir.qidPath && n == Array("café.txt".utf8) } else { return false } }
        let base = Fixtures.scratch("hostile")
        var current = Array("café.txt".utf8)
        for bad in ["..", "../escaped", "a/b", "x\u{0}y", "."] {
            try c.editLeaf(leaf) { recs in
                let old = Key.ent(parent: root.dir.qidPath, name: current).encode()
                guard let i = recs.firstIndex(where: { $0.key == old }) else { throw CorruptorError("no entry \(current)") }
                recs[i].key = Key.ent(parent: root.dir.qidPath, name: Array(bad.utf8)).encode()
            }
            current = Array(bad.utf8)
            let out = base.appendingPathComponent("d\(bad.utf8.count)-\(bad.utf8.first!)").path
            let r = try unchanged(img) { try restore(["-i", img, out]) }
            XCTAssertEqual(r.status, 1, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("dir_name_invalid"), r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base.path).filter { !$0.hasPrefix("d") }, [], "nothing next to DEST")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/escaped"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/a"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/big.bin"), "the other entries are restored")
        }
    }

    /// A length no host file system holds (a damaged or hostile Xdir) is a loss, not a host
    /// error: the rest is restored.
    func testLengthTheHostCannotHold() throws {
        let src = try makeSource(files: 4)
        let img = try makeImage(src)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        let root = try c.reader().rootEntry(main)
        let k = Key.ent(parent: root.dir.qidPath, name: Array("café.txt".utf8))
        try c.editValue(try c.leaf(main) { $0 == k }, key: k) { v in
            var x = try Xdir.decode(v)
            x.length = 1 << 62
            v = x.encode()
        }
        let out = dest()
        let r = try unchanged(img) { try restore(["-i", img, out]) }
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("lost: /café.txt: not restored: dir_entry_invalid: its length 4611686018427387904 is more than the host file system holds"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/café.txt"))
        assertSameTree(tree(src), tree(out), metadata: false, ignoring: [Array("café.txt".utf8)])
    }
}
