import XCTest
import GefsCore
import TestSupport

/// Every codec of Format/: what is encoded decodes to the same value, and no buffer, however
/// short, long or random, makes a decoder trap.
final class CodecTests: XCTestCase {
    var rng = SeededRandom(seed: 0x6765_6673)

    // MARK: Round trips

    func testBlockPointer() throws {
        for _ in 0..<100 {
            let bp = BlockPointer(addr: rng.s64(), hash: rng.next(), gen: rng.s64())
            var w = ByteWriter()
            bp.encode(into: &w)
            XCTAssertEqual(w.bytes.count, Format.pointerSize)
            var r = ByteReader(w.bytes, structure: "bp")
            XCTAssertEqual(try BlockPointer.decode(&r), bp)
        }
    }

    func testSuperblock() throws {
        for narena in [1, 2, 3, 128, 256] {
            let sb = Superblock(narena: narena, snapHeight: 2, snapRoot: BlockPointer(addr: 0x18000, hash: rng.next()),
                                snapdlHead: BlockPointer(addr: 0x1c000, hash: rng.next()),
                                snapdlTail: BlockPointer(addr: 0x20000, hash: rng.next()),
                                nextqid: 50, nextgen: 7, qgen: 9, arenasz: 64 * 16384, fssize: Int64(narena * 64 + 2) * 16384,
                                arenas: (0..<narena).map { Superblock.ArenaRef(addr: 16384 + Int64($0) * 64 * 16384, hash: rng.next()) })
            let block = sb.encodeBlock()
            XCTAssertEqual(block.count, Format.blockSize)
            XCTAssertEqual(try Superblock.decode(block), sb)
            XCTAssertNil(sb.geometryError())
            XCTAssertEqual(block.u64(at: sb.packedSize), XXH3.hash(block, 0..<sb.packedSize))
        }
    }

    func testArenaCopy() throws {
        let c = ArenaCopy(loghd: 0x8000, loghdHash: rng.next(), size: 0x7f4000, used: 0x14000)
        XCTAssertEqual(try ArenaCopy.decode(c.encodeBlock()), c)
        XCTAssertNil(c.wellFormedError(base: 0x4000, arenasz: 0x7fc000))
    }

    func testLogEntriesThroughBuilderAndCursor() throws {
        let entries: [LogEntry] = [
            .free(0x8000, 0x7f4000), .alloc(0x8000), .alloc(0xc000, 0x8000), .free(0x10000), .sync(1),
            .free(0x14000, 0x4000), .sync(0xff_ffff_ffff),
        ]
        var b = LogBlockBuilder()
        for e in entries { b.append(e) }
        let block = b.finished()
        XCTAssertEqual(try LogBlock.header(block).logsz, 8 + entries.reduce(0) { $0 + $1.byteCount })
        XCTAssertEqual(try LogBlock.header(block).loghash, LogBlock.computedHash(block))
        var decoded: [LogEntry] = []
        for step in LogCursor(block) {
            guard case let .entry(_, e) = step else { return XCTFail("unexpected \(step)") }
            decoded.append(e)
        }
        XCTAssertEqual(decoded.dropLast(), ArraySlice(entries))
        XCTAssertEqual(decoded.last, .end)
        XCTAssertEqual(entries[2].op, .alloc)
        XCTAssertEqual(entries[5].op, .free1, "a two-block free of one block uses the one-word form")
        b.chain(to: 0x40000)
        guard case let .entry(_, last)? = Array(LogCursor(b.finished())).last else { return XCTFail() }
        XCTAssertEqual(last, .chain(0x40000))
    }

    func randomKey() -> Key {
        switch rng.int(0...5) {
        case 0: return .dat(qid: rng.next(), offset: UInt64(rng.int(0...1000)) * 16384)
        case 1: return .ent(parent: rng.next(), name: rng.bytes(rng.int(0...Format.nameMax)))
        case 2: return .up(qid: rng.next())
        case 3: return .label(name: rng.bytes(rng.int(1...255)))
        case 4: return .snap(gen: rng.next())
        default: return .dlist(gen: rng.next(), bgen: rng.next())
        }
    }

    func testKeys() throws {
        for _ in 0..<500 {
            let k = randomKey()
            let e = k.encode()
            XCTAssertLessThanOrEqual(e.count, Format.keyMax)
            XCTAssertEqual(try Key.decode(e), k)
        }
        XCTAssertEqual(Key.root.encode(), [1] + [UInt8](repeating: 0xff, count: 8) + [0, 0, 0])
    }

