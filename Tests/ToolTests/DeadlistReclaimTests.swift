import Foundation
import XCTest
import GefsCore
import TestSupport

/// The repair of `deadlist_reclaimable` (FORMAT.md §9.6): under -p and -y the listed address is
/// dropped from its deadlist and freed when nothing else reaches it; the deadlist chain and the
/// snapshot tree are written anew, never in place, and a second run is clean.
final class DeadlistReclaimTests: XCTestCase {
    func corpusImage(_ d: String) throws -> String {
        try FsckCorpusTests.unpack(FsckCorpusTests.corpus.appendingPathComponent(d))
    }

    /// The listed addresses of every Kdlist record, by name.
    func listed(_ path: String) throws -> [String: [Int64]] {
        let img = try Image(path: path)
        let r = TreeReader(img)
        var out: [String: [Int64]] = [:]
        for d in try r.snapshotContents().deadlists {
            var addrs: [Int64] = []
            XCTAssertTrue(r.walkDeadlist(d.ref, name: d.name, block: { addrs += $1.addresses }, problem: { XCTFail("\($0)") }))
            out[d.name] = addrs
        }
        return out
    }

    func isFree(_ path: String, _ addr: Int64) throws -> Bool {
        let img = try Image(path: path)
        let i = try XCTUnwrap(img.arena(containing: addr))
        return Replay.arena(img, i).free.contains(addr)
    }

