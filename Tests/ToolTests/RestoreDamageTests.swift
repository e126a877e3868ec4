import Foundation
import XCTest
import GefsCore
import TestSupport

/// gefs-restore on damaged mkgefs -d images: a file-tree leaf, a file-tree pivot, a directory
/// entry, a data block, the snapshot tree's root, both superblocks. Everything outside the
/// damage is restored byte for byte, the damage is named with its block, the exit status is 1,
/// --scan recovers what the damage hides, and no run writes the image.
final class RestoreDamageTests: XCTestCase, RestoreTesting {
    /// One source tree for the whole class (it only gets read).
    static var source: String?
    func source() throws -> String {
        if let s = RestoreDamageTests.source { return s }
        let s = try makeSource()
        RestoreDamageTests.source = s
        return s
    }

    /// Every entry of main: path (without the leading slash) to qid, directories flagged.
    func entries(_ img: String) throws -> [String: (qid: UInt64, isDir: Bool)] {
        let reader = TreeReader(try Image(path: img))
        var out: [String: (UInt64, Bool)] = [:]
        try reader.walkFiles(try reader.tree(label: "main")) { p, e in if p != "/" { out[String(p.dropFirst())] = (e.dir.qidPath, e.isDirectory) } }
        return out
    }

    func key(_ p: String) -> [UInt8] { Array(p.utf8) }

    func report(_ img: String, _ args: [String]) throws -> (Fixtures.Result, [String: Any]) {
        let r = try unchanged(img) { try restore(["--json"] + args) }
        return (r, try json(r))
    }

    // MARK: A file-tree leaf

