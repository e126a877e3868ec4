import Foundation
import XCTest
@testable import GefsCore  // for SuperblockCopy's memberwise init
import TestSupport

/// The gefs9.00 codec (FORMAT-9FRONT.md) against the spec's vectors and the genuine 9front
/// samples in `../shared/samples/9front` (their facts files were made by independent readers).
final class Gefs9CodecTests: XCTestCase {
    let f = Gefs9Format()
    let B = Format.blockSize64

    // MARK: Samples

    /// `$GEFS9_SAMPLES`, else `Fixtures/samples9` (the genuine samples of `../shared/samples/9front`).
    static let samplesDir: URL = {
        if let d = ProcessInfo.processInfo.environment["GEFS9_SAMPLES"] { return URL(fileURLWithPath: d) }
        return Fixtures.dir.appendingPathComponent("samples9")
    }()
    static let sampleNames = ["ream", "fresh", "populated", "kconf-cron", "unsynced"]

    struct Sample {
        var name: String
        var path: String
        var device: FileDevice
        var facts: [String: Any]
    }

    func sample(_ name: String) throws -> Sample {
        let src = Self.samplesDir.appendingPathComponent("\(name).img.gz").path
        guard FileManager.default.fileExists(atPath: src) else {
            XCTFail("sample \(src) is missing (set GEFS9_SAMPLES to the folder of the gefs9.00 samples)")
            throw CocoaError(.fileNoSuchFile)
        }
        let dst = Fixtures.scratch("gefs9").appendingPathComponent("\(name).img").path
        let r = try Fixtures.run("/bin/sh", ["-c", "gzip -dc '\(src)' > '\(dst)'"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try Data(contentsOf: Self.samplesDir.appendingPathComponent("\(name).img.facts.json"))
        let facts = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return Sample(name: name, path: dst, device: try FileDevice(path: dst), facts: facts)
    }

    func int(_ v: Any?) -> Int64 { (v as! NSNumber).int64Value }
    func u64(_ v: Any?) -> UInt64 { (v as! NSNumber).uint64Value }
    func hash(_ v: Any?) -> UInt64 { UInt64((v as! String).dropFirst(2), radix: 16)! }
    func ints(_ v: Any?) -> [Int64] { (v as! [Any]).map { int($0) } }

    // MARK: Hash (§2)

    func testHashVectors() {
        let ramp = (0..<16384).map { UInt8(truncatingIfNeeded: 7 * $0 + 1) }
        let vectors: [([UInt8], UInt64, [UInt8])] = [
            ([], 0x35d244c2ba0d952f, [0x2f, 0x95, 0x0d, 0xba, 0xc2, 0x44, 0xd2, 0x35]),
            ([UInt8](repeating: 0, count: 16384), 0x8d19d8745486446e, [0x6e, 0x44, 0x86, 0x54, 0x74, 0xd8, 0x19, 0x8d]),
            (ramp, 0x4b17ffa426b74f4f, [0x4f, 0x4f, 0xb7, 0x26, 0xa4, 0xff, 0x17, 0x4b]),
            (Array("gefs".utf8), 0x6aa61d8c7ba707d5, [0xd5, 0x07, 0xa7, 0x7b, 0x8c, 0x1d, 0xa6, 0x6a]),
            (Array("abc".utf8), 0x8af9c49d69f1ad94, [0x94, 0xad, 0xf1, 0x69, 0x9d, 0xc4, 0xf9, 0x8a]),
        ]
        for (input, h, out) in vectors {
            XCTAssertEqual(MetroHash64.hash(input), h, "\(input.count) bytes")
            XCTAssertEqual(f.hash(input), h)
            XCTAssertEqual(Gefs9Format.hash(input), h)
            XCTAssertEqual(withUnsafeBytes(of: h.littleEndian) { Array($0) }, out)
            XCTAssertEqual(Self.referenceHash(input), h, "the algorithm of §2")
        }
        XCTAssertNotEqual(MetroHash64.hash(Array("abc".utf8), seed: 0), 0x8af9c49d69f1ad94, "the seed counts")
    }

    /// Every tail length (0 to 3 words of 32 bytes plus 0…31), seeds 0 and 0x6765, sub-ranges:
    /// the library against §2's algorithm written out.
    func testHashMatchesTheAlgorithm() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for n in 0...130 {
            let input = Array(bytes[3..<3 + n])
            for seed: UInt32 in [0, 0x6765] {
                XCTAssertEqual(MetroHash64.hash(input, seed: seed), Self.referenceHash(input, seed: seed), "n \(n) seed \(seed)")
            }
            XCTAssertEqual(MetroHash64.hash(bytes, 3..<3 + n), MetroHash64.hash(input))
        }
    }

    /// FORMAT-9FRONT.md §2, step by step.
    static func referenceHash(_ b: [UInt8], seed: UInt32 = 0x6765) -> UInt64 {
        let k0: UInt64 = 0xC83A91E1, k1: UInt64 = 0x8648DBDB, k2: UInt64 = 0x7BDEC03B, k3: UInt64 = 0x2F5870A5
        func rotr(_ x: UInt64, _ r: UInt64) -> UInt64 { x >> r | x << (64 - r) }
        var p = 0
        func read(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in (0..<n).reversed() { v = v << 8 | UInt64(b[p + i]) }
            p += n
            return v
        }
        let n = b.count
        var h = (UInt64(seed) &+ k2) &* k0 &+ UInt64(n)
        if n >= 32 {
            var v0 = h, v1 = h, v2 = h, v3 = h
            while n - p >= 32 {
                let a = read(8), bb = read(8), c = read(8), d = read(8)
                v0 = rotr(v0 &+ a &* k0, 29) &+ v2
                v1 = rotr(v1 &+ bb &* k1, 29) &+ v3
                v2 = rotr(v2 &+ c &* k2, 29) &+ v0
                v3 = rotr(v3 &+ d &* k3, 29) &+ v1
            }
            v2 ^= rotr((v0 &+ v3) &* k0 &+ v1, 33) &* k1
            v3 ^= rotr((v1 &+ v2) &* k1 &+ v0, 33) &* k0
            v0 ^= rotr((v0 &+ v2) &* k0 &+ v3, 33) &* k1
            v1 ^= rotr((v1 &+ v3) &* k1 &+ v2, 33) &* k0
            h &+= v0 ^ v1
        }
        if n - p >= 16 {
            let a = read(8), bb = read(8)
            var v0 = rotr(h &+ a &* k0, 33) &* k1
            var v1 = rotr(h &+ bb &* k1, 33) &* k2
            v0 ^= rotr(v0 &* k0, 35) &+ v1
            v1 ^= rotr(v1 &* k3, 35) &+ v0
            h &+= v1
        }
        if n - p >= 8 { h &+= read(8) &* k3; h ^= rotr(h, 33) &* k1 }
        if n - p >= 4 { h &+= read(4) &* k3; h ^= rotr(h, 15) &* k1 }
        if n - p >= 2 { h &+= read(2) &* k3; h ^= rotr(h, 13) &* k1 }
        if n - p >= 1 { h &+= read(1) &* k3; h ^= rotr(h, 25) &* k1 }
        h ^= rotr(h, 33); h = h &* k0; h ^= rotr(h, 33)
        return h
    }

    // MARK: The structural vector (§2, §11)

    /// Ream's log block of arena 0 of a 136 MiB image, as our writer lays it out.
    func reamLogBlocks() -> (first: [UInt8], final: [UInt8]) {
        let size: Int64 = 17_776_640, hd0 = B, L0 = hd0 + 2 * B
        var w = f.newLogBlock()
        w.append(Gefs9Format.entry(.free, L0, size - 2 * B))
        w.append(Gefs9Format.entry(.alloc, L0, B))
        w.append(.sync(0))
        let first = w.finished()
        var r = f.resumeLogBlock(first, at: 32)
        for a in [hd0 + size - B, hd0 + size - 2 * B, hd0 + size - 3 * B] { r.append(Gefs9Format.entry(.alloc1, a)) }
        return (first, r.finished())
    }

    func testStructuralVector() throws {
        let (first, final) = reamLogBlocks()
        XCTAssertEqual(first.u16(at: 2), 40)
        XCTAssertEqual(first.u64(at: 36 + 32), 3, "LogSync 0 is the word 3")
        XCTAssertEqual(f.hash(first), 0x5672df0ddfa6f14e, "block hash of ream's first version")
        XCTAssertEqual(final.u16(at: 2), 56)
        XCTAssertEqual(final.u64(at: 4), 0x80b0760ad767469d, "body hash after the three LogAlloc1")
        XCTAssertEqual(try f.logHeader(final).computedHash, 0x80b0760ad767469d)
        XCTAssertTrue(final.allZero(36 + 56..<final.count), "the resumed writer zeroes past logsz")
        XCTAssertEqual(Array(final[12..<36]), [UInt8](repeating: 0xff, count: 24), "logp (−1, −1, −1)")

        // ream.img holds exactly that block.
        let s = try sample("ream")
        XCTAssertEqual(try s.device.read(at: 3 * B), final, "ream.img's arena 0 log block")
        let a0 = try ArenaCopy.decode(try s.device.read(at: B))
        XCTAssertEqual(a0.loghdHash, f.hash(first), "loghd.hash is the first version's block hash")
    }

    // MARK: The samples

    func testSamples() throws {
        for name in Self.sampleNames { try checkSample(try sample(name)) }
    }

    func checkSample(_ s: Sample) throws {
        let ctx = s.name
        let sbf = s.facts["superblock"] as! [String: Any]
        let dev = s.device
        XCTAssertEqual(dev.size, int(s.facts["size"]), ctx)
        let sb1Addr = int(sbf["sb1_addr"])
        XCTAssertEqual(f.backupSuperblockAddress(primary: nil, blockCount: dev.blockCount), sb1Addr, ctx)

        // Superblocks (§6).
        var copies: [SuperblockCopy] = []
        for (slot, addr) in [(SuperblockSlot.sb0, Int64(0)), (.sb1, sb1Addr)] {
            let block = try dev.read(at: addr)
            let sb = try f.decodeSuperblock(block)
            XCTAssertEqual(f.backupSuperblockAddress(for: sb, blockCount: dev.blockCount), sb1Addr, ctx)
            XCTAssertEqual(sb.narena, Int(int(sbf["narena"])), ctx)
            XCTAssertEqual(sb.qgen, u64(sbf["qgen"]), ctx)
            XCTAssertEqual(sb.nextqid, u64(sbf["nextqid"]), ctx)
            XCTAssertEqual(sb.nextgen, u64(sbf["nextgen"]), ctx)
            XCTAssertEqual(sb.flag, u64(sbf["flag"]), ctx)
            let snap = sbf["snap"] as! [String: Any], dl = sbf["snapdl"] as! [String: Any]
            XCTAssertEqual(sb.snapHeight, Int(int(snap["ht"])), ctx)
            XCTAssertEqual(sb.snapRoot.addr, int(snap["addr"]), ctx)
            XCTAssertEqual(sb.snapRoot.hash, hash(snap["hash"]), ctx)
            XCTAssertEqual(sb.snapdlHead.addr, int(dl["hd"]), ctx)
            XCTAssertEqual(sb.snapdlHead.hash, hash(dl["hd_hash"]), ctx)
            XCTAssertEqual(sb.snapdlTail.addr, int(dl["tl"]), ctx)
            XCTAssertEqual(sb.snapdlTail.hash, hash(dl["tl_hash"]), ctx)
            XCTAssertEqual(sb.arenasz, 0, ctx); XCTAssertEqual(sb.fssize, 0, ctx)
            XCTAssertEqual(sb.arenas.map(\.addr), (s.facts["arenas"] as! [[String: Any]]).map { int($0["header_addr"]) }, ctx)
            XCTAssertNil(f.superblockError(sb, slot: slot, at: addr, deviceSize: dev.size), ctx)
            XCTAssertEqual(f.encodeSuperblock(sb), block, "\(ctx) \(slot): encode(decode(block)) == block")
            XCTAssertEqual(f.imageSizeProblems(sb, deviceSize: dev.size), [], ctx)
            XCTAssertEqual(f.claimedSize(sb, deviceSize: dev.size), dev.size, ctx)
            copies.append(SuperblockCopy(slot: slot, addr: addr, block: block, superblock: sb, fields: sb))
        }
        var problems: [Problem] = []
        let chosen = f.chooseSuperblock(copies[0], copies[1], &problems)
        XCTAssertEqual(chosen?.0, .sb0, ctx)
        XCTAssertEqual(problems, [], ctx)
        let sb = chosen!.1

        // Arenas (§5, §7).
        for (i, af) in (s.facts["arenas"] as! [[String: Any]]).enumerated() {
            let actx = "\(ctx) arena \(i)"
            let (hdAddr, ftAddr) = f.arenaCopyAddresses(sb, i)
            XCTAssertEqual(hdAddr, int(af["header_addr"]), actx)
            XCTAssertEqual(ftAddr, int(af["footer_addr"]), actx)
            let hdBlock = try dev.read(at: hdAddr), ftBlock = try dev.read(at: ftAddr)
            XCTAssertEqual(af["header"] as? String, "current", actx)
            XCTAssertEqual(af["footer"] as? String, "current", actx)
            XCTAssertEqual(f.hash(hdBlock), sb.arenas[i].hash, "\(actx): header hash as the table says")
            XCTAssertEqual(f.hash(ftBlock), sb.arenas[i].hash, "\(actx): footer hash as the table says")
            let copy = try ArenaCopy.decode(hdBlock)
            XCTAssertNil(f.arenaCopyError(copy, sb, i), actx)
            XCTAssertEqual(copy.size, int(af["size"]), actx)
            XCTAssertEqual(copy.used, int(af["used_header"]), actx)
            XCTAssertEqual(copy.loghd, int(af["loghd"]), actx)
            XCTAssertEqual(copy.loghdHash, hash(af["loghd_hash"]), actx)
            let g = f.arenaGeometry(sb, i, copy: copy)
            let region = ints(af["region"])
            XCTAssertEqual(g.header, hdAddr, actx); XCTAssertEqual(g.footer, ftAddr, actx)
            XCTAssertEqual(g.region, region[0]..<region[1], actx)
            XCTAssertEqual(g.tailBlocks, ints(af["tail_blocks"]), actx)
            XCTAssertEqual(g.size, copy.size, actx)
            XCTAssertEqual(g.span, hdAddr..<region[1] + 2 * B, actx)
            if i + 1 < sb.narena { XCTAssertEqual(g.span.upperBound, sb.arenas[i + 1].addr, "\(actx): next header at this arena's end") }

            try checkLog(dev, sb: sb, copy: copy, facts: af, ctx: actx)
        }

        // Deadlists (§9.6).
        for dlf in s.facts["deadlists"] as! [[String: Any]] {
            try checkDeadlist(dev, facts: dlf, ctx: ctx)
        }
    }

    /// Walks the committed chain from `loghd` to the first LogSync >= qgen (§8.3), and re-encodes
    /// every block of it with our writer.
    func checkLog(_ dev: FileDevice, sb: Superblock, copy: ArenaCopy, facts af: [String: Any], ctx: String) throws {
        var blocks: [Int64] = [], entries = 0, staleBlocks = 0
        var barrier: (gen: UInt64, block: Int64, offset: Int)?
        var addr: Int64? = copy.loghd
        while let at = addr, barrier == nil {
            XCTAssertFalse(blocks.contains(at), "\(ctx): the chain loops at \(hex(at))")
            guard !blocks.contains(at), blocks.count < 64 else { break }
            blocks.append(at)
            addr = nil
            let b = try dev.read(at: at)
            let h = try f.logHeader(b)
            XCTAssertEqual(h.storedHash, h.computedHash, "\(ctx): body hash of \(hex(at))")
            if !b.allZero(36 + h.logsz..<b.count) { staleBlocks += 1 }
            f.walkLog(b) { step in
                switch step {
                case let .entry(offset, e):
                    entries += 1
                    XCTAssertEqual(f.encode(e), e.words, "\(ctx): \(e) encodes to its raw words")
                    if e.op == .sync, e.gen >= sb.qgen { barrier = (e.gen, at, offset); return false }
                case let .next(n):
                    XCTAssertEqual(n, h.next, ctx)
                    addr = n
                case let .last(offset):
                    XCTAssertEqual(offset, h.logsz, ctx)
                    XCTAssertEqual(h.next, -1, ctx)
                default:
                    XCTFail("\(ctx): \(step) in \(hex(at))")
                }
                return true
            }

            // Our writer, fed the decoded entries, writes the same bytes up to logsz.
            var w = f.newLogBlock()
            for case let .entry(_, e) in f.logSteps(b) { w.append(e) }
            if let n = h.next, n != -1 { w.chain(to: n) }
            XCTAssertEqual(w.logsz, h.logsz, ctx)
            let mine = w.finished()
            XCTAssertEqual(Array(mine[0..<36 + h.logsz]), Array(b[0..<36 + h.logsz]), "\(ctx): log block \(hex(at)) re-encoded")
        }
        XCTAssertEqual(blocks, ints(af["log_blocks"]), ctx)
        XCTAssertEqual(entries, Int(int(af["log_entries"])), ctx)
        XCTAssertEqual(staleBlocks, Int(int(af["log_blocks_with_stale_bytes"])), ctx)
        if let bf = af["barrier"] as? [String: Any] {
            XCTAssertEqual(barrier?.gen, u64(bf["gen"]), ctx)
            XCTAssertEqual(barrier?.block, int(bf["block"]), ctx)
            XCTAssertEqual(barrier?.offset, Int(int(bf["offset"])), ctx)
        } else {
            XCTAssertNil(barrier.map { "\($0)" }, "\(ctx): no barrier")
        }
    }

    func checkDeadlist(_ dev: FileDevice, facts dlf: [String: Any], ctx: String) throws {
        let hd = dlf["hd"] as! [String: Any], tl = dlf["tl"] as! [String: Any]
        var addrs: [Int64] = [], chain: [Int64] = []
        var ptr = BlockPointer(addr: int(hd["addr"]), hash: hash(hd["hash"]), gen: int(hd["gen"]))
        while ptr.addr != -1, chain.count < 64 {
            chain.append(ptr.addr)
            let b = try dev.read(at: ptr.addr)
            XCTAssertNoThrow(try f.verifyDeadlistBlock(b, pointer: ptr), "\(ctx): deadlist block \(hex(ptr.addr))")
            let d = try f.decodeDeadlistBlock(b)
            addrs += d.addresses
            let logsz = Int(b.u16(at: 2))
            XCTAssertEqual(Array(f.encodeDeadlistBlock(d)[0..<36 + logsz]), Array(b[0..<36 + logsz]),
                           "\(ctx): deadlist block \(hex(ptr.addr)) re-encoded")
            if d.next.addr == -1 {
                XCTAssertEqual(d.next, BlockPointer(addr: -1, hash: 0, gen: 0), "\(ctx): the last block's logp")
                XCTAssertEqual(ptr.addr, int(tl["addr"]), "\(ctx): the chain ends at tl")
            }
            ptr = d.next
        }
        XCTAssertEqual(chain, ints(dlf["blocks"]), ctx)
        XCTAssertEqual(addrs, ints(dlf["entries"]), ctx)
    }

    // MARK: Superblock rules

    /// A valid superblock of three arenas on a device of `blocks` blocks.
    func smallSuperblock(qgen: UInt64 = 5) -> Superblock {
        let size = 10 * B
        let arenas = (0..<3).map { Superblock.ArenaRef(addr: B + Int64($0) * (size + 2 * B), hash: 0x1234 + UInt64($0)) }
        return Superblock(narena: 3, snapHeight: 1, snapRoot: BlockPointer(addr: 5 * B, hash: 0xabc), nextqid: 7,
                          nextgen: 9, qgen: qgen, arenasz: 12345, fssize: 678, arenas: arenas)
    }

    func testSuperblockValidity() throws {
        let sb = smallSuperblock()
        let block = f.encodeSuperblock(sb)
        XCTAssertEqual(Array(block[0..<8]), Array("gefs9.00".utf8))
        XCTAssertEqual(block.u64(at: 48), UInt64.max, "empty snapdl: hash −1")
        XCTAssertEqual(block.s64(at: 104), B, "the table starts at 104")
        XCTAssertEqual(block.u64(at: 104 + 48), f.hash(block, 0..<104 + 48))
        var back = try f.decodeSuperblock(block)
        XCTAssertEqual(back.arenasz, 0); XCTAssertEqual(back.fssize, 0)
        XCTAssertEqual(back.arenas, sb.arenas); XCTAssertEqual(back.qgen, 5); XCTAssertEqual(back.nextgen, 9)
        back.flag = 0x10
        XCTAssertEqual(try f.decodeSuperblock(f.encodeSuperblock(back)).flag, 0x10, "a non-zero flag is not invalid")

        func rejects(_ why: String, _ edit: (inout [UInt8]) -> Void, rehash: Bool = true) {
            var b = block
            edit(&b)
            if rehash { b.put(f.hash(b, 0..<104 + 48), at: 104 + 48) }
            XCTAssertThrowsError(try f.decodeSuperblock(b), why)
        }
        rejects("hash", { $0[90] ^= 1 }, rehash: false)
        rejects("magic", { $0[7] = UInt8(ascii: "1") })
        rejects("gefs8.00", { $0[4] = UInt8(ascii: "8") })
        rejects("blksz", { $0.put(UInt32(8192), at: 8) })
        rejects("bufspc", { $0.put(UInt32(8188), at: 12) })
        rejects("zero rest", { $0[200] = 1 })
        var z = block; z.put(UInt32(0), at: 16)
        XCTAssertThrowsError(try f.decodeSuperblockFields(z), "narena 0")
        z.put(UInt32(256), at: 16)
        XCTAssertThrowsError(try f.decodeSuperblockFields(z), "narena 256")
        let (_, stored, computed) = try f.decodeSuperblockFields(block)
        XCTAssertEqual(stored, computed)
    }

    func testSuperblockTable() {
        let sb = smallSuperblock()
        let dev = 40 * B
        XCTAssertNil(f.superblockError(sb, slot: .sb0, at: 0, deviceSize: dev))
        func why(_ edit: (inout Superblock) -> Void, size: Int64 = 40 * 16384) -> String? {
            var s = sb; edit(&s)
            return f.superblockError(s, slot: .sb0, at: 0, deviceSize: size)
        }
        XCTAssertNotNil(why { $0.arenas[0].addr = 2 * B }, "the first header is at B")
        XCTAssertNotNil(why { $0.arenas[1].addr += 512 }, "a multiple of B")
        XCTAssertNotNil(why { $0.arenas.swapAt(1, 2) }, "ascending")
        XCTAssertNotNil(why { $0.arenas[2].addr = $0.arenas[1].addr + 4 * B }, "at least the smallest span apart")
        XCTAssertNotNil(why { $0.arenas[2].addr = Int64.max - B + 1 }, "overflow")
        XCTAssertNil(why({ _ in }, size: 27 * B + 100), "the last header before the last whole block")
        XCTAssertNotNil(why({ _ in }, size: 26 * B + 100), "the last header is the last block")
        XCTAssertEqual(f.backupSuperblockAddress(primary: sb, blockCount: 40), 39 * B)
    }

    func testChooseSuperblock() {
        let a = smallSuperblock(qgen: 5), b = smallSuperblock(qgen: 6)
        func copy(_ slot: SuperblockSlot, _ sb: Superblock?) -> SuperblockCopy {
            SuperblockCopy(slot: slot, addr: slot == .sb0 ? 0 : 39 * B, block: sb.map { f.encodeSuperblock($0) },
                           superblock: sb, error: sb == nil ? "invalid" : nil, fields: sb)
        }
        var p: [Problem] = []
        XCTAssertEqual(f.chooseSuperblock(copy(.sb0, a), copy(.sb1, a), &p)?.0, .sb0); XCTAssertEqual(p, [])
        XCTAssertEqual(f.chooseSuperblock(copy(.sb0, nil), copy(.sb1, b), &p)?.1, b); XCTAssertEqual(p, [])
        XCTAssertEqual(f.chooseSuperblock(copy(.sb0, a), copy(.sb1, nil), &p)?.0, .sb0); XCTAssertEqual(p, [])
        XCTAssertNil(f.chooseSuperblock(copy(.sb0, nil), copy(.sb1, nil), &p))
        // Both valid, sb1 with the larger qgen: sb0 is still the one, sb1 is stale.
        let chosen = f.chooseSuperblock(copy(.sb0, a), copy(.sb1, b), &p)
        XCTAssertEqual(chosen?.0, .sb0); XCTAssertEqual(chosen?.1, a)
        XCTAssertEqual(p.map(\.code), [.superblockStale])
        XCTAssertEqual(p.first?.severity, .warning)
        XCTAssertEqual(p.first?.block, 39 * B)
        XCTAssertTrue(p.first?.message.contains("larger qgen") ?? false, p.first?.message ?? "")
        p = []
        _ = f.chooseSuperblock(copy(.sb0, b), copy(.sb1, a), &p)
        XCTAssertEqual(p.map(\.code), [.superblockStale])
        XCTAssertFalse(p.first?.message.contains("larger qgen") ?? true)
    }

    // MARK: Arena rules

    func testArenaGeometryAndCopies() {
        let sb = smallSuperblock()
        let copy = ArenaCopy(loghd: sb.arenas[1].addr + 2 * B, loghdHash: .max, size: 10 * B, used: 3 * B)
        let hd = sb.arenas[1].addr
        XCTAssertEqual(f.arenaCopyAddresses(sb, 1).header, hd)
        XCTAssertEqual(f.arenaCopyAddresses(sb, 1).footer, hd + B)
        let g = f.arenaGeometry(sb, 1, copy: copy)
        XCTAssertEqual(g.region, hd + 2 * B..<hd + 10 * B)
        XCTAssertEqual(g.tailBlocks, [hd + 10 * B, hd + 11 * B])
        XCTAssertEqual(g.span, hd..<hd + 12 * B)
        XCTAssertEqual(g.span.upperBound, sb.arenas[2].addr)
        XCTAssertEqual(g.size, 10 * B, "replay starts with used = size")
        for c in [nil, ArenaCopy(loghd: 0, loghdHash: 0, size: -B, used: 0), ArenaCopy(loghd: 0, loghdHash: 0, size: 10 * B + 8, used: 0)] {
            let n = f.arenaGeometry(sb, 1, copy: c)
            XCTAssertEqual(n.region, hd + 2 * B..<hd + 2 * B)
            XCTAssertEqual(n.tailBlocks, [])
        }
        XCTAssertNil(f.arenaCopyError(copy, sb, 1))
        func bad(_ edit: (inout ArenaCopy) -> Void) -> String? { var c = copy; edit(&c); return f.arenaCopyError(c, sb, 1) }
        XCTAssertNotNil(bad { $0.size = 2 * B }, "size >= 3B")
        XCTAssertNotNil(bad { $0.size += 1 }, "size a multiple of B")
        XCTAssertNotNil(bad { $0.used = 2 * B - 1 })
        XCTAssertNil(bad { $0.used = 2 * B })
        XCTAssertNil(bad { $0.used = 10 * B })
        XCTAssertNotNil(bad { $0.used = 10 * B + 1 })
        XCTAssertNotNil(bad { $0.loghd = hd + B }, "the footer is not in the region")
        XCTAssertNotNil(bad { $0.loghd = hd + 10 * B }, "a tail block is not in the region")
        XCTAssertNil(bad { $0.loghd = hd + 9 * B })
        XCTAssertNotNil(bad { $0.loghd = hd + 2 * B + 8 })
    }

    // MARK: Log rules

    func logBlock(_ words: [UInt64], logsz: Int? = nil, next: Int64 = -1) -> [UInt8] {
        var b = [UInt8].zeroBlock()
        b.put(BlockType.log.rawValue, at: 0)
        for (i, w) in words.enumerated() { b.put(w, at: 36 + 8 * i) }
        let n = logsz ?? 8 * words.count
        b.put(UInt16(n), at: 2)
        b.put(f.hash(b, 36..<36 + min(n, 16348)), at: 4)
        b.put(next, at: 12); b.put(UInt64.max, at: 20); b.put(Int64(-1), at: 28)
        return b
    }

    func testWalkLog() throws {
        let a: Int64 = 0x40000
        let good = logBlock([UInt64(a) | 4, UInt64(3 * B), UInt64(a) | 1, UInt64(a) | 2, UInt64(a) | 5, UInt64(B), 7 << 8 | 3])
        let steps = f.logSteps(good)
        XCTAssertEqual(steps, [
            .entry(offset: 0, LogEntry(op: .alloc, addr: a, len: 3 * B, word: UInt64(a) | 4, word2: UInt64(3 * B))),
            .entry(offset: 16, LogEntry(op: .alloc1, addr: a, len: B, word: UInt64(a) | 1)),
            .entry(offset: 24, LogEntry(op: .free1, addr: a, len: B, word: UInt64(a) | 2)),
            .entry(offset: 32, LogEntry(op: .free, addr: a, len: B, word: UInt64(a) | 5, word2: UInt64(B))),
            .entry(offset: 48, .sync(7)),
            .last(offset: 56),
        ])
        XCTAssertEqual(Gefs9Format.entry(.alloc, a, 3 * B), LogEntry(op: .alloc, addr: a, len: 3 * B, word: UInt64(a) | 4, word2: UInt64(3 * B)))
        let h = try f.logHeader(good)
        XCTAssertEqual(h.logsz, 56); XCTAssertEqual(h.storedHash, h.computedHash); XCTAssertEqual(h.next, -1)
        // Bytes past logsz are not covered and not read.
        var stale = good; stale[36 + 56] = 0x99; stale[36 + 63] = 0x06
        XCTAssertEqual(f.logSteps(stale), steps)
        XCTAssertEqual(try f.logHeader(stale).computedHash, h.storedHash)
        // A changed entry fails the body hash.
        var flipped = good; flipped[36 + 20] ^= 0x40
        XCTAssertNotEqual(try f.logHeader(flipped).computedHash, h.storedHash)
        // Chain.
        XCTAssertEqual(f.logSteps(logBlock([UInt64(a) | 1], next: 0x80000)).last, .next(0x80000))
        XCTAssertEqual(try f.logHeader(logBlock([], next: 0x80000)).next, 0x80000)
        XCTAssertEqual(f.logSteps(logBlock([])), [.last(offset: 0)])
        // Bad ops, straddling, bad logsz.
        XCTAssertEqual(f.logSteps(logBlock([UInt64(a) | 1, UInt64(a) | 6, UInt64(a) | 1])),
                       [.entry(offset: 0, LogEntry(op: .alloc1, addr: a, len: B, word: UInt64(a) | 1)), .badOp(offset: 8, word: UInt64(a) | 6)])
        XCTAssertEqual(f.logSteps(logBlock([0])), [.badOp(offset: 0, word: 0)])
        XCTAssertEqual(f.logSteps(logBlock([UInt64(a) | 0xff])), [.badOp(offset: 0, word: UInt64(a) | 0xff)])
        XCTAssertEqual(f.logSteps(logBlock([UInt64(a) | 1, UInt64(a) | 5, UInt64(B)], logsz: 16)),
                       [.entry(offset: 0, LogEntry(op: .alloc1, addr: a, len: B, word: UInt64(a) | 1)), .straddle(offset: 8, word: UInt64(a) | 5)])
        XCTAssertEqual(f.logSteps(logBlock([UInt64(a) | 1, UInt64(a) | 1], logsz: 12)), [.badLogsz(12)])
        XCTAssertEqual(f.logSteps(logBlock([], logsz: 16352)), [.badLogsz(16352)])
        XCTAssertEqual(f.logSteps(logBlock([], logsz: 16348)), [.badLogsz(16348)])
        XCTAssertEqual(f.logSteps(logBlock(Array(repeating: UInt64(a) | 1, count: 2043), logsz: 16344)).last, .last(offset: 16344))
        // The visitor can stop the walk.
        var seen = 0
        f.walkLog(good) { _ in seen += 1; return seen < 2 }
        XCTAssertEqual(seen, 2)
        // Not a log block.
        var dl = good; dl.put(UInt16(4), at: 0)
        XCTAssertThrowsError(try f.logHeader(dl))
    }

    func testLogWriter() throws {
        let a: Int64 = 0x40000
        XCTAssertEqual(f.encode(.alloc(a)), [UInt64(a) | 1])
        XCTAssertEqual(f.encode(.free(a)), [UInt64(a) | 2])
        XCTAssertEqual(f.encode(.alloc(a, 2 * B)), [UInt64(a) | 4, UInt64(2 * B)])
        XCTAssertEqual(f.encode(.free(a, 2 * B)), [UInt64(a) | 5, UInt64(2 * B)])
        XCTAssertEqual(f.encode(Gefs9Format.entry(.free, a, B)), [UInt64(a) | 5, UInt64(B)], "two-wide of one block")
        XCTAssertEqual(f.encode(.sync(41)), [41 << 8 | 3])

        var w = f.newLogBlock()
        XCTAssertEqual(w.logsz, 0); XCTAssertFalse(w.isFull)
        XCTAssertFalse(w.fits(.end)); XCTAssertFalse(w.fits(.chain(a)))
        w.append(.alloc(a, 2 * B))   // a gefs8.00-worded entry: encoded by its meaning
        XCTAssertEqual(w.logsz, 16)
        var b = w.finished()
        XCTAssertEqual(b.u16(at: 0), 3); XCTAssertEqual(b.u16(at: 2), 16)
        XCTAssertEqual(b.u64(at: 36), UInt64(a) | 4)
        XCTAssertEqual(b.u64(at: 4), f.hash(b, 36..<52))
        XCTAssertEqual(b.s64(at: 12), -1); XCTAssertEqual(b.u64(at: 20), .max); XCTAssertEqual(b.s64(at: 28), -1)
        XCTAssertTrue(b.allZero(52..<b.count))
        w.chain(to: 0x80000)
        b = w.finished()
        XCTAssertEqual(b.s64(at: 12), 0x80000); XCTAssertEqual(b.u64(at: 20), .max); XCTAssertEqual(b.s64(at: 28), -1)
        XCTAssertEqual(f.logSteps(b).last, .next(0x80000))

        // Full at 16308, room to 16348.
        while w.logsz < 16304 { w.append(.alloc(a)) }
        XCTAssertEqual(w.logsz, 16304); XCTAssertFalse(w.isFull)
        XCTAssertTrue(w.fits(.alloc(a, 2 * B)))
        w.append(.alloc(a))
        XCTAssertTrue(w.isFull)
        XCTAssertTrue(w.fits(.alloc(a, 2 * B)))   // 16312 + 16 = 16328
        w.append(.alloc(a, 2 * B))
        XCTAssertTrue(w.fits(.alloc(a, 2 * B)))   // 16328 + 16 = 16344, the last whole word of 16348
        w.append(.alloc(a, 2 * B))
        XCTAssertEqual(w.logsz, 16344)
        XCTAssertFalse(w.fits(.alloc(a, 2 * B)))
        XCTAssertFalse(w.fits(.sync(1)))
        b = w.finished()
        XCTAssertEqual(try f.logHeader(b).computedHash, b.u64(at: 4))
        XCTAssertEqual(f.logSteps(b).count, 1 + 2036 + 1 + 2 + 1)

        // Resuming keeps what is before the offset and zeroes the rest, chain included.
        let first = logBlock([UInt64(a) | 1, UInt64(a) | 1, 3, UInt64(a) | 2], next: 0x80000)
        var r = f.resumeLogBlock(first, at: 16)
        XCTAssertEqual(r.logsz, 16)
        r.append(.sync(9))
        let rb = r.finished()
        XCTAssertEqual(Array(rb[36..<52]), Array(first[36..<52]))
        XCTAssertEqual(rb.u64(at: 52), 9 << 8 | 3)
        XCTAssertTrue(rb.allZero(60..<rb.count))
        XCTAssertEqual(f.logSteps(rb).last, .last(offset: 24))
    }

    // MARK: Deadlist rules

    func testDeadlistBlocks() throws {
        XCTAssertEqual(f.deadlistCapacity, 2039)
        let addrs = (0..<2039).map { Int64($0 + 100) * B }
        let last = DeadlistBlock(next: .null, addresses: addrs)
        let b = f.encodeDeadlistBlock(last)
        XCTAssertEqual(b.u16(at: 0), 4); XCTAssertEqual(b.u16(at: 2), 2039 * 8)
        XCTAssertEqual(b.s64(at: 12), -1); XCTAssertEqual(b.u64(at: 20), 0); XCTAssertEqual(b.s64(at: 28), 0, "(−1, 0, 0)")
        XCTAssertEqual(b.u64(at: 4), f.hash(b, 36..<36 + 2039 * 8))
        XCTAssertNoThrow(try f.verifyDeadlistBlock(b, pointer: BlockPointer(addr: 0x4000, hash: 0x1234, gen: 0)), "the pointer's hash is ignored")
        let d = try f.decodeDeadlistBlock(b)
        XCTAssertEqual(d.addresses, addrs)
        XCTAssertEqual(d.next, BlockPointer(addr: -1, hash: 0, gen: 0))
        XCTAssertEqual(f.encodeDeadlistBlock(d), b)

        let mid = DeadlistBlock(next: BlockPointer(addr: 0x8000, hash: .max, gen: 0), addresses: [0x10000, 0x14000])
        let mb = f.encodeDeadlistBlock(mid)
        XCTAssertEqual(try f.decodeDeadlistBlock(mb), mid)
        var stale = mb; stale[36 + 16] = 7
        XCTAssertNoThrow(try f.verifyDeadlistBlock(stale, pointer: mid.next), "bytes past logsz are not covered")
        var flipped = mb; flipped[36 + 9] ^= 1
        XCTAssertThrowsError(try f.verifyDeadlistBlock(flipped, pointer: mid.next)) { e in
            guard case FormatError.hashMismatch = e else { return XCTFail("\(e)") }
        }
        var odd = mb; odd.put(UInt16(12), at: 2)
        XCTAssertThrowsError(try f.decodeDeadlistBlock(odd))
        XCTAssertThrowsError(try f.verifyDeadlistBlock(odd, pointer: mid.next))
        var log = mb; log.put(UInt16(3), at: 0)
        XCTAssertThrowsError(try f.decodeDeadlistBlock(log))
    }
}
