import Foundation
import GefsCore
import TestSupport

/// One case of gefs-fsck's gefs9.00 corpus: a genuine sample (`Fixtures/samples9`), the damage
/// done to a copy of it, and the codes that damage is meant to produce.
struct Corpus9Case {
    var name: String
    /// The genuine sample the case starts from: ream, fresh, populated, kconf-cron, unsynced.
    var base: String
    /// Codes the output must hold (the check the case is meant for). Empty for the clean
    /// controls, which must report no error.
    var codes: [String] = []
    var damage: (Corruptor) throws -> Void = { _ in }
}

/// The gefs9.00 corpus, in the order of its numbers (`Fixtures/fsck9/NNN-name`). Each case edits
/// one field of a genuine image and re-hashes what covers it (MetroHash: parents up to the
/// superblock, log and deadlist body hashes), so that it trips the check it names and no other.
/// The grades are FORMAT-9FRONT.md §14's.
enum Fsck9Corpus {
    static let B = Gefs9Format.blockSize64

    static func alloc1(_ a: Int64) -> LogEntry { Gefs9Format.entry(.alloc1, a) }
    static func free1(_ a: Int64) -> LogEntry { Gefs9Format.entry(.free1, a) }

    static let cases: [(Int, Corpus9Case)] = [
        // Clean controls: what the genuine gefs writes checks with no error (§14).
        (1, Corpus9Case(name: "clean-ream", base: "ream", codes: ["log_never_synced"])),
        (2, Corpus9Case(name: "clean-fresh", base: "fresh", codes: ["space_unreachable"])),
        (3, Corpus9Case(name: "clean-populated", base: "populated", codes: ["space_unreachable"])),
        (4, Corpus9Case(name: "clean-kconf-cron", base: "kconf-cron", codes: ["space_unreachable"])),
        (5, Corpus9Case(name: "clean-unsynced", base: "unsynced", codes: ["log_never_synced", "arena_used_unsynced", "space_unreachable"])),
        (6, Corpus9Case(name: "clean-stale-bytes-past-logsz", base: "fresh") { c in
            // Bytes past logsz are covered by no hash and never read (§4, §8.1).
            let hd = try c.logHead(0)
            try c.edit(hd, rehash: false) { b in for o in stride(from: 36 + Int(b.u16(at: 2)), to: 1000, by: 8) { b.put(UInt64(0xdead_beef_0000_0009), at: o) } } }),
        (7, Corpus9Case(name: "clean-label-flag-deprecated", base: "fresh", codes: ["label_flag_deprecated"]) { c in
            try c.editLabel9("adm") { $0.put(UInt32(0x1 | 0x2), at: 9) } }),

        // Pass 1: superblocks (§6).
        (10, Corpus9Case(name: "superblock-sb1-invalid", base: "fresh", codes: ["superblock_copy_invalid"]) { c in
            try c.edit(try c.sb1Address(), rehash: false) { $0[7] ^= 0x01 } }),
        (11, Corpus9Case(name: "superblock-sb0-invalid", base: "fresh", codes: ["superblock_copy_invalid"]) { c in
            try c.edit(0, rehash: false) { $0[85] ^= 0x01 } }),
        (12, Corpus9Case(name: "superblock-none", base: "fresh", codes: ["superblock_none"]) { c in
            let sb1 = try c.sb1Address()
            try c.edit(0, rehash: false) { $0[85] ^= 0x01 }
            try c.edit(sb1, rehash: false) { $0[85] ^= 0x01 } }),
        (13, Corpus9Case(name: "superblock-flag", base: "fresh", codes: ["superblock_flag"]) { c in
            try c.editSuperblock { $0.flag = 1 } }),
        (14, Corpus9Case(name: "superblock-sb1-stale", base: "populated", codes: ["superblock_stale"]) { c in
            try c.editSuperblock([.sb1]) { $0.qgen -= 5 } }),
        (15, Corpus9Case(name: "superblock-sb1-newer", base: "fresh", codes: ["superblock_stale"]) { c in
            try c.editSuperblock([.sb1]) { $0.qgen += 1 } }),
        (16, Corpus9Case(name: "superblock-sb1-type-refused", base: "fresh", codes: ["superblock_invalid"]) { c in
            // The genuine loader refuses an image whose sb1 block has an unknown type (§4).
            try c.edit(try c.sb1Address(), rehash: false) { $0.put(UInt16(0x1234), at: 0) } }),
        (17, Corpus9Case(name: "superblock-narena", base: "fresh", codes: ["superblock_copy_invalid"]) { c in
            try c.edit(0, rehash: false) { $0.put(UInt32(256), at: 16) } }),

        // Pass 1: the arena table (§5).
        (20, Corpus9Case(name: "arena-table-chain", base: "fresh", codes: ["arena_table_chain"]) { c in
            try c.editArena(2, [.header, .footer], record: true) { $0.size += B } }),
        (21, Corpus9Case(name: "arena-table-gap", base: "fresh", codes: ["arena_table_gap"]) { c in
            // Extended by other means by narena blocks, with sb1 copied to the new last block.
            let img = try c.image()
            let sb = img.format.encodeSuperblock(img.superblock)
            let size = img.device.size + Int64(img.superblock.narena) * B
            try c.truncate(to: size)
            let grown = try Corruptor(path: c.path)
            try grown.write(sb, at: size - B) }),
        (22, Corpus9Case(name: "image-truncated", base: "fresh", codes: ["image_truncated"]) { c in
            // Cut inside the last arena's tail blocks: the gap and sb1 are gone.
            try c.truncate(to: try c.image().arenas.last!.geometry.tailBlocks[1] + B) }),
        (23, Corpus9Case(name: "arena-table-hash-none", base: "fresh", codes: ["arena_no_current_copy"]) { c in
            // What `gefs -g` at 86dc77e8 records for the old arenas (§5, §14 item 19).
            try c.editSuperblock { $0.arenas[3].hash = UInt64.max } }),

        (24, Corpus9Case(name: "arena-size-huge", base: "fresh", codes: ["arena_table_chain"]) { c in
            // A well-formed copy whose size runs far past the image (a fuzz finding: replay
            // allocated a free map for 2^46 blocks).
            try c.editArena(3, [.header, .footer], record: true) { $0.size = 1 << 60 } }),

        // Pass 1: arena copies (§7).
        (25, Corpus9Case(name: "arena-header-stale", base: "fresh", codes: ["arena_header_stale"]) { c in
            try c.editArena(1, [.header], record: false) { $0.used += B } }),
        (26, Corpus9Case(name: "arena-footer-stale", base: "fresh", codes: ["arena_footer_stale"]) { c in
            try c.editArena(0, [.footer], record: false) { $0.loghdHash ^= 1 } }),
        (27, Corpus9Case(name: "arena-copy-corrupt", base: "fresh", codes: ["arena_copy_corrupt"]) { c in
            try c.edit(c.image().arenas[4].base, rehash: false) { $0[1] = 9 } }),
        (28, Corpus9Case(name: "arena-copy-malformed", base: "fresh", codes: ["arena_copy_corrupt"]) { c in
            try c.editArena(5, [.footer], record: false) { $0.used = $0.size + B } }),
        (29, Corpus9Case(name: "arena-no-current-copy", base: "fresh", codes: ["arena_no_current_copy"]) { c in
            try c.editArena(6, [.header, .footer], record: false) { $0.loghdHash ^= 1 } }),
        (30, Corpus9Case(name: "arena-used-stale", base: "populated", codes: ["arena_used_stale"]) { c in
            try c.editArena(2, [.header, .footer], record: true) { $0.used += B } }),

        // Pass 2: the allocation logs (§8.3), one case per rejection rule.
        (40, Corpus9Case(name: "log-alloc-not-free", base: "fresh", codes: ["log_alloc_not_free"]) { c in
            try c.beforeBarrier9([alloc1(try c.logHead(0))]) }),
        (41, Corpus9Case(name: "log-free-not-allocated", base: "fresh", codes: ["log_free_not_allocated"]) { c in
            try c.beforeBarrier9([free1(try c.lastBlock(0))]) }),
        (42, Corpus9Case(name: "log-address-outside", base: "fresh", codes: ["log_address_outside"]) { c in
            try c.beforeBarrier9([alloc1(0)]) }),
        (43, Corpus9Case(name: "log-address-tail-block", base: "fresh", codes: ["log_address_outside"]) { c in
            let tail = try c.image().arenas[1].geometry.tailBlocks[0]
            try c.beforeBarrier9([free1(tail)], arena: 1) }),
        (44, Corpus9Case(name: "log-address-other-arena", base: "fresh", codes: ["log_address_outside"]) { c in
            try c.beforeBarrier9([alloc1(try c.lastBlock(3))], arena: 2) }),
        (45, Corpus9Case(name: "log-bad-length", base: "fresh", codes: ["log_bad_length"]) { c in
            try c.beforeBarrier9([Gefs9Format.entry(.alloc, try c.lastBlock(0), 4096)]) }),
        (46, Corpus9Case(name: "log-bad-op", base: "fresh", codes: ["log_bad_op"]) { c in
            // Op 6, gefs8.00's LogAlloc, in place of the barrier.
            let (blk, off) = try c.barrier9(0)
            try c.editLogWords(blk) { $0.put(UInt64(try c.lastBlock(0)) | 6, at: 36 + off) } }),
        (47, Corpus9Case(name: "log-nop", base: "populated", codes: ["log_bad_op"]) { c in
            let (blk, off) = try c.barrier9(1)
            try c.editLogWords(blk) { $0.put(UInt64(0), at: 36 + off) } }),
        (48, Corpus9Case(name: "log-entry-straddles", base: "fresh", codes: ["log_entry_straddles"]) { c in
            // The barrier's word becomes the first word of a two-wide LogAlloc that logsz cuts.
            let (blk, off) = try c.barrier9(0)
            try c.editLogWords(blk) { $0.put(UInt64(try c.lastBlock(0)) | 4, at: 36 + off) } }),
        (49, Corpus9Case(name: "log-logsz-invalid", base: "fresh", codes: ["log_not_log_block"]) { c in
            try c.editLogWords(try c.logHead(3)) { $0.put($0.u16(at: 2) + 4, at: 2) } }),
        (50, Corpus9Case(name: "log-chain-loop", base: "unsynced", codes: ["log_chain_loop"]) { c in
            let chain = try c.logChain9(1)
            guard chain.count >= 2 else { throw CorruptorError("arena 1's log is one block") }
            try c.setLogp9(chain[1], chain[0]) }),
        (51, Corpus9Case(name: "log-chain-outside", base: "unsynced", codes: ["log_chain_outside"]) { c in
            let chain = try c.logChain9(2)
            try c.setLogp9(chain.last!, try c.logHead(3)) }),
        (52, Corpus9Case(name: "log-not-log-block", base: "unsynced", codes: ["log_not_log_block"]) { c in
            // The chain's last block leads to main's root leaf, in the same arena (a log without
            // a barrier: every block of the chain is committed).
            try c.setLogp9(try c.logChain9(0).last!, try c.tree("main").root.addr) }),
        (53, Corpus9Case(name: "log-hash-mismatch", base: "fresh", codes: ["log_hash_mismatch"]) { c in
            try c.edit(try c.logHead(5), rehash: false) { $0[36 + 12] ^= 0x40 } }),
        (54, Corpus9Case(name: "log-block-free", base: "fresh", codes: ["log_block_free"]) { c in
            try c.beforeBarrier9([free1(try c.logHead(0))]) }),
        (55, Corpus9Case(name: "log-chained-block-free", base: "unsynced", codes: ["log_block_free"]) { c in
            // The LogAlloc1 that allocates the chain's second block is gone (§8.4).
            let chain = try c.logChain9(0)
            guard chain.count >= 2 else { throw CorruptorError("arena 0's log is one block") }
            try c.editLog(chain[0]) { e in
                // The last one: the block was allocated and freed before, as a tree block.
                let i = try need(e.lastIndex { $0.op == .alloc1 && $0.addr == chain[1] }, "a LogAlloc1 of the second block")
                e.remove(at: i)
            } }),
        (56, Corpus9Case(name: "log-barrier-decreasing", base: "populated", codes: ["log_barrier_decreasing"]) { c in
            try c.beforeBarrier9([LogEntry.sync(11), LogEntry.sync(6)], arena: 4) }),
        (57, Corpus9Case(name: "log-no-barrier", base: "populated", codes: ["log_no_barrier"]) { c in
            // qgen > 0 and no barrier >= qgen: the committed barrier was overwritten (§14 item 10).
            let (blk, _) = try c.barrier9(3)
            try c.editLog(blk) { e in e.removeAll { $0.op == .sync } } }),
        (58, Corpus9Case(name: "log-discarded-entries", base: "fresh", codes: ["log_discarded_entries"]) { c in
            // A LogAlloc1 logged after the committed barrier and never committed.
            try c.afterBarrier9([alloc1(try c.lastBlock(7))], arena: 7) }),

        // Pass 3: tree nodes and keys (§9).
        (60, Corpus9Case(name: "tree-hash-mismatch", base: "fresh", codes: ["tree_hash_mismatch", "space_incomplete"]) { c in
            try c.edit(try c.tree("adm").root.addr, rehash: false) { $0[9000] ^= 1 } }),
        (61, Corpus9Case(name: "tree-node-type", base: "fresh", codes: ["tree_node_type"]) { c in
            try c.edit(try c.tree("adm").root.addr) { $0[1] = 7 } }),
        (62, Corpus9Case(name: "tree-key-order", base: "fresh", codes: ["tree_key_order"]) { c in
            try c.editLeaf(try c.tree("adm").root.addr, sort: false) { $0.swapAt(0, 1) } }),
        (63, Corpus9Case(name: "tree-key-kind-file-tree", base: "fresh", codes: ["tree_key_kind"]) { c in
            try c.editLeaf(try c.tree("adm").root.addr) {
                $0.append(Record(key: Key.label(name: Array("x".utf8)).encode(), value: LabelValue(gen: 1, flags: 0).encode())) } }),
        (64, Corpus9Case(name: "tree-key-kind-snapshot-tree", base: "fresh", codes: ["tree_key_kind"]) { c in
            let bp = try c.dataPointer(c.tree("adm"), qid: 2)
            var w = ByteWriter(capacity: 24); bp.encode(into: &w)
            try c.editLeaf(try c.snapshotLeaf()) { $0.append(Record(key: Key.dat(qid: 2, offset: 0).encode(), value: w.bytes)) } }),
        (65, Corpus9Case(name: "tree-height-mismatch", base: "populated", codes: ["tree_height_mismatch"]) { c in
            try c.editSnap(6) { $0.put(UInt32(3), at: 8) } }),
        (66, Corpus9Case(name: "tree-fill-mismatch", base: "populated", codes: ["tree_fill_mismatch"]) { c in
            let root = try c.tree("main").root.addr
            try c.edit(root) { b in
                let v = Node.pivotData + Int(b.u16(at: Node.pivotData))
                let fill = v + 2 + Int(b.u16(at: v)) + 2 + Format.pointerSize
                b.put(b.u16(at: fill) + 1, at: fill)
            } }),
        (67, Corpus9Case(name: "tree-block-gen", base: "fresh", codes: ["tree_block_gen"]) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(Int64(99), at: 16) } }),
        (68, Corpus9Case(name: "tree-message-missing-key", base: "populated", codes: ["tree_message_missing_key"]) { c in
            try c.editNode(try c.tree("main").root.addr) { n in
                n.messages.append(Message(op: .delete, key: Key.ent(parent: 1 << 40, name: Array("no-such-file".utf8)).encode()))
                n.messages.sort { compareKeys($0.key, $1.key) < 0 }
            } }),
        (69, Corpus9Case(name: "conf-retain-invalid", base: "kconf-cron", codes: ["conf_retain_invalid"]) { c in
            try c.editConf9(try c.reader().snapshotTree, "10m") }),
        (70, Corpus9Case(name: "conf-retain-abort", base: "kconf-cron", codes: ["conf_retain_abort"]) { c in
            try c.editConf9(try c.tree("main"), "5@h 2@") }),

        // Pass 3: data (§9.5).
        (75, Corpus9Case(name: "data-hash-mismatch", base: "populated", codes: ["data_hash_mismatch"]) { c in
            try c.edit(try c.firstData9("main").addr, rehash: false) { $0[100] ^= 1 } }),
        (76, Corpus9Case(name: "data-orphan-past-length", base: "fresh", codes: ["data_orphan"]) { c in
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) { $0.put(UInt64(0), at: 41) } }),

        // Pass 3: deadlists (§9.6).
        (80, Corpus9Case(name: "deadlist-gen-stray", base: "populated", codes: ["deadlist_gen_stray"]) { c in
            let d = try c.deadlist()
            try c.editLeaf(try c.snapshotLeaf(holding: d.key)) { recs in
                let i = try need(recs.firstIndex { $0.key == d.key.encode() }, "the Kdlist record")
                recs[i].key = Key.dlist(gen: UInt64(d.gen), bgen: UInt64(d.gen)).encode() } }),
        (81, Corpus9Case(name: "deadlist-chain-broken", base: "populated", codes: ["deadlist_chain_broken"]) { c in
            let d = try c.deadlist()
            try c.editValue(try c.snapshotLeaf(holding: d.key), key: d.key) {
                $0.put(d.ref.head.addr, at: 24) } }),
        (82, Corpus9Case(name: "deadlist-body-hash", base: "populated", codes: ["deadlist_unreadable"]) { c in
            try c.editDeadlistBlock(try c.deadlist().ref.head.addr, seal: false) { $0.addresses[0] += B } }),
        (83, Corpus9Case(name: "deadlist-address-free", base: "populated", codes: ["space_use_after_free"]) { c in
            let free = try c.lastBlock(3)
            try c.editDeadlistBlock(try c.deadlist().ref.head.addr) { $0.addresses.append(free) } }),
        (84, Corpus9Case(name: "deadlist-block-free", base: "populated", codes: ["space_use_after_free"]) { c in
            let tl = try c.deadlist().ref.tail.addr
            let a = try need(try c.image().arena(containing: tl), "the deadlist block's arena")
            try c.beforeBarrier9([free1(tl)], arena: a)
            try c.editArena(a, [.header, .footer], record: true) { $0.used -= B } }),
        (85, Corpus9Case(name: "deadlist-address-duplicate", base: "populated", codes: ["deadlist_address_duplicate"]) { c in
            try c.editDeadlistBlock(try c.deadlist().ref.head.addr) { $0.addresses.append($0.addresses[0]) } }),
        (86, Corpus9Case(name: "deadlist-address-live", base: "populated", codes: ["deadlist_address_live"]) { c in
            let root = try c.tree("main").root.addr
            try c.editDeadlistBlock(try c.deadlist().ref.head.addr) { $0.addresses.append(root) } }),
        (87, Corpus9Case(name: "deadlist-address-log-block", base: "populated", codes: ["space_cross_link"]) { c in
            let log = try c.logHead(2)
            try c.editDeadlistBlock(try c.deadlist().ref.head.addr) { $0.addresses.append(log) } }),
        (88, Corpus9Case(name: "snapdl-nonempty", base: "populated", codes: ["snapdl_nonempty"]) { c in
            // A snapdl the genuine writer would have freed (§6): one block listing arena 0's
            // unreachable old log block, allocated before the barrier.
            let blk = try c.lastBlock(0)
            let old = try need(try c.unreachable9(0).first, "an unreachable block in arena 0")
            try c.write(c.format.encodeDeadlistBlock(DeadlistBlock(next: .null, addresses: [old])), at: blk)
            try c.beforeBarrier9([alloc1(blk)])
            try c.editArena(0, [.header, .footer], record: true) { $0.used += B }
            try c.editSuperblock {
                $0.snapdlHead = BlockPointer(addr: blk, hash: UInt64.max)
                $0.snapdlTail = BlockPointer(addr: blk, hash: UInt64.max)
            } }),

        (89, Corpus9Case(name: "snapdl-half-empty", base: "fresh", codes: ["superblock_snapdl_invalid"]) { c in
            let tree = try c.tree("adm").root.addr
            try c.editSuperblock { $0.snapdlTail = BlockPointer(addr: tree, hash: UInt64.max) } }),

        // Pass 4: directories (§9.5).
        (90, Corpus9Case(name: "dir-parent-missing", base: "fresh", codes: ["dir_parent_missing"]) { c in
            try c.renameUsers(parent: 7, name: "users") }),
        (91, Corpus9Case(name: "dir-kup-dangling", base: "fresh", codes: ["dir_kup_dangling"]) { c in
            try c.editLeaf(try c.tree("adm").root.addr) {
                $0.append(Record(key: Key.up(qid: 2).encode(), value: Key.ent(parent: 1, name: Array("users".utf8)).encode())) } }),
        (92, Corpus9Case(name: "dir-name-control", base: "fresh", codes: ["dir_name_control"]) { c in
            try c.renameUsers(parent: 1, name: "us\u{1}ers") }),
        (93, Corpus9Case(name: "dir-xdir-flag-leftover", base: "fresh") { c in
            // Xdir.flag holds leftover memory in genuine images (§9.5): accepted.
            try c.editValue(try c.tree("adm").root.addr, key: .ent(parent: 1, name: Array("users".utf8))) {
                $0.put(UInt64(0x7f3a_5c00_1234_5678), at: 0) } }),

        // Pass 4: snapshots and labels (§9.5).
        (100, Corpus9Case(name: "snap-nref-high", base: "fresh", codes: ["snap_nref_high"]) { c in
            try c.editSnap(1) { $0.put(UInt32(1), at: 0) } }),
        (101, Corpus9Case(name: "snap-nref-low", base: "fresh", codes: ["snap_nref_mismatch"]) { c in
            try c.editSnap(0) { $0.put(UInt32(1), at: 0) } }),
        (102, Corpus9Case(name: "snap-pred-missing", base: "fresh", codes: ["snap_link_dangling"]) { c in
            try c.editSnap(1) { $0.put(Int64(9), at: 24) } }),
        (103, Corpus9Case(name: "snap-pred-self", base: "populated", codes: ["snap_link_dangling"]) { c in
            try c.editSnap(4) { $0.put(Int64(4), at: 24) } }),
        (104, Corpus9Case(name: "label-flag-unknown", base: "fresh", codes: ["label_flag_unknown"]) { c in
            try c.editLabel9("adm") { $0.put(UInt32(0x11), at: 9) } }),
        (105, Corpus9Case(name: "label-dangling", base: "fresh", codes: ["label_dangling"]) { c in
            try c.editLabel9("adm") { $0.put(UInt64(9), at: 1) } }),

        // Pass 5: space (§12).
        (110, Corpus9Case(name: "space-unreachable", base: "fresh", codes: ["space_unreachable"]) { c in
            try c.beforeBarrier9([alloc1(try c.lastBlock(0))])
            try c.editArena(0, [.header, .footer], record: true) { $0.used += B } }),
        (111, Corpus9Case(name: "space-use-after-free", base: "populated", codes: ["space_use_after_free"]) { c in
            let d = try c.firstData9("main").addr
            let a = try need(try c.image().arena(containing: d), "the data block's arena")
            try c.beforeBarrier9([free1(d)], arena: a)
            try c.editArena(a, [.header, .footer], record: true) { $0.used -= B } }),
        (112, Corpus9Case(name: "space-cross-link", base: "fresh", codes: ["space_cross_link"]) { c in
            let log = try c.logHead(0)
            let h = c.format.hash(try c.block(log))
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(log, at: 0); $0.put(h, at: 8) } }),
        (113, Corpus9Case(name: "space-outside", base: "fresh", codes: ["space_outside"]) { c in
            let h = c.format.hash(try c.block(0))
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(Int64(0), at: 0); $0.put(h, at: 8) } }),
        (114, Corpus9Case(name: "space-tail-block-referenced", base: "fresh", codes: ["space_outside"]) { c in
            let tail = try c.image().arenas[1].geometry.tailBlocks[1]
            let h = c.format.hash(try c.block(tail))
            try c.editValue(try c.tree("adm").root.addr, key: .dat(qid: 2, offset: 0)) { $0.put(tail, at: 0); $0.put(h, at: 8) } }),
    ]
}

