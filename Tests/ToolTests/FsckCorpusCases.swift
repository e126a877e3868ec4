import Foundation
import GefsCore
import TestSupport

/// One case of gefs-fsck's corpus: a base image and the damage done to it.
struct CorpusCase {
    enum Base: String { case fresh, small, tree }
    var name: String
    var base: Base
    /// A sample used as it is (`samples/NAME.img`), instead of a damaged copy.
    var sample: String? = nil
    var damage: (Corruptor) throws -> Void = { _ in }
}

/// The corpus, in the order of its numbers (`Fixtures/fsck/NNN-name`). Each case edits one
/// field and re-hashes the parents, so that it trips the check it names.
enum FsckCorpus {
    static let B = Format.blockSize64

    static let cases: [(Int, CorpusCase)] = [
        // Clean controls.
        (1, CorpusCase(name: "clean-fresh", base: .fresh, sample: "fresh")),
        (2, CorpusCase(name: "clean-populated", base: .fresh, sample: "populated")),
        (3, CorpusCase(name: "clean-snapshots-messages-deadlists", base: .fresh, sample: "snapshots")),
        (4, CorpusCase(name: "crashed-stale-headers", base: .fresh, sample: "crashed")),
        (5, CorpusCase(name: "clean-mkgefs-tree", base: .tree)),
        // Pass 1: superblocks and arenas.
        (7, CorpusCase(name: "arena-copy-tail", base: .small) { c in
            // Both copies of arena 0 with a byte after their fields, hashed as the superblock records:
            // no copy is well formed, yet nothing is lost.
            let img = try c.image()
            guard let a = img.arenas.first, let copy = a.current else { throw CorruptorError("arena 0 has no current copy") }
            var b = copy.encodeBlock()
            b[1000] = 0x5a
            for s in [ArenaSlot.header, .footer] { try c.write(b, at: a.addr(of: s)) }
            try c.editSuperblock { $0.arenas[0].hash = XXH3.hash(b) } }),
        (8, CorpusCase(name: "superblock-snapdl-invalid", base: .small) { c in
            // Half empty: a tail without a head (the snapshot tree's leaf), or a head without a tail.
            try c.editSuperblock { sb in
                if sb.snapdlHead.isNull { sb.snapdlTail = sb.snapRoot } else { sb.snapdlTail = .null }
            } }),
        (9, CorpusCase(name: "superblock-snapdl-invalid-hash", base: .small) { c in
            try c.editSuperblock { sb in
                guard sb.snapdlHead.isNull, sb.snapdlTail.isNull else { throw CorruptorError("snapdl is not empty") }
                sb.snapdlHead.hash = 0x5eed
            } }),
        (10, CorpusCase(name: "superblock-invalid", base: .fresh) { c in
            try c.edit(c.image().superblock.fssize - B, rehash: false) { $0[0] ^= 0x20 } }),
        (11, CorpusCase(name: "superblock-stale", base: .fresh) { c in try c.editSuperblock([.sb1]) { $0.qgen -= 1 } }),
        (12, CorpusCase(name: "superblock-mismatch", base: .fresh) { c in try c.editSuperblock([.sb1]) { $0.nextqid += 1 } }),
        (13, CorpusCase(name: "superblock-none", base: .fresh) { c in
            let sb1 = try c.image().superblock.fssize - B
            try c.edit(0, rehash: false) { $0[0] ^= 0x20 }
            try c.edit(sb1, rehash: false) { $0[0] ^= 0x20 } }),
        (14, CorpusCase(name: "image-truncated", base: .fresh) { c in try c.truncate(to: try c.logHead(1)) }),
        (15, CorpusCase(name: "image-grown", base: .small) { c in
            let size = try c.image().device.size
            try c.truncate(to: size + B) }),
        (16, CorpusCase(name: "arena-header-stale", base: .fresh) { c in try c.editArena(1, [.header], record: false) { $0.loghdHash ^= 1 } }),
        (17, CorpusCase(name: "arena-footer-stale", base: .fresh) { c in try c.editArena(0, [.footer], record: false) { $0.loghdHash ^= 1 } }),
        (18, CorpusCase(name: "arena-copy-corrupt", base: .fresh) { c in try c.edit(c.image().arenas[0].base, rehash: false) { $0[1] = 9 } }),
        (19, CorpusCase(name: "arena-no-current-copy", base: .small) { c in
            try c.editArena(0, [.header, .footer], record: false) { $0.loghdHash ^= 1 } }),
        // Pass 2: allocation logs.
        (20, CorpusCase(name: "log-alloc-not-free", base: .small) { c in try c.beforeBarrier([.alloc(try c.logHead(0))]) }),
        (21, CorpusCase(name: "log-free-not-allocated", base: .small) { c in try c.beforeBarrier([.free(try c.lastBlock(0))]) }),
        (22, CorpusCase(name: "log-address-outside", base: .small) { c in try c.beforeBarrier([.alloc(0)]) }),
        (23, CorpusCase(name: "log-bad-length", base: .small) { c in try c.beforeBarrier([.alloc(try c.lastBlock(0), 4096)]) }),
        (24, CorpusCase(name: "log-entry-straddles", base: .small) { c in
            try c.fillFromBarrier(last: UInt64(LogOp.alloc.rawValue) | UInt64(try c.lastBlock(0))) }),
        (25, CorpusCase(name: "log-bad-op", base: .small) { c in try c.atBarrier(word: 9 | UInt64(try c.lastBlock(0))) }),
        (26, CorpusCase(name: "log-no-terminator", base: .small) { c in try c.fillFromBarrier(last: UInt64(LogOp.sync.rawValue)) }),
        (27, CorpusCase(name: "log-chain-loop", base: .small) { c in
            let hd = try c.logHead(0)
            try c.atBarrier(word: UInt64(hd) | UInt64(LogOp.chain.rawValue)) }),
        (28, CorpusCase(name: "log-chain-outside", base: .small) { c in try c.atBarrier(word: UInt64(LogOp.chain.rawValue)) }),
        (29, CorpusCase(name: "log-not-log-block", base: .small) { c in
            try c.atBarrier(word: UInt64(try c.tree("adm").root.addr) | UInt64(LogOp.chain.rawValue)) }),
        (30, CorpusCase(name: "log-hash-mismatch", base: .small) { c in try c.edit(try c.logHead(0), rehash: false) { $0[16000] ^= 1 } }),
        (31, CorpusCase(name: "log-block-free", base: .small) { c in try c.beforeBarrier([.free(try c.logHead(0))]) }),
        (32, CorpusCase(name: "log-used-mismatch", base: .small) { c in
            try c.editArena(0, [.header, .footer], record: true) { $0.used += B } }),
        (33, CorpusCase(name: "log-no-barrier", base: .small) { c in
            for b in try c.logChain(0) { try c.editLog(b) { e in e.removeAll { $0.op == .sync } } } }),
        (34, CorpusCase(name: "log-barrier-decreasing", base: .tree) { c in
            guard try c.image().qgen >= 2 else { throw CorruptorError("qgen below 2 leaves no room for two older barriers") }
            try c.beforeBarrier([LogEntry(op: .sync, addr: 0, len: 0, word: 1 << 8 | 3), LogEntry(op: .sync, addr: 0, len: 0, word: 3)]) }),
        (35, CorpusCase(name: "log-end-word", base: .small) { c in try c.atBarrier(word: 0x105) }),
        (36, CorpusCase(name: "log-discarded-entries", base: .small) { c in
            let last = try c.lastBlock(0)
            try c.editLog(try c.committedBarrier(0).block) { e in e.insert(.alloc(last), at: e.count - 1) } }),
        (37, CorpusCase(name: "log-logsz-mismatch", base: .small) { c in
            // The head block's logsz one word short: before the committed barrier's end when
            // the head holds it, else on the last entry instead of the LogChain.
            try c.editLogWords(try c.logHead(0)) { $0.put($0.u16(at: 2) - 8, at: 2) } }),
        // Pass 3: trees, data, deadlists.
        (40, CorpusCase(name: "tree-hash-mismatch-incomplete", base: .small) { c in
            try c.edit(try c.tree("adm").root.addr, rehash: false) { $0[9000] ^= 1 } }),
        (41, CorpusCase(name: "tree-node-type", base: .small) { c in try c.edit(try c.tree("adm").root.addr) { $0[1] = 7 } }),
        (42, CorpusCase(name: "tree-node-layout", base: .small) { c in
            try c.edit(try c.tree("adm").root.addr) { $0.put($0.u16(at: 4) + 1, at: 4) } }),
        (43, CorpusCase(name: "tree-height-invalid", base: .small) { c in try c.editSnap(1) { $0.put(UInt32(17), at: 8) } }),
        (44, CorpusCase(name: "tree-height-mismatch", base: .small) { c in try c.editSnap(1) { $0.put(UInt32(2), at: 8) } }),
        (45, CorpusCase(name: "tree-key-order", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr, sort: false) { $0.swapAt(0, 1) } }),
        (46, CorpusCase(name: "tree-key-range", base: .tree) { c in
            let (root, leaves) = try c.mainNodes()
            let key = leaves[1].node.records[1].key
            try c.editNode(root.pointer.addr) { $0.records[1].key = key } }),
        (47, CorpusCase(name: "tree-message-order", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.editNode(root.pointer.addr) { n in
                n.messages = [Message(op: .clobber, key: Key.ent(parent: 0, name: Array("zz-a".utf8)).encode()),
                              Message(op: .clobber, key: Key.ent(parent: 0, name: Array("zz-b".utf8)).encode())]
            }
            try c.edit(root.pointer.addr) { b in
                let (x, y) = (b.u16(at: Node.bufferStart), b.u16(at: Node.bufferStart + 2))
                b.put(y, at: Node.bufferStart); b.put(x, at: Node.bufferStart + 2)
            } }),
        (48, CorpusCase(name: "tree-fill-mismatch", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.edit(root.pointer.addr) { b in
                let v = Node.pivotData + Int(b.u16(at: Node.pivotData))
                let fill = v + 2 + Int(b.u16(at: v)) + 2 + Format.pointerSize
                b.put(b.u16(at: fill) + 1, at: fill)
            } }),
        (49, CorpusCase(name: "tree-pivot-underfull", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.editNode(root.pointer.addr) { $0.records = [$0.records[0]] } }),
        (50, CorpusCase(name: "tree-leaf-empty", base: .tree) { c in
            let (_, leaves) = try c.mainNodes()
            try c.editNode(leaves[2].pointer.addr) { $0.records = [] } }),
        (51, CorpusCase(name: "tree-child-pointer", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.editNode(root.pointer.addr) { $0.records[1].value.removeLast() } }),
        (52, CorpusCase(name: "tree-node-shared", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.editNode(root.pointer.addr) { $0.records[2].value = $0.records[1].value } }),
        (53, CorpusCase(name: "tree-block-gen", base: .small) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(Int64(99), at: 16) } }),
        (54, CorpusCase(name: "tree-key-kind", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) {
                $0.append(Record(key: Key.label(name: Array("x".utf8)).encode(), value: LabelValue(gen: 1, flags: 0).encode())) } }),
        (55, CorpusCase(name: "tree-key-malformed", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) { recs in
                var k = Key.ent(parent: 1, name: Array("zz".utf8)).encode()
                k.removeLast()
                recs.append(Record(key: k, value: try need(recs.first { $0.key.first == 1 }, "a Kent record").value)) } }),
        (56, CorpusCase(name: "tree-value-malformed", base: .small) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) { $0.removeLast() } }),
        (57, CorpusCase(name: "tree-message-value", base: .tree) { c in
            let (root, leaves) = try c.mainNodes()
            let key = leaves[0].node.records[0].key
            try c.editNode(root.pointer.addr) { $0.messages = [Message(op: .delete, key: key, value: [1])] } }),
        (58, CorpusCase(name: "tree-message-missing-key", base: .tree) { c in
            let (root, _) = try c.mainNodes()
            try c.editNode(root.pointer.addr) {
                $0.messages = [Message(op: .delete, key: Key.ent(parent: 0, name: Array("no-such-file".utf8)).encode())] } }),
        (59, CorpusCase(name: "tree-kdat-unaligned", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) { recs in
                let i = try need(recs.firstIndex { $0.key == Key.dat(qid: 2, offset: 0).encode() }, "Kdat(2, 0)")
                recs[i].key = Key.dat(qid: 2, offset: 1).encode() } }),
        (60, CorpusCase(name: "tree-data-shared", base: .tree) { c in
            let (_, leaves) = try c.mainNodes()
            let leaf = try need(leaves.first { $0.node.records.filter { $0.key.first == 0 }.count >= 2 }, "a leaf with two Kdat records")
            try c.editLeaf(leaf.pointer.addr) { recs in
                let dat = recs.indices.filter { recs[$0].key.first == 0 }
                recs[dat[1]].value = recs[dat[0]].value } }),
        (61, CorpusCase(name: "data-hash-mismatch", base: .small) { c in
            try c.edit(try c.dataPointer(c.tree("adm"), qid: 2).addr, rehash: false) { $0[0] ^= 1 } }),
        (62, CorpusCase(name: "data-orphan-past-length", base: .small) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) { $0.put(UInt64(0), at: 41) } }),
        (64, CorpusCase(name: "deadlist-unreadable", base: .tree) { c in
            try c.edit(try c.deadlist().ref.head.addr, rehash: false) { $0[100] ^= 1 } }),
        (65, CorpusCase(name: "deadlist-block-invalid", base: .tree) { c in
            try c.edit(try c.deadlist().ref.head.addr) { $0.put(UInt16(3), at: 2) } }),
        (66, CorpusCase(name: "deadlist-chain-broken", base: .tree) { c in
            let d = try c.deadlist()
            let other = try c.snapshotLeaf()
            try c.editValue(try c.snapshotLeaf(holding: d.key), key: d.key) { $0.put(other, at: 24) } }),
        (67, CorpusCase(name: "deadlist-gen", base: .tree) { c in
            let d = try c.deadlist()
            try c.editLeaf(try c.snapshotLeaf(holding: d.key)) { recs in
                let i = try need(recs.firstIndex { $0.key == d.key.encode() }, "the Kdlist record")
                recs[i].key = Key.dlist(gen: UInt64(d.gen), bgen: UInt64(d.gen)).encode() } }),
        (68, CorpusCase(name: "deadlist-address-invalid", base: .tree) { c in
            try c.editDeadlist { $0[0] = 1 } }),
        (69, CorpusCase(name: "deadlist-address-duplicate", base: .tree) { c in
            try c.editDeadlist { $0.append($0[0]) } }),
        (70, CorpusCase(name: "deadlist-address-live", base: .tree) { c in
            let r = try c.reader()
            let killer = try need(try r.snapshotContents().snapshot(try c.deadlist().gen), "the deadlist's snapshot")
            let root = r.tree(killer).root.addr
            try c.editDeadlist { $0.append(root) } }),
        (71, CorpusCase(name: "deadlist-reclaimable", base: .tree) { c in
            let leaf = try c.snapshotLeaf()
            try c.editDeadlist { $0.append(leaf) } }),
        (72, CorpusCase(name: "deadlist-reclaimable-freed", base: .tree) { c in
            // An allocated block that only the deadlist names, and that no snapshot reaches.
            let last = try c.lastBlock(0)
            try c.beforeBarrier([.alloc(last)])
            try c.editArena(0, [.header, .footer], record: true) { $0.used += B }
            try c.editDeadlist { $0.append(last) } }),
        // Pass 4: directories and snapshots.
        (80, CorpusCase(name: "dir-root-missing", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) { $0.removeAll { $0.key == Key.root.encode() } } }),
        (81, CorpusCase(name: "dir-parent-missing", base: .small) { c in try c.renameUsers(parent: 7, name: "users") }),
        (82, CorpusCase(name: "dir-kup-missing", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) { $0.removeAll { $0.key == Key.up(qid: 1).encode() } } }),
        (83, CorpusCase(name: "dir-kup-dangling", base: .small) { c in
            try c.editLeaf(try c.tree("adm").root.addr) {
                $0.append(Record(key: Key.up(qid: 2).encode(), value: Key.ent(parent: 1, name: Array("users".utf8)).encode())) } }),
        (84, CorpusCase(name: "dir-name-invalid", base: .small) { c in try c.renameUsers(parent: 1, name: "a/b") }),
        (85, CorpusCase(name: "dir-entry-invalid", base: .small) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) { $0[7] = 1 } }),
        (86, CorpusCase(name: "dir-qid-range", base: .small) { c in
            // 50, or nextqid on images that have handed out more qids.
            let q = max(50, try c.image().superblock.nextqid)
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) { $0.put(q, at: 8) } }),
        (87, CorpusCase(name: "snap-record-invalid", base: .small) { c in try c.editSnap(1) { $0.put(UInt32(1), at: 12) } }),
        (88, CorpusCase(name: "snap-gen-range", base: .small) { c in try c.editSuperblock { $0.nextgen = 2 } }),
        (89, CorpusCase(name: "snap-link-dangling", base: .small) { c in try c.editSnap(1) { $0.put(Int64(9), at: 32) } }),
        (90, CorpusCase(name: "snap-nref-mismatch", base: .small) { c in try c.editSnap(0) { $0.put(UInt32(2), at: 0) } }),
        (91, CorpusCase(name: "snap-nlbl-mismatch", base: .small) { c in try c.editSnap(1) { $0.put(UInt32(2), at: 4) } }),
        (92, CorpusCase(name: "label-dangling", base: .small) { c in
            try c.editValue(try c.snapshotLeaf(holding: .label(name: Array("adm".utf8))), key: .label(name: Array("adm".utf8))) { $0.put(UInt64(9), at: 1) } }),
        (93, CorpusCase(name: "label-invalid", base: .small) { c in
            try c.editValue(try c.snapshotLeaf(holding: .label(name: Array("adm".utf8))), key: .label(name: Array("adm".utf8))) { $0.put(UInt32(0x11), at: 9) } }),
        (94, CorpusCase(name: "dir-qid-duplicate", base: .tree) { c in
            // main's second file takes the first one's qid: two files whose logical entries are
            // their leaf records (no pivot message above them).
            let main = try c.tree("main")
            var raw: [[UInt8]: (leaf: Int64, value: [UInt8])] = [:]
            for v in try c.nodes(main) where v.node.kind == .leaf {
                for r in v.node.records where r.key.first == KeyKind.ent.rawValue { raw[r.key] = (v.pointer.addr, r.value) }
            }
            let files = try c.reader().records(main).filter { r in
                guard r.key.first == KeyKind.ent.rawValue, let x = try? Xdir.decode(r.value), !x.isDirectory else { return false }
                return raw[r.key]?.value == r.value
            }
            guard files.count >= 2 else { throw CorruptorError("main holds fewer than two files") }
            let qid = try Xdir.decode(files[0].value).qidPath
            try c.editValue(raw[files[1].key]!.leaf, key: try Key.decode(files[1].key)) { $0.put(qid, at: 8) } }),
        // Pass 5: space.
        (100, CorpusCase(name: "space-leak", base: .small) { c in
            try c.beforeBarrier([.alloc(try c.lastBlock(0))])
            try c.editArena(0, [.header, .footer], record: true) { $0.used += B } }),
        (101, CorpusCase(name: "space-use-after-free", base: .small) { c in
            try c.beforeBarrier([.free(try c.dataPointer(c.tree("adm"), qid: 2).addr)])
            try c.editArena(0, [.header, .footer], record: true) { $0.used -= B } }),
        (102, CorpusCase(name: "space-cross-link", base: .small) { c in
            let log = try c.logHead(0)
            let h = XXH3.hash(try c.block(log))
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(log, at: 0); $0.put(h, at: 8) } }),
        (103, CorpusCase(name: "space-outside", base: .small) { c in
            let h = XXH3.hash(try c.block(0))
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(Int64(0), at: 0); $0.put(h, at: 8) } }),
        (104, CorpusCase(name: "data-unreadable-truncated", base: .small) { c in
            let last = try c.tailBlock()
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(last, at: 0) }
            try c.truncate(to: last) }),
        (105, CorpusCase(name: "tree-unreadable-truncated", base: .small) { c in
            let last = try c.tailBlock()
            try c.editSnap(1) { $0.put(last, at: 48) }
            try c.truncate(to: last) }),
    ]
}