    /// A block that only the deadlist names: -p drops it and frees it, in one sync.
    func testPreenDropsAndFreesABlockNothingElseReaches() throws {
        let img = try corpusImage("072-deadlist-reclaimable-freed")
        let before = try listed(img)
        let dead = try XCTUnwrap(before["Kdlist(2, 0)"]?.last)
        XCTAssertFalse(try isFree(img, dead))
        let qgen = try Image(path: img).qgen
        let r = try Fixtures.tool("gefs-fsck", ["-p", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("  Kdlist(2, 0): dropped \(hex(dead)), which no older snapshot reaches; new chain of 1 block at "), r.stdout)
        XCTAssertTrue(r.stdout.contains("  superblocks and arena copies written with qgen \(qgen + 1)\n"), r.stdout)
        let after = try listed(img)
        XCTAssertEqual(after["Kdlist(2, 0)"], before["Kdlist(2, 0)"]!.filter { $0 != dead })
        XCTAssertTrue(try isFree(img, dead), "the block is free")
        let second = try Fixtures.tool("gefs-fsck", ["-n", img])
        XCTAssertEqual(second.status, 0, second.stdout)
        XCTAssertTrue(second.stdout.contains(": 0 errors, 0 warnings, 0 notes, 0 fixed\n"), second.stdout)
    }

    /// Every address of a deadlist reclaimable: the Kdlist record goes, with its chain.
    func testADeadlistLeftEmptyGoes() throws {
        let img = try corpusImage("005-clean-mkgefs-tree")
        let c = try Corruptor(path: img)
        let last = try c.lastBlock(0)
        try c.beforeBarrier([.alloc(last)])
        try c.editArena(0, [.header, .footer], record: true) { $0.used += Format.blockSize64 }
        let chain = try c.deadlist().ref.head.addr
        try c.editDeadlist { $0 = [last] }
        let r = try Fixtures.tool("gefs-fsck", ["-y", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("  Kdlist(2, 0): dropped \(hex(last)), which no older snapshot reaches; the record goes with its chain of 1 block, nothing being left\n"), r.stdout)
        XCTAssertEqual(try listed(img), [:])
        XCTAssertTrue(try isFree(img, last))
        XCTAssertTrue(try isFree(img, chain), "the old chain block is free")
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 0)
    }

    /// An address a newer snapshot still reaches is dropped from the deadlist, not freed; a
    /// chain of several blocks is written anew.
    func testAnAddressStillInUseIsDroppedNotFreed() throws {
        let img = try Fixtures.sample("snapshots")
        let c = try Corruptor(path: img)
        let reader = try c.reader()
        let contents = try reader.snapshotContents()
        let main = try XCTUnwrap(contents.snapshot(6))
        let d = try XCTUnwrap(contents.deadlists.first { $0.name == "Kdlist(3, 2)" })
        XCTAssertNotEqual(d.ref.head.addr, d.ref.tail.addr, "a chain of several blocks")
        let before = try listed(img)["Kdlist(3, 2)"]!
        // main's root: snapshot 6 reaches it, snapshots 2 and below do not.
        try c.edit(d.ref.head.addr) { b in
            var blk = try DeadlistBlock.decode(b)
            blk.addresses.append(main.root.addr)
            b = blk.encodeBlock()
        }
        let check = try Fixtures.tool("gefs-fsck", ["-n", img])
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("warning deadlist_reclaimable: block \(hex(main.root.addr)) Kdlist(3, 2): lists \(hex(main.root.addr)), which no older snapshot reaches"), check.stdout)
        let r = try Fixtures.tool("gefs-fsck", ["-y", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(try listed(img)["Kdlist(3, 2)"], before)
        XCTAssertFalse(try isFree(img, main.root.addr), "main still uses it")
        let after = try Fixtures.tool("gefs-fsck", ["-n", img])
        XCTAssertEqual(after.status, 0, after.stdout)
        XCTAssertTrue(after.stdout.contains(": 0 errors, 0 warnings, 0 notes, 0 fixed\n"), after.stdout)
    }

    /// A snapshot tree of pivots and leaves is written anew as one, with the same records but
    /// the Kdlist value.
    func testASnapshotTreeOfSeveralLevels() throws {
        let img = try corpusImage("005-clean-mkgefs-tree")
        let c = try Corruptor(path: img)
        // 700 more labels on main: more than one leaf holds.
        var records = try (try c.reader()).records(try c.reader().snapshotTree)
        for i in 0..<700 {
            records.append(Record(key: Key.label(name: Array(String(format: "label%03d", i).utf8)).encode(),
                                  value: LabelValue(gen: 2, flags: 0).encode()))
        }
        let snap2 = Key.snap(gen: 2).encode()
        let k = try XCTUnwrap(records.firstIndex { $0.key == snap2 })
        var t = try TreeRecord.decode(records[k].value)
        t.nlbl += 700
        records[k].value = t.encode()
        records.sort { compareKeys($0.key, $1.key) < 0 }
        let image = try c.image()
        var free = Replay.arena(image, 0).free
        let built = try TreeBuilder.build(records) { node in
            let i = free.nextSet(from: 0)
            free[i] = false
            let b = node.encodeBlock()
            try c.write(b, at: free.address(i))
            return BlockPointer(addr: free.address(i), hash: XXH3.hash(b), gen: 2)
        }
        XCTAssertEqual(built.height, 2)
        try c.editSuperblock { $0.snapRoot = BlockPointer(addr: built.root.addr, hash: built.root.hash); $0.snapHeight = built.height }
        // Their blocks were never allocated in the log: -y rebuilds it from reachability.
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-y", img]).status, 1)
        XCTAssertEqual(try Fixtures.tool("gefs-fsck", ["-n", img]).status, 0)
        // Now list the snapshot tree's root under Kdlist(2, 0).
        let c2 = try Corruptor(path: img)
        let root = try c2.image().superblock.snapRoot.addr
        try c2.editDeadlist { $0.append(root) }
        let r = try Fixtures.tool("gefs-fsck", ["-p", img])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("  snapshot tree written anew: \(built.nodes) nodes, root "), r.stdout)
        let after = try Image(path: img)
        XCTAssertEqual(after.superblock.snapHeight, 2)
        XCTAssertNotEqual(after.superblock.snapRoot.addr, root)
        let now = try TreeReader(after).records(TreeReader(after).snapshotTree)
        XCTAssertEqual(now.map(\.key), records.map(\.key))
        XCTAssertEqual(now.filter { $0.key.first != KeyKind.dlist.rawValue }, records.filter { $0.key.first != KeyKind.dlist.rawValue })
        let second = try Fixtures.tool("gefs-fsck", ["-n", img])
        XCTAssertEqual(second.status, 0, second.stdout)
        XCTAssertTrue(second.stdout.contains(": 0 errors, 0 warnings, 0 notes, 0 fixed\n"), second.stdout)
    }

    /// With an error no repair fixes, nothing is dropped: -p and -y say why.
    func testRefusedNextToAnErrorForAHuman() throws {
        let img = try corpusImage("071-deadlist-reclaimable")
        let c = try Corruptor(path: img)
        let (_, leaves) = try c.mainNodes()
        let leaf = try XCTUnwrap(leaves.first { $0.node.records.filter { $0.key.first == 0 }.count >= 2 })
        try c.editLeaf(leaf.pointer.addr) { recs in
            let dat = recs.indices.filter { recs[$0].key.first == 0 }
            recs[dat[1]].value = recs[dat[0]].value
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: img))
        let p = try Fixtures.tool("gefs-fsck", ["-p", img])
        XCTAssertEqual(p.status, 4, p.stdout)
        XCTAssertTrue(p.stdout.contains("  deadlist entries not dropped: tree_data_shared needs a human first\n"), p.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: img)), before, "nothing written")
        // -y fixes the leak the shared block leaves, and leaves the deadlist as it is.
        let y = try Fixtures.tool("gefs-fsck", ["-y", img])
        XCTAssertEqual(y.status, 5, y.stdout)
        XCTAssertTrue(y.stdout.contains("  deadlist entries not dropped: tree_data_shared needs a human first\n"), y.stdout)
        XCTAssertFalse(y.stdout.contains("snapshot tree written anew"), y.stdout)
        XCTAssertTrue(try Fixtures.tool("gefs-fsck", ["-n", img]).stdout.contains("warning deadlist_reclaimable:"))
    }
}
