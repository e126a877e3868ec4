import Foundation
import XCTest
import GefsCore
import TestSupport

/// No input makes a reader trap, loop or allocate without bound: absurd sizes, counts and
/// generations with valid hashes (what the fuzzer cannot reach past the hashes, written by
/// hand). Cycles in hashed trees and deadlist chains need a hash that contains itself; the fuzz
/// build, which accepts every hash, meets them (Fixtures/fuzz).
final class HostileImageTests: XCTestCase {
    let B = Format.blockSize64

    /// A fresh 4 MiB image in memory.
    func small() throws -> MemoryDevice {
        let dev = MemoryDevice(size: 4 << 20)
        _ = try Formatter.write(to: dev, layout: try Layout(size: 4 << 20),
                                options: FormatOptions(user: "glenda", time: 1_700_000_000_000_000_000), census: nil, plan: nil)
        return dev
    }

    /// Writes `sb` (hashed) as both copies where they fit.
    func put(_ sb: Superblock, on dev: MemoryDevice, sb1: Bool = true) throws {
        try dev.write(sb.encodeBlock(), at: 0)
        if sb1 { try dev.write(sb.encodeBlock(), at: dev.size - B) }
    }

    /// Everything the tools do with an image: open, check, repair a copy, dump, replay, rewrite.
    func everyTool(_ dev: MemoryDevice) {
        guard let img = try? Image(device: dev) else { return }
        let c = Checker(image: img)
        c.run()
        let copy = MemoryDevice(bytes: dev.bytes)
        if let i = try? Image(device: copy) {
            let cc = Checker(image: i)
            cc.run()
            _ = try? Repairer(checker: cc, mode: .all).repair()
        }
        var out = ""
        let all = Array(img.arenas.indices)
        var dump = LogDump(image: img, logs: LogStream.of(img, all))
        dump.raw = true
        _ = dump.text(&out)
        let arenas = ArenaDump(image: img, replays: ReplayedArenas(image: img, arenas: all).current)
        out += arenas.superblockText()
        ReplayReport(image: img, replayed: ReplayedArenas(image: img, arenas: all)).text(&out)
        _ = try? LogRewrite.plan(image: img, arenas: all)
    }

    /// Arena sizes near the largest Int64: the geometry check or the size claim says so
    /// instead of overflowing, and the image does not open.
    func testHugeArenaSizes() throws {
        let dev = try small()
        let sb = try Image(device: dev).superblock
        for (n, arenasz) in [(1, Int64.max / B * B), (2, Int64.max / 2 / B * B + B), (256, Int64.max / 256 / B * B)] {
            var s = sb
            s.narena = n
            s.arenasz = arenasz
            s.fssize = Int64.max / B * B
            s.arenas = (0..<n).map { Superblock.ArenaRef(addr: B + Int64($0) &* arenasz, hash: 0) }
            _ = s.geometryError()
            try put(s, on: dev)
            XCTAssertThrowsError(try Image(device: dev))
        }
    }

    /// A superblock that claims a file system far larger than the image (a petabyte on 4 MiB)
    /// is not believed: the bitmaps of a check would need the claimed size.
    func testClaimFarBeyondTheImageIsNotBelieved() throws {
        let dev = try small()
        var sb = try Image(device: dev).superblock
        sb.fssize = 1 << 50
        sb.arenasz = sb.fssize - 2 * B
        try put(sb, on: dev, sb1: false)
        try dev.write(.zeroBlock(), at: dev.size - B)
        XCTAssertThrowsError(try Image(device: dev)) { e in
            let why = (e as? ImageError)?.problems.first { $0.code == .superblockInvalid }?.message ?? ""
            XCTAssertTrue(why.contains("not believable"), why)
        }
        // A truncation of a few blocks is believed: the image is truncated, and checked.
        sb.fssize = dev.size + 8 * B
        sb.arenasz = sb.fssize - 2 * B
        sb.arenas = [Superblock.ArenaRef(addr: B, hash: sb.arenas[0].hash)]
        try put(sb, on: dev, sb1: false)
        let img = try Image(device: dev)
        XCTAssertTrue(img.problems.contains { $0.code == .imageTruncated })
        everyTool(dev)
    }

    /// The last sync generation a barrier can hold: a rewrite (and so a repair's free-map
    /// rebuild) refuses instead of overflowing.
    func testLastSyncGeneration() throws {
        for qgen in [LogEntry.maxGen, UInt64.max] {
            let dev = try small()
            var sb = try Image(device: dev).superblock
            sb.qgen = qgen
            try put(sb, on: dev)
            let img = try Image(device: dev)
            XCTAssertThrowsError(try LogRewrite.plan(image: img, arenas: [0])) { e in
                XCTAssertEqual(e as? RewriteError, .lastGeneration(qgen))
            }
            everyTool(dev)
        }
    }