    func testValues() throws {
        for _ in 0..<100 {
            let x = Xdir(qidPath: rng.next(), mode: UInt32(truncatingIfNeeded: rng.next()), atime: rng.s64(), mtime: rng.s64(),
                         length: rng.next(), uid: Int32(truncatingIfNeeded: rng.s64()), gid: -1, muid: 0,
                         qidVers: UInt32(truncatingIfNeeded: rng.next()), flag: rng.next())
            XCTAssertEqual(x.encode().count, Xdir.size)
            XCTAssertEqual(try Xdir.decode(x.encode()), x)
            let t = TreeRecord(nref: 1, nlbl: 2, height: 3, gen: rng.s64(), pred: -1, succ: rng.s64(), base: -1,
                               root: BlockPointer(addr: rng.s64(), hash: rng.next(), gen: rng.s64()))
            XCTAssertEqual(t.encode().count, TreeRecord.size)
            XCTAssertEqual(try TreeRecord.decode(t.encode()), t)
            let l = LabelValue(gen: rng.next(), flags: LabelValue.mutable)
            XCTAssertEqual(try LabelValue.decode(l.encode()), l)
            let d = DeadlistRef(head: BlockPointer(addr: rng.s64(), hash: rng.next(), gen: 2), tail: .null)
            XCTAssertEqual(try DeadlistRef.decode(d.encode()), d)
            let c = ChildRef(bp: BlockPointer(addr: rng.s64(), hash: rng.next(), gen: 1), fill: rng.int(0...16378))
            XCTAssertEqual(try ChildRef.decode(c.encode()), c)
        }
        let full = DeadlistBlock(next: BlockPointer(addr: 0x4000, hash: 9, gen: 1),
                                 addresses: (0..<DeadlistBlock.capacity).map { Int64($0) * 16384 })
        XCTAssertEqual(try DeadlistBlock.decode(full.encodeBlock()), full)
        XCTAssertEqual(try DeadlistBlock.decode(DeadlistBlock(next: .null, addresses: []).encodeBlock()).addresses, [])
    }

    func testWstatAndRelink() throws {
        var x = Xdir(qidPath: 5, mode: 0o644, atime: 1, mtime: 2, length: 3, uid: 1, gid: 1, muid: 1)
        var w = ByteWriter()
        w.u8(0x01 | 0x02 | 0x40); w.u64(99); w.u32(Mode.dir | 0o755); w.u32(7)
        try x.apply(wstat: w.bytes)
        XCTAssertEqual([x.length, UInt64(x.mode), UInt64(x.muid), UInt64(x.qidVers), UInt64(x.qidType)],
                       [99, UInt64(Mode.dir | 0o755), 7, 1, 0x80])
        XCTAssertThrowsError(try x.apply(wstat: w.bytes.dropLast()))
        var t = TreeRecord(nref: 1, nlbl: 1, height: 1, gen: 2, pred: 0, succ: -1, base: -1, root: .null)
        var m = ByteWriter(); m.s64(4); m.s8(-1); m.s8(1)
        try t.apply(.relink, m.bytes)
        XCTAssertEqual([t.succ, Int64(t.nlbl), Int64(t.nref)], [4, 0, 2])
    }

    func randomNode(kind: Node.Kind) -> Node {
        var keys = Set<[UInt8]>()
        let space = kind == .leaf ? Format.leafSpace : Format.pivotSpace
        var used = 0
        var records: [Record] = []
        while true {
            let k = rng.bytes(rng.int(1...40))
            let v = kind == .leaf ? rng.bytes(rng.int(0...120)) : rng.bytes(Format.pivotPointerSize)
            guard used + 6 + k.count + v.count <= space else { break }
            if keys.insert(k).inserted { records.append(Record(key: k, value: v)); used += 6 + k.count + v.count }
        }
        records.sort { compareKeys($0.key, $1.key) < 0 }
        var messages: [Message] = []
        if kind == .pivot {
            var mused = 0
            while true {
                let key = rng.int(0...3) == 0 && !messages.isEmpty ? messages[rng.int(0...messages.count - 1)].key : rng.bytes(rng.int(1...30))
                let m = Message(op: MessageOp(rawValue: UInt8(rng.int(1...7)))!, key: key, value: rng.bytes(rng.int(0...40)))
                guard mused + 2 + m.packedSize <= Format.bufferSpace else { break }
                messages.append(m); mused += 2 + m.packedSize
            }
        }
        return Node(kind: kind, records: records, messages: messages)
    }

    func testNodes() throws {
        for kind in [Node.Kind.leaf, .pivot] {
            for _ in 0..<20 {
                let n = randomNode(kind: kind)
                XCTAssertTrue(n.fits)
                let d = try Node.decode(n.encodeBlock())
                XCTAssertEqual(d.records, n.records)
                XCTAssertNil(d.orderError())
                // The table lists messages by key, equal keys oldest (first appended) first.
                let order = n.messages.indices.sorted { i, j in
                    let c = compareKeys(n.messages[i].key, n.messages[j].key)
                    return c != 0 ? c < 0 : i < j
                }
                XCTAssertEqual(d.messages, order.map { n.messages[$0] })
                XCTAssertEqual(d.fill, n.fill)
            }
        }
        let empty = Node(kind: .leaf, records: [])
        XCTAssertEqual(try Node.decode(empty.encodeBlock()), empty)
    }

