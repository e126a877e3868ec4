import Foundation
import GefsCore

/// Damages a gefs image one field at a time for gefs-fsck's corpora, and re-hashes every block
/// that points at an edited one (parents, Ksnap records, Kdlist records, deadlist chains, the
/// superblock) so that each case trips the check it is meant for, not merely a hash check.
///
/// It works on both formats, with the image's own hash (XXH3 in gefs8.00, MetroHash in
/// gefs9.00). In gefs9.00 the pointers to deadlist blocks carry no hash (FORMAT-9FRONT.md §3):
/// they are left alone, and a deadlist block is sealed by its body hash instead
/// (`editDeadlistBlock`); log blocks are sealed by `editLog` and `editLogWords` in both formats.
public final class Corruptor {
    public let path: String
    let device: FileDevice
    /// The image's format, as its magic names it.
    public let format: any DiskFormat

    /// A place that holds a block pointer: a block (or the superblock, `container == nil`) and
    /// the pointer's offset in it; `child` when it is a pivot's child reference (fill follows);
    /// `hashed` when the pointer carries its target's block hash (not gefs9.00's deadlist
    /// pointers).
    struct Slot: Hashable { var container: Int64?; var offset: Int; var child: Bool; var hashed: Bool = true }
    /// Who points at each block.
    var pointers: [Int64: [Slot]] = [:]

    public init(path: String) throws {
        self.path = path
        device = try FileDevice(path: path, writable: true)
        format = try Image(device: device).format
        try index()
    }

    /// The image as it now stands.
    public func image() throws -> Image { try Image(device: device) }
    public func reader() throws -> TreeReader { TreeReader(try image()) }

    public func block(_ addr: Int64) throws -> [UInt8] { try device.read(at: addr) }
    public func write(_ block: [UInt8], at addr: Int64) throws { try device.write(block, at: addr) }

    // MARK: Finding things

    /// The file tree a label names.
    public func tree(_ label: String) throws -> TreeRoot { try reader().tree(label: label) }

    /// The nodes of a tree, in walk order.
    public func nodes(_ tree: TreeRoot) throws -> [NodeVisit] {
        var out: [NodeVisit] = []
        try reader().walk(tree, node: { out.append($0) }, problem: { _ in })
        return out
    }

    /// The first leaf of `tree` holding a record whose key satisfies `match`.
    public func leaf(_ tree: TreeRoot, holding match: (Key) -> Bool) throws -> Int64 {
        for v in try nodes(tree) where v.node.kind == .leaf {
            if v.node.records.contains(where: { (try? Key.decode($0.key)).map(match) ?? false }) { return v.pointer.addr }
        }
        throw CorruptorError("no leaf of \(tree.name) holds such a key")
    }

    /// The leaf of the snapshot tree (these images keep it one leaf high).
    public func snapshotLeaf() throws -> Int64 { try image().superblock.snapRoot.addr }

    /// The data block a Kdat key of a tree names.
    public func dataPointer(_ tree: TreeRoot, qid: UInt64, offset: UInt64 = 0) throws -> BlockPointer {
        guard let v = try reader().value(tree, key: Key.dat(qid: qid, offset: offset).encode()) else {
            throw CorruptorError("no Kdat(\(qid), \(offset)) in \(tree.name)")
        }
        var r = ByteReader(v, structure: "Kdat value")
        return try BlockPointer.decode(&r)
    }

    // MARK: Editing with re-hashing

    /// Edits a block's bytes; with `rehash`, every pointer to it gets its new hash (and, for a
    /// node, its new fill), up to the superblock.
    public func edit(_ addr: Int64, rehash: Bool = true, _ body: (inout [UInt8]) throws -> Void) throws {
        var b = try block(addr)
        try body(&b)
        try write(b, at: addr)
        if rehash { try repoint(addr) }
    }

    /// Decodes a node, edits it and writes it back re-encoded, then re-hashes its parents.
    public func editNode(_ addr: Int64, rehash: Bool = true, _ body: (inout Node) throws -> Void) throws {
        try edit(addr, rehash: rehash) { b in
            var n = try Node.decode(b)
            try body(&n)
            b = n.encodeBlock()
        }
    }

    /// Edits the records of a leaf; they are sorted again by key unless `sort` is false.
    public func editLeaf(_ addr: Int64, sort: Bool = true, _ body: (inout [Record]) throws -> Void) throws {
        try editNode(addr) { n in
            try body(&n.records)
            if sort { n.records.sort { compareKeys($0.key, $1.key) < 0 } }
        }
    }