/// gefs9.00 shorthands the cases use (the format-generic ones are FsckCorpusCases.swift's).
extension Corruptor {
    /// `sb1`: the image's last whole block.
    func sb1Address() throws -> Int64 { (try image().device.blockCount - 1) * Gefs9Format.blockSize64 }

    /// The blocks of arena `i`'s log chain, in chain order.
    func logChain9(_ i: Int) throws -> [Int64] { try logChain(i) }

    /// Sets a log block's `logp` (not covered by its body hash).
    func setLogp9(_ block: Int64, _ next: Int64) throws {
        try edit(block, rehash: false) { $0.put(next, at: 12) }
    }

    /// Arena `i`'s committed barrier: its log block and entry offset.
    func barrier9(_ i: Int) throws -> (block: Int64, offset: Int) {
        let r = Replay.arena(try image(), i)
        guard r.stop == .barrier, let at = r.resume else { throw CorruptorError("arena \(i)'s log has no committed barrier") }
        return (at.block, at.offset - 8)
    }

    /// The index, among the entries of `block`, of the entry at entry offset `offset`.
    func entryIndex9(_ block: Int64, at offset: Int) throws -> Int {
        var i = 0
        for step in format.logSteps(try self.block(block)) {
            guard case let .entry(o, _) = step else { continue }
            if o == offset { return i }
            i += 1
        }
        throw CorruptorError("no entry at offset \(offset) of \(hex(block))")
    }