    // MARK: Hostile buffers

    /// Runs every decoder on `b`; only thrown errors are allowed, never a trap.
    func decodeAll(_ b: [UInt8]) {
        _ = try? Superblock.decode(b)
        _ = try? Superblock.decodeFields(b)
        _ = try? ArenaCopy.decode(b)
        _ = try? Node.decode(b)
        _ = try? DeadlistBlock.decode(b)
        _ = try? Key.decode(b)
        _ = try? Xdir.decode(b)
        _ = try? TreeRecord.decode(b)
        _ = try? LabelValue.decode(b)
        _ = try? DeadlistRef.decode(b)
        _ = try? ChildRef.decode(b)
        var x = Xdir(qidPath: 1, mode: 0, atime: 0, mtime: 0, uid: 0, gid: 0, muid: 0)
        _ = try? x.apply(wstat: b)
        var t = TreeRecord(nref: 0, nlbl: 0, height: 1, gen: 0, pred: -1, succ: -1, base: -1, root: .null)
        _ = try? t.apply(.reprev, b)
        var r = ByteReader(b, structure: "fuzz")
        _ = try? BlockPointer.decode(&r)
        if b.count >= Format.blockSize {
            // Log blocks are whole blocks by construction (the device reads 16 KiB).
            _ = try? LogBlock.header(b)
            var steps = 0
            for _ in LogCursor(b) { steps += 1 }
            XCTAssertLessThanOrEqual(steps, Format.logSpace / 8)
        }
    }

    /// Valid encodings of every structure, to cut and damage.
    func validBuffers() -> [[UInt8]] {
        let sb = Superblock(narena: 2, snapHeight: 1, snapRoot: BlockPointer(addr: 0x18000, hash: 1), nextqid: 3, nextgen: 3,
                            qgen: 1, arenasz: 0x7fc000, fssize: 0x1000000,
                            arenas: [.init(addr: 0x4000, hash: 2), .init(addr: 0x800000, hash: 3)])
        var log = LogBlockBuilder()
        log.append(.free(0x8000, 0x7f4000)); log.append(.alloc(0x8000)); log.append(.sync(1))
        return [
            sb.encodeBlock(), ArenaCopy(loghd: 0x8000, loghdHash: 1, size: 0x7f4000, used: 0x4000).encodeBlock(),
            log.finished(), randomNode(kind: .leaf).encodeBlock(), randomNode(kind: .pivot).encodeBlock(),
            DeadlistBlock(next: .null, addresses: [0x4000, 0x8000]).encodeBlock(),
            randomKey().encode(), Xdir(qidPath: 3, mode: 0o644, atime: 1, mtime: 1, uid: 1, gid: 1, muid: 1).encode(),
            TreeRecord(nref: 0, nlbl: 1, height: 1, gen: 2, pred: 0, succ: -1, base: -1, root: .null).encode(),
            LabelValue(gen: 2, flags: 1).encode(), DeadlistRef(head: .null, tail: .null).encode(),
            ChildRef(bp: .null, fill: 12).encode(),
        ]
    }

    func testTruncatedAndOversizedBuffersNeverTrap() {
        for v in validBuffers() {
            for n in stride(from: 0, to: v.count, by: max(1, v.count / 300)) { decodeAll(Array(v.prefix(n))) }
            decodeAll(v + rng.bytes(rng.int(1...64)))
            decodeAll(v + [UInt8](repeating: 0xff, count: Format.blockSize))
        }
    }

    func testRandomBuffersNeverTrap() {
        for i in 0..<3000 {
            let n = i % 3 == 0 ? Format.blockSize : rng.int(0...Format.blockSize + 100)
            decodeAll(rng.bytes(n))
        }
    }

    /// Valid blocks with a few bytes changed: counts and offsets now point anywhere.
    func testDamagedBlocksNeverTrap() {
        let valid = validBuffers()
        for i in 0..<4000 {
            var b = valid[i % valid.count]
            for _ in 0..<rng.int(1...8) {
                // Mostly the headers and tables, where the counts and offsets live.
                let at = rng.int(0...3) == 0 ? rng.int(0...b.count - 1) : rng.int(0...min(b.count - 1, 64))
                b[at] = UInt8.random(in: 0...255, using: &rng)
            }
            decodeAll(b)
        }
    }
}