    func testDamagedFileTreeLeaf() throws {
        let src = try source()
        let img = try makeImage(src)
        let all = try entries(img)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        // A leaf of Kdat keys only, with room between its offset table and its records: a byte
        // changed there breaks the block's hash and nothing else.
        let visit = try XCTUnwrap(try c.nodes(main).first { v in
            v.node.kind == .leaf && v.node.records.allSatisfy { $0.key.first == KeyKind.dat.rawValue }
                && 2 * v.node.records.count + v.node.valsz < Format.leafSpace
        }, "no Kdat leaf with a gap")
        let addr = visit.pointer.addr
        try c.edit(addr, rehash: false) { b in b[Format.leafHeaderSize + 2 * visit.node.records.count] ^= 0xff }
        // The files whose blocks the leaf may hold: the qids its range spans.
        func qid(_ k: [UInt8]?) -> (UInt64, UInt64)? { k.map { ($0.u64(at: 1), $0.count >= 17 ? $0.u64(at: 9) : 0) } }
        let lo = qid(visit.range.lo)?.0 ?? 0
        let (hq, ho) = qid(visit.range.hi) ?? (UInt64.max, 1)
        let hi = ho == 0 ? hq - 1 : hq
        let hit = Set(all.filter { !$0.value.isDir && (lo...hi).contains($0.value.qid) }.map(\.key))
        XCTAssertFalse(hit.isEmpty)
        let source = tree(src)

        // -i: every other file byte for byte; each file the leaf may hold named, with the block.
        let out = dest()
        let (r, j) = try report(img, ["-i", "-m", img, out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(Set(lost(j).map { $0["subject"] as! String }), Set(hit.map { "/" + $0 }))
        XCTAssertTrue(lost(j).allSatisfy { $0["block"] as? Int == Int(addr) && $0["code"] as? String == "tree_hash_mismatch" })
        XCTAssertTrue(r.stderr.contains("tree_hash_mismatch at block \(hex(addr))"), r.stderr)
        let got = tree(out)
        assertSameTree(source, got, metadata: true, ignoring: Set(hit.map(key)))
        for h in hit { XCTAssertEqual(got[key(h)]?.size, source[key(h)]?.size, "\(h) is there, holes where the leaf's blocks were") }

        // Without -i: stopped at the first such file (in qid order), everything before it
        // restored, that file removed, nothing after it.
        let first = hit.min { all[$0]!.qid < all[$1]!.qid }!
        let out2 = dest()
        let (s, k) = try report(img, [img, out2])
        XCTAssertEqual(s.status, 1)
        XCTAssertEqual(k["stopped_at"] as? String, "/" + first)
        let got2 = tree(out2)
        let firstQid = all[first]!.qid
        for (p, e) in all where !e.isDir {
            if e.qid < firstQid { XCTAssertEqual(got2[key(p)]?.content, source[key(p)]?.content, p) } else { XCTAssertNil(got2[key(p)], p) }
        }
        XCTAssertEqual((k["not_attempted"] as! [String]).count, all.filter { $0.value.qid > firstQid }.count)

        // --scan: the leaf still decodes where it lies, and gives its blocks back.
        let out3 = dest()
        let (t, l) = try report(img, ["--scan", "-m", img, out3])
        XCTAssertEqual(t.status, 1, "recovered by scan: to be checked")
        XCTAssertEqual(Set(l["recovered"] as! [String]), Set(hit.map { "/" + $0 }))
        assertSameTree(source, tree(out3), metadata: true)
    }

    // MARK: A file-tree pivot

    func testDamagedFileTreePivot() throws {
        let src = try source()
        let img = try makeImage(src)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        XCTAssertGreaterThan(main.height, 1)
        try c.write([UInt8](repeating: 0, count: Format.blockSize), at: main.root.addr)
        let (r, j) = try report(img, ["-i", img, dest()])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(j["summary"].flatMap { ($0 as! [String: Any])["files"] as? Int }, 0)
        XCTAssertTrue(lost(j).contains { $0["block"] as? Int == Int(main.root.addr) }, r.stdout)
        // The leaves below it are whole: --scan finds them and restores everything.
        let out = dest()
        let (s, k) = try report(img, ["--scan", "-m", img, out])
        XCTAssertEqual(s.status, 1)
        XCTAssertFalse((k["recovered"] as! [String]).isEmpty)
        assertSameTree(tree(src), tree(out), metadata: true)
    }

    // MARK: A directory entry

    func testDamagedDirectoryEntry() throws {
        let src = try source()
        let img = try makeImage(src)
        let all = try entries(img)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        let root = try c.reader().rootEntry(main)
        let k = Key.ent(parent: root.dir.qidPath, name: key("dir5"))
        let leaf = try c.leaf(main) { $0 == k }
        try c.editValue(leaf, key: k) { v in v.removeLast() }
        for args in [["-m"], ["-i", "-m"]] {
            let out = dest()
            let (r, j) = try report(img, args + [img, out])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(lost(j).count, 1, r.stdout)
            XCTAssertEqual(lost(j).first?["subject"] as? String, "/ entry Kent(\(root.dir.qidPath), \"dir5\")")
            XCTAssertEqual(lost(j).first?["code"] as? String, "tree_value_malformed")
            // What dir5 held goes to lost+found, named by qid and name.
            let source = tree(src)
            let got = tree(out)
            var moved: [[UInt8]: RestoredEntry] = [:]
            var expectedLostFound: [[UInt8]: RestoredEntry] = [:]
            for (p, e) in source where show(p).hasPrefix("dir5/") {
                let rest = String(show(p).dropFirst("dir5/".count))
                let top = String(rest.split(separator: "/").first!)
                let named = "lost+found/\(all["dir5/" + top]!.qid)-\(top)" + rest.dropFirst(top.count)
                expectedLostFound[key(named)] = e
                moved[p] = e
            }
            assertSameTree(source.filter { moved[$0.key] == nil && $0.key != key("dir5") }, got.filter { !show($0.key).hasPrefix("lost+found") }, metadata: true)
            assertSameTree(expectedLostFound, got.filter { show($0.key).hasPrefix("lost+found/") }, metadata: true)
        }
    }

    // MARK: A data block

    func testDamagedDataBlock() throws {
        let src = try source()
        let img = try makeImage(src)
        let all = try entries(img)
        let c = try Corruptor(path: img)
        let main = try c.tree("main")
        let victim = "dir9/sub0/file-9.dat"
        let bp = try c.dataPointer(main, qid: all[victim]!.qid, offset: 16384)
        let junk = [UInt8](repeating: 0x5a, count: Format.blockSize)
        try c.write(junk, at: bp.addr)
        let source = tree(src)
        let original = source[key(victim)]!.content!

        // -i: a hole where the block was, listed with its offset and address.
        let out = dest()
        let (r, j) = try report(img, ["-i", "-m", img, out])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(lost(j).count, 1)
        XCTAssertEqual(lost(j)[0]["subject"] as? String, "/" + victim)
        XCTAssertEqual(lost(j)[0]["what"] as? String, "block at offset 0x4000 left as a hole")
        XCTAssertEqual(lost(j)[0]["block"] as? Int, Int(bp.addr))
        XCTAssertEqual(lost(j)[0]["code"] as? String, "data_hash_mismatch")
        let got = tree(out)
        assertSameTree(source, got, metadata: true, ignoring: [key(victim)])
        var holed = original
        holed.replaceSubrange(16384..<min(32768, holed.count), with: [UInt8](repeating: 0, count: min(32768, holed.count) - 16384))
        XCTAssertEqual(got[key(victim)]?.content, holed)
        XCTAssertTrue(hole(out + "/" + victim, at: 16384))

        // --keep-bad: the block's bytes as they are, listed.
        let out2 = dest()
        let (s, k) = try report(img, ["-i", "--keep-bad", img, out2])
        XCTAssertEqual(s.status, 1)
        let kept = k["kept_bad"] as! [[String: Any]]
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(kept.first?["path"] as? String, "/" + victim)
        XCTAssertEqual(kept.first?["offset"] as? Int, 16384)
        XCTAssertEqual(kept.first?["block"] as? Int, Int(bp.addr))
        var bad = original
        bad.replaceSubrange(16384..<min(32768, bad.count), with: junk.prefix(min(32768, bad.count) - 16384))
        XCTAssertEqual(tree(out2)[key(victim)]?.content, bad)

        // Without -i: everything before the file in qid order, then a stop.
        let out3 = dest()
        let (t, l) = try report(img, [img, out3])
        XCTAssertEqual(t.status, 1)
        XCTAssertEqual(l["stopped_at"] as? String, "/" + victim)
        XCTAssertTrue(t.stdout.contains("\"what\": \"block at offset 0x4000 unreadable\""), t.stdout)
        let got3 = tree(out3)
        let vq = all[victim]!.qid
        for (p, e) in all where !e.isDir {
            if e.qid < vq { XCTAssertEqual(got3[key(p)]?.content, source[key(p)]?.content, p) } else { XCTAssertNil(got3[key(p)], p) }
        }
        let text = try restore([img, dest()])
        XCTAssertTrue(text.stdout.contains("stopped at /\(victim): \(all.filter { $0.value.qid > vq }.count) entries after it not restored (-i goes on past damage)"), text.stdout)
        XCTAssertTrue(text.stderr.contains("lost: /\(victim): block at offset 0x4000 unreadable: data_hash_mismatch at block \(hex(bp.addr)): Kdat(\(vq), 0x4000): block \(hex(bp.addr)) hashes to "), text.stderr)
    }

    // MARK: The snapshot tree and the superblocks

    func testSnapshotTreeRootLost() throws {
        let src = try source()
        let img = try makeImage(src)
        let c = try Corruptor(path: img)
        let snapRoot = try c.snapshotLeaf()
        try c.write([UInt8](repeating: 0, count: Format.blockSize), at: snapRoot)
        let r = try unchanged(img) { try restore([img, dest()]) }
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error tree_hash_mismatch: block \(hex(snapRoot)) snapshot tree: node \(hex(snapRoot)) hashes to"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--scan looks for the trees by structure"), r.stderr)
        XCTAssertTrue(r.stdout.contains("restored 0 files"), r.stdout)
        // --scan: the snapshot-tree leaf the scan finds is a stale one (mkgefs's first); main's
        // tree is the newest top, and it is restored whole.
        let out = dest()
        let s = try unchanged(img) { try restore(["--scan", "-m", img, out]) }
        XCTAssertEqual(s.status, 1)
        XCTAssertTrue(s.stderr.contains("found by scan:"), s.stderr)
        assertSameTree(tree(src), tree(out), metadata: true)
        let l = try unchanged(img) { try restore(["-l", "--scan", img]) }
        XCTAssertEqual(l.status, 1)
        XCTAssertTrue(l.stdout.contains("(main, as --scan would restore it:"), l.stdout)
    }