/// `v`, or a `CorruptorError` saying what the image lacks (for damage meant for another base).
func need<T>(_ v: T?, _ what: String) throws -> T {
    guard let v else { throw CorruptorError("no \(what) in this image") }
    return v
}

extension LogEntry {
    static func alloc(_ a: Int64, _ len: Int64 = Format.blockSize64) -> LogEntry {
        len == Format.blockSize64 ? LogEntry(op: .alloc1, addr: a, len: len, word: UInt64(a) | 1)
            : LogEntry(op: .alloc, addr: a, len: len, word: UInt64(a) | 6, word2: UInt64(len))
    }
    static func free(_ a: Int64) -> LogEntry { LogEntry(op: .free1, addr: a, len: Format.blockSize64, word: UInt64(a) | 2) }
}

/// Shorthands the cases use.
extension Corruptor {
    /// The last block of arena `i`'s allocatable region that replays free.
    func lastBlock(_ i: Int) throws -> Int64 {
        let img = try image()
        let r = Replay.arena(img, i)
        guard let j = (0..<r.free.count).reversed().first(where: { r.free[$0] }) else { throw CorruptorError("arena \(i) has no free block") }
        return img.arenas[i].region.lowerBound + Int64(j) * Format.blockSize64
    }

    /// The last block of the last arena's allocatable region, when it is free: the image can be
    /// cut there and lose nothing but free blocks, the last footer and sb1.
    func tailBlock() throws -> Int64 {
        let n = try image().arenas.count
        let last = try lastBlock(n - 1)
        guard last == (try image()).arenas[n - 1].region.upperBound - Format.blockSize64 else {
            throw CorruptorError("the last arena ends with allocated blocks")
        }
        return last
    }