    /// Edits the value of one record of a leaf, found by key.
    public func editValue(_ leaf: Int64, key: Key, _ body: (inout [UInt8]) throws -> Void) throws {
        try editLeaf(leaf) { recs in
            guard let i = recs.firstIndex(where: { $0.key == key.encode() }) else { throw CorruptorError("no \(key) in \(hex(leaf))") }
            try body(&recs[i].value)
        }
    }

    /// Gives every pointer to `addr` the block's current hash, then does the same for the
    /// blocks holding those pointers. Pointers that carry no hash are left as they are.
    func repoint(_ addr: Int64) throws {
        let b = try block(addr)
        let h = format.hash(b)
        let fill = (try? Node.decode(b))?.fill
        for s in pointers[addr] ?? [] where s.hashed {
            if let c = s.container {
                var cb = try block(c)
                cb.put(h, at: s.offset + 8)
                if s.child, let fill { cb.put(UInt16(fill), at: s.offset + Format.pointerSize) }
                try write(cb, at: c)
                try repoint(c)
            } else {
                try editSuperblock { sb in
                    switch s.offset {
                    case 0: sb.snapRoot.hash = h
                    case 1: sb.snapdlHead.hash = h
                    default: sb.snapdlTail.hash = h
                    }
                }
            }
        }
    }

    /// Edits the superblock fields and writes the given copies, hashed.
    public func editSuperblock(_ slots: [SuperblockSlot] = [.sb0, .sb1], _ body: (inout Superblock) throws -> Void) throws {
        let img = try image()
        var sb = img.superblock
        try body(&sb)
        let b = img.format.encodeSuperblock(sb)
        for s in slots { try write(b, at: s == .sb0 ? 0 : img.format.backupSuperblockAddress(for: sb, blockCount: img.device.blockCount)) }
    }

    /// Edits arena `i`'s current copy and writes it to `slots`; with `record`, the superblock
    /// records its new hash.
    public func editArena(_ i: Int, _ slots: [ArenaSlot], record: Bool, _ body: (inout ArenaCopy) throws -> Void) throws {
        let img = try image()
        guard img.arenas.indices.contains(i), var c = img.arenas[i].current else { throw CorruptorError("no arena \(i) with a current copy") }
        try body(&c)
        let b = c.encodeBlock()
        for s in slots { try write(b, at: img.arenas[i].addr(of: s)) }
        if record { try editSuperblock { $0.arenas[i].hash = img.format.hash(b) } }
    }

    // MARK: Logs

    /// Rewrites the entries of a log block and fixes its hash. In gefs8.00 the entries include
    /// the terminator (LogEnd or LogChain); in gefs9.00 there is none and the block keeps its
    /// `logp` (the bytes past the new `logsz` become zeros, as our writers leave them).
    public func editLog(_ addr: Int64, _ body: (inout [LogEntry]) throws -> Void) throws {
        let format = self.format
        try edit(addr, rehash: false) { b in
            var entries: [LogEntry] = []
            var next: Int64?
            for step in format.logSteps(b) {
                switch step {
                case let .entry(_, e): entries.append(e)
                case let .next(a): next = a
                default: break
                }
            }
            try body(&entries)
            if format is Gefs8Format {
                var builder = Gefs8LogBlockWriter()
                for e in entries.dropLast() { builder.append(e) }
                if let last = entries.last, last.op == .chain { builder.chain(to: last.addr) }
                b = builder.block
                format.sealLogBlock(&b)
            } else {
                var w = format.newLogBlock()
                for e in entries {
                    guard w.fits(e) else { throw CorruptorError("the entries do not fit in one log block") }
                    w.append(e)
                }
                if let next { w.chain(to: next) }
                b = w.finished()
            }
        }
    }

    /// Edits a log block's raw bytes, then fixes its hash (over the `logsz` the header then
    /// holds, in gefs9.00).
    public func editLogWords(_ addr: Int64, _ body: (inout [UInt8]) throws -> Void) throws {
        let format = self.format
        try edit(addr, rehash: false) { b in try body(&b); format.sealLogBlock(&b) }
    }

    // MARK: Deadlists

    /// Decodes a deadlist block with the image's format, edits it and writes it back encoded:
    /// in gefs8.00 its pointers get the new block hash, in gefs9.00 the block carries its new
    /// body hash (with `seal` false, the old one stays: the body hash then fails).
    public func editDeadlistBlock(_ addr: Int64, seal: Bool = true, _ body: (inout DeadlistBlock) throws -> Void) throws {
        let format = self.format
        try edit(addr) { b in
            let old = b.u64(at: 4)
            var d = try format.decodeDeadlistBlock(b)
            try body(&d)
            b = format.encodeDeadlistBlock(d)
            if !seal, format is Gefs9Format { b.put(old, at: 4) }
        }
    }