    /// Inserts entries right before arena `i`'s committed barrier.
    func beforeBarrier9(_ es: [LogEntry], arena i: Int = 0) throws {
        let (blk, off) = try barrier9(i)
        let k = try entryIndex9(blk, at: off)
        try editLog(blk) { $0.insert(contentsOf: es, at: k) }
    }

    /// Appends entries right after arena `i`'s committed barrier: they are uncommitted.
    func afterBarrier9(_ es: [LogEntry], arena i: Int = 0) throws {
        let (blk, off) = try barrier9(i)
        let k = try entryIndex9(blk, at: off)
        try editLog(blk) { $0.insert(contentsOf: es, at: k + 1) }
    }

    /// Edits a label's value (`04 gen[8] flags[4]`).
    func editLabel9(_ name: String, _ body: (inout [UInt8]) throws -> Void) throws {
        let key = Key.label(name: Array(name.utf8))
        try editValue(try snapshotLeaf(holding: key), key: key, body)
    }

    /// The data block of the first Kdat record of a label's tree.
    func firstData9(_ label: String) throws -> BlockPointer {
        for v in try nodes(try tree(label)) where v.node.kind == .leaf {
            for r in v.node.records where r.key.first == KeyKind.dat.rawValue && r.value.count == Format.pointerSize {
                var rd = ByteReader(r.value, structure: "Kdat value")
                let bp = try BlockPointer.decode(&rd)
                if !bp.isNull { return bp }
            }
        }
        throw CorruptorError("no data block in \(label)")
    }