    /// Every block of arena `i`'s log chain, committed or not, in chain order.
    func logChain(_ i: Int) throws -> [Int64] {
        var out: [Int64] = []
        _ = Replay.arena(try image(), i) { if case let .block(addr, _, _, _) = $0 { out.append(addr) } }
        return out
    }

    /// The log block holding arena `i`'s committed barrier, and the barrier's data offset.
    func committedBarrier(_ i: Int = 0) throws -> (block: Int64, offset: Int) {
        let r = Replay.arena(try image(), i)
        guard r.stop == .barrier, let at = r.resume else { throw CorruptorError("arena \(i)'s log has no committed barrier") }
        return (at.block, at.offset - 8)
    }

    /// Inserts entries right before the committed barrier of arena `i`'s log.
    func beforeBarrier(_ es: [LogEntry], arena i: Int = 0) throws {
        let at = try committedBarrier(i)
        try editLog(at.block) { e in
            // Data offsets of the entries, to find the barrier's.
            var offsets: [Int] = []
            var off = LogBlock.firstEntry
            for x in e { offsets.append(off); off += x.byteCount }
            guard let k = offsets.firstIndex(of: at.offset), e[k].op == .sync else { throw CorruptorError("no barrier at \(at.offset)") }
            e.insert(contentsOf: es, at: k)
        }
    }