    func testBothSuperblocksLost() throws {
        let src = try source()
        let img = try makeImage(src)
        let size = try FileManager.default.attributesOfItem(atPath: img)[.size] as! Int
        let c = try Corruptor(path: img)
        try c.write([UInt8](repeating: 0, count: Format.blockSize), at: 0)
        try c.write([UInt8](repeating: 0, count: Format.blockSize), at: Int64(size - Format.blockSize))
        let r = try unchanged(img) { try restore([img, dest()]) }
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error superblock_none: no valid superblock in \(img)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot be opened; --scan looks for the trees by structure"), r.stderr)
        let out = dest()
        let s = try unchanged(img) { try restore(["--scan", "-m", img, out]) }
        XCTAssertEqual(s.status, 1)
        XCTAssertTrue(s.stderr.contains("found by scan: snapshot 2 as a snapshot-tree leaf found by scan records it"), s.stderr)
        assertSameTree(tree(src), tree(out), metadata: true)
        // The owners' names come from adm's users file, which needs the snapshot records.
        let l = try unchanged(img) { try restore(["-l", "--scan", img]) }
        XCTAssertEqual(l.status, 1)
        XCTAssertTrue(l.stdout.contains(" main"), l.stdout)
    }

    /// The snapshots sample with its snapshot tree's root gone: the scan finds older copies of
    /// the snapshot tree, whose records still hold the immutable snapshots right, but name an
    /// old root for main, written to since; main's lost root is the newest top.
    func testSnapshotTreeLostWithManySnapshots() throws {
        let img = try Fixtures.sample("snapshots")
        var before: [String: [[UInt8]: RestoredEntry]] = [:]
        for label in ["main", "snap1", "snap4"] {
            let out = dest()
            XCTAssertEqual(try restore(["-m", "--snap", label, img, out]).status, 0)
            before[label] = tree(out)
        }
        let c = try Corruptor(path: img)
        try c.write([UInt8](repeating: 0, count: Format.blockSize), at: try c.snapshotLeaf())
        for label in ["main", "snap1", "snap4"] {
            let out = dest()
            let r = try unchanged(img) { try restore(["--scan", "-m", "--snap", label, img, out]) }
            XCTAssertEqual(r.status, 1, label)
            XCTAssertTrue(r.stderr.contains("found by scan: "), r.stderr)
            XCTAssertFalse(r.stderr.contains("lost: /"), r.stderr)
            assertSameTree(before[label]!, tree(out), metadata: true)
        }
    }
}