    /// Sets a tree's Kconf `retain` value, wherever it is: a leaf record or a pivot's Oinsert.
    func editConf9(_ t: TreeRoot, _ value: String) throws {
        let key = Key.conf(name: Array("retain".utf8)).encode()
        for v in try nodes(t) {
            if v.node.kind == .leaf, v.node.records.contains(where: { $0.key == key }) {
                try editLeaf(v.pointer.addr) { recs in
                    for i in recs.indices where recs[i].key == key { recs[i].value = Array(value.utf8) }
                }
                return
            }
            if v.node.kind == .pivot, v.node.messages.contains(where: { $0.key == key && $0.op == .insert }) {
                try editNode(v.pointer.addr) { n in
                    for i in n.messages.indices where n.messages[i].key == key && n.messages[i].op == .insert { n.messages[i].value = Array(value.utf8) }
                }
                return
            }
        }
        throw CorruptorError("no Kconf retain in \(t.name)")
    }

    /// Allocated blocks of arena `i`'s region that nothing reaches, as gefs-fsck finds them.
    func unreachable9(_ i: Int) throws -> [Int64] {
        let c = Checker(image: try image())
        c.run()
        return c.problems.filter { $0.code == .spaceUnreachable && $0.arena == i }.compactMap(\.block)
    }
}