    /// Log entries with absurd addresses and lengths, and a log chained through every block of
    /// the arena back to its head: replay and the dumps finish, each block read once.
    func testAbsurdLogEntriesAndLongChains() throws {
        let dev = try small()
        let img = try Image(device: dev)
        let region = img.arenas[0].region
        var b = LogBlockBuilder()
        for (addr, len) in [(Int64.max & ~0xff, Int64.max), (region.lowerBound, Int64.min), (region.lowerBound, B << 40),
                            (-B, 2 * B), (region.upperBound - B, 2 * B)] {
            b.append(LogEntry(op: .alloc, addr: addr, len: len, word: UInt64(bitPattern: addr) | 6, word2: UInt64(bitPattern: len)))
            b.append(LogEntry(op: .free, addr: addr, len: len, word: UInt64(bitPattern: addr) | 7, word2: UInt64(bitPattern: len)))
        }
        b.chain(to: region.lowerBound + B)
        try dev.write(b.finished(), at: region.lowerBound)
        // Every other block chains to the next; the last back to the head.
        var addr = region.lowerBound + B
        while addr < region.upperBound {
            var c = LogBlockBuilder()
            c.chain(to: addr + B < region.upperBound ? addr + B : region.lowerBound)
            try dev.write(c.finished(), at: addr)
            addr += B
        }
        let r = Replay.arena(try Image(device: dev), 0)
        XCTAssertEqual(r.blocksRead, Int(img.arenas[0].size / B))
        XCTAssertTrue(r.problems.contains { $0.code == .logChainLoop })
        XCTAssertTrue(r.problems.contains { $0.code == .logAddressOutside })
        everyTool(dev)
    }
}

extension HostileImageTests {
    /// A snapshot tree of tens of thousands of Ksnap records and labels (a 64 MiB image holds
    /// that many), all of one tree, which reaches 2000 blocks a deadlist of snapshot 1 lists:
    /// every pass stays near-linear in them, and memory does not grow with snapshots times
    /// listed blocks.
    func testManySnapshots() throws {
        let size = 64 << 20
        let dev = MemoryDevice(size: size)
        // main holds 2000 data blocks, every one of which a deadlist lists.
        let root = Fixtures.scratch("many")
        for i in 0..<200 {
            try Data((0..<(10 * Format.blockSize)).map { UInt8(truncatingIfNeeded: $0 &+ i) }).write(to: root.appendingPathComponent("f\(i)"))
        }
        _ = try Formatter.write(to: dev, layout: try Layout(size: Int64(size)),
                                options: FormatOptions(user: "glenda", time: 0), census: try Populate.census(root.path), plan: nil)
        let img = try Image(device: dev)
        let main = try TreeReader(img).tree(label: "main")
        var dead: [Int64] = []
        try TreeReader(img).forEach(main) { k, v in
            if k.first == KeyKind.dat.rawValue { dead.append(v.s64(at: 0)) }
            return true
        }
        XCTAssertEqual(dead.count, 2000)
        var next = img.arenas[0].region.upperBound - B
        let dl = DeadlistBlock(next: .null, addresses: dead).encodeBlock()
        try dev.write(dl, at: next)
        let dlp = BlockPointer(addr: next, hash: XXH3.hash(dl), gen: 0)
        var records: [Record] = [Record(key: Key.dlist(gen: 1, bgen: 0).encode(), value: DeadlistRef(head: dlp, tail: dlp).encode())]
        let n = 30_000
        for g in 0..<Int64(n) {
            let t = TreeRecord(nref: g == 0 ? UInt32(n - 1) : 0, nlbl: g % 3 == 0 ? 1 : 0, height: UInt32(main.height),
                               gen: g, pred: g == 0 ? -1 : 0, succ: -1, base: -1, root: main.root)
            records.append(Record(key: Key.snap(gen: UInt64(g)).encode(), value: t.encode()))
        }
        for g in stride(from: Int64(0), to: Int64(n), by: 3) {
            records.append(Record(key: Key.label(name: Array("snap\(g)".utf8)).encode(), value: LabelValue(gen: UInt64(g), flags: 0).encode()))
        }
        records.sort { compareKeys($0.key, $1.key) < 0 }
        let tree = try TreeBuilder.build(records) { node in
            next -= B
            let b = node.encodeBlock()
            try dev.write(b, at: next)
            return BlockPointer(addr: next, hash: XXH3.hash(b), gen: 0)
        }
        var sb = img.superblock
        sb.snapRoot = BlockPointer(addr: tree.root.addr, hash: tree.root.hash)
        sb.snapHeight = tree.height
        sb.nextgen = UInt64(n)
        try put(sb, on: dev)
        let start = Date()
        let c = Checker(image: try Image(device: dev))
        c.run()
        XCTAssertEqual(c.summary.snapshots, n)
        XCTAssertEqual(c.summary.trees, 1, "one tree, walked once")
        XCTAssertEqual(c.problems.filter { $0.code == .deadlistAddressLive }.count, 2000, "snapshot 1 shares the tree that reaches them")
        XCTAssertFalse(c.problems.contains { $0.code == .deadlistReclaimable }, "snapshot 0 reaches them too")
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "the check of \(n) snapshots")
    }
}