    /// The arena's head log block.
    public func logHead(_ arena: Int) throws -> Int64 {
        let img = try image()
        guard img.arenas.indices.contains(arena), let c = img.arenas[arena].current else { throw CorruptorError("no arena \(arena) with a current copy") }
        return c.loghd
    }

    // MARK: Size

    public func truncate(to size: Int64) throws {
        guard let h = FileHandle(forWritingAtPath: path) else { throw CorruptorError("cannot open \(path)") }
        try h.truncate(atOffset: UInt64(size))
        try h.close()
    }

    // MARK: The pointer index

    /// Finds every pointer from the superblock down: tree nodes, Ksnap roots, Kdlist heads and
    /// tails, Kdat values, deadlist chains.
    func index() throws {
        let img = try image()
        let sb = img.superblock
        var queue: [Int64] = []
        var seen: Set<Int64> = []
        func add(_ target: Int64, _ slot: Slot, follow: Bool) {
            guard target >= 0 else { return }
            pointers[target, default: []].append(slot)
            if follow, seen.insert(target).inserted { queue.append(target) }
        }
        // gefs9.00's deadlist pointers carry hash −1: nothing to keep up to date.
        let deadlistHashed = !(format is Gefs9Format)
        add(sb.snapRoot.addr, Slot(container: nil, offset: 0, child: false), follow: true)
        add(sb.snapdlHead.addr, Slot(container: nil, offset: 1, child: false, hashed: deadlistHashed), follow: true)
        add(sb.snapdlTail.addr, Slot(container: nil, offset: 2, child: false, hashed: deadlistHashed), follow: false)
        while let addr = queue.popLast() {
            guard let b = try? block(addr) else { continue }
            for p in Corruptor.slots(b, deadlistNext: deadlistHashed ? 4 : 12) {
                add(b.s64(at: p.offset), Slot(container: addr, offset: p.offset, child: p.child, hashed: deadlistHashed || !p.deadlist),
                    follow: p.follow)
            }
        }
    }

    /// A pointer a block holds: its offset, whether it is a pivot's child reference, whether it
    /// leads to a block with pointers, and whether its target is a deadlist block.
    struct PointerAt { var offset: Int; var child: Bool; var follow: Bool; var deadlist: Bool = false }

    /// The pointers a block holds. `deadlistNext` is the offset of a deadlist block's next
    /// pointer (4 in gefs8.00, 12 in gefs9.00).
    static func slots(_ b: [UInt8], deadlistNext: Int = 4) -> [PointerAt] {
        var out: [PointerAt] = []
        let t = b.u16(at: 0)
        func byKind(_ key: ArraySlice<UInt8>, _ v: Int, _ nv: Int) {
            switch (key.first, nv) {
            case (0?, 24): out.append(PointerAt(offset: v, child: false, follow: false))
            case (4?, 72): out.append(PointerAt(offset: v + 48, child: false, follow: true))
            case (5?, 48):
                out.append(PointerAt(offset: v, child: false, follow: true, deadlist: true))
                out.append(PointerAt(offset: v + 24, child: false, follow: false, deadlist: true))
            default: break
            }
        }
        if t == BlockType.leaf.rawValue || t == BlockType.pivot.rawValue {
            let base = t == BlockType.leaf.rawValue ? 6 : 10
            for i in 0..<Int(b.u16(at: 2)) {
                let p = base + Int(b.u16(at: base + 2 * i))
                let nk = Int(b.u16(at: p)), v = p + 4 + nk, nv = Int(b.u16(at: p + 2 + nk))
                if t == BlockType.pivot.rawValue { out.append(PointerAt(offset: v, child: true, follow: true)) } else { byKind(b[(p + 2)..<(p + 2 + nk)], v, nv) }
            }
            if t == BlockType.pivot.rawValue {
                let mb = Node.bufferStart
                for i in 0..<Int(b.u16(at: 6)) {
                    let p = mb + Int(b.u16(at: mb + 2 * i))
                    let nk = Int(b.u16(at: p + 1)), v = p + 5 + nk, nv = Int(b.u16(at: p + 3 + nk))
                    if b[p] == MessageOp.insert.rawValue { byKind(b[(p + 3)..<(p + 3 + nk)], v, nv) }
                }
            }
        } else if t == BlockType.deadlist.rawValue, b.s64(at: deadlistNext) != Format.none {
            out.append(PointerAt(offset: deadlistNext, child: false, follow: true, deadlist: true))
        }
        return out
    }
}

public struct CorruptorError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