    /// The committed barrier's log block in arena 0, and the barrier word's block offset.
    func barrierOffset() throws -> (block: Int64, at: Int) {
        let at = try committedBarrier(0)
        return (at.block, LogBlock.blockOffset(at.offset))
    }

    /// Replaces the barrier word (and so everything after it) with `word`.
    /// A terminator word ends the block's entries there, so `logsz` points at it, as a writer
    /// leaves it (§8.1).
    func atBarrier(word: UInt64) throws {
        let (blk, at) = try barrierOffset()
        try editLogWords(blk) { b in
            b.put(word, at: at)
            if let op = LogOp(rawValue: UInt8(word & 0xff)), op == .chain || op == .end {
                b.put(UInt16(at - Format.logHeaderSize), at: 2)
            }
        }
    }

    /// Fills the log block from its barrier to the last word with `LogSync 0`, the last word
    /// with `last`: no terminator, and no barrier that stops replay.
    func fillFromBarrier(last: UInt64) throws {
        let (blk, at) = try barrierOffset()
        try editLogWords(blk) { b in
            // The last word of the 8-byte grid that starts at data offset 8.
            let lastWord = LogBlock.blockOffset(LogBlock.firstEntry + (LogBlock.lastWord - LogBlock.firstEntry) / 8 * 8)
            for o in stride(from: at, to: lastWord, by: 8) { b.put(UInt64(LogOp.sync.rawValue), at: o) }
            b.put(last, at: lastWord)
        }
    }

    /// Edits a Ksnap record's value in the snapshot tree's leaf.
    func editSnap(_ gen: UInt64, _ body: (inout [UInt8]) throws -> Void) throws {
        try editValue(try snapshotLeaf(holding: .snap(gen: gen)), key: .snap(gen: gen), body)
    }

    /// The leaf of the snapshot tree holding `key`.
    func snapshotLeaf(holding key: Key) throws -> Int64 {
        try leaf(try reader().snapshotTree) { $0 == key }
    }

    /// main's root pivot and its leaves.
    func mainNodes() throws -> (NodeVisit, [NodeVisit]) {
        let vs = try nodes(try tree("main"))
        let leaves = vs.filter { $0.node.kind == .leaf }
        guard vs.first?.node.kind == .pivot, vs[0].node.records.count >= 3, leaves.count >= 3 else {
            throw CorruptorError("main is not a pivot over three leaves or more")
        }
        return (vs[0], leaves)
    }

    /// The first Kdlist record.
    func deadlist() throws -> DeadlistEntry {
        guard let d = try reader().snapshotContents().deadlists.first else { throw CorruptorError("no deadlist") }
        return d
    }

    /// Edits the addresses of the first deadlist's head block.
    func editDeadlist(_ body: (inout [Int64]) throws -> Void) throws {
        try edit(try deadlist().ref.head.addr) { b in
            var d = try DeadlistBlock.decode(b)
            try body(&d.addresses)
            b = d.encodeBlock()
        }
    }

    /// Moves adm's `users` entry to another parent or name.
    func renameUsers(parent: UInt64, name: String) throws {
        try editLeaf(try tree("adm").root.addr) { recs in
            let i = try need(recs.firstIndex { $0.key == Key.ent(parent: 1, name: Array("users".utf8)).encode() }, "adm's users entry")
            recs[i].key = Key.ent(parent: parent, name: Array(name.utf8)).encode()
        }
    }
}
