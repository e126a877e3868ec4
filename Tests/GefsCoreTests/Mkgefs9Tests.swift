import XCTest
import Foundation
@testable import GefsCore
import TestSupport

/// mkgefs -t 9front (FORMAT-9FRONT.md §5, §11): ream byte for byte, populated images read back
/// through GefsCore, interrupted formats, the arena logs.
final class Mkgefs9Tests: XCTestCase {
    let B = Format.blockSize64
    let MiB: Int64 = 1 << 20
    let time: Int64 = 1_718_000_000 * 1_000_000_000
    /// The genuine samples, beside the package.
    static let samples = Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/samples/9front")

    func options(_ arenas: Int? = nil, time: Int64? = nil, user: String = "glenda") -> FormatOptions {
        FormatOptions(user: user, time: time ?? self.time, arenas: arenas)
    }

    func request(_ path: String, size: Int64?, root: String? = nil, arenas: Int? = nil, time: Int64? = nil,
                 force: Bool = false, dryRun: Bool = false) -> FormatRequest {
        FormatRequest(path: path, size: size, options: options(arenas, time: time), root: root, force: force, dryRun: dryRun,
                      format: .gefs9)
    }

    func sh(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try Fixtures.run("/bin/sh", ["-c", script])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    }

    /// The genuine ream's output for 136 MiB and glenda, unpacked.
    func genuineReam() throws -> [UInt8] {
        let gz = Mkgefs9Tests.samples.appendingPathComponent("ream.img.gz").path
        guard FileManager.default.fileExists(atPath: gz) else { throw XCTSkip("no genuine sample at \(gz)") }
        let out = Fixtures.scratch("ream").appendingPathComponent("ream.img").path
        try sh("gzip -dc '\(gz)' > '\(out)'")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    // MARK: Ream

    /// `mkgefs -t 9front -s 136M` on a new file is the genuine ream's output, byte for byte,
    /// whatever the format time (ream writes times 0).
    func testFreshImageIsTheGenuineReam() throws {
        let genuine = try genuineReam()
        let dir = Fixtures.scratch("ream9")
        for (i, t) in [time, 5].enumerated() {
            let path = dir.appendingPathComponent("r\(i).img").path
            let r = try request(path, size: 136 * MiB, time: t).run9()
            XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), genuine, "byte for byte the genuine ream.img")
            XCTAssertEqual(r.layout.narena, 8)
            XCTAssertEqual(r.superblock.qgen, 0)
            XCTAssertEqual(r.arenas.map(\.used), [6 * B, 4 * B] + [Int64](repeating: 3 * B, count: 6))
        }
        // The same through a device: ream writes 2 + 3·narena + 4 distinct blocks (and mkgefs zeroes
        // both superblocks first), nothing else.
        let dev = SparseDevice(size: 136 * MiB)
        _ = try Formatter9.write(to: dev, layout: try Layout9(size: 136 * MiB), options: options(), census: nil, plan: nil)
        XCTAssertEqual(dev.blocks.count, 2 + 3 * 8 + 4)
        for (addr, b) in dev.blocks { XCTAssertEqual(b, Array(genuine[Int(addr)..<Int(addr + B)]), hex(addr)) }
    }

    /// Ream's geometry (§5) and the arena count option.
    func testLayouts() throws {
        let l = try Layout9(size: 136 * MiB)
        XCTAssertEqual([Int64(l.narena), l.arenaSize, l.gapBlocks], [Int64(8), 17_776_640, 6])
        XCTAssertEqual(l.region(0), 3 * B ..< B + 17_776_640)
        XCTAssertEqual(l.header(1), B + 17_776_640 + 2 * B)
        let min = try Layout9(size: Layout9.minimumSize)
        XCTAssertEqual([min.arenaSize, min.gapBlocks], [Int64(16_728_064), 7])
        XCTAssertEqual(try Layout9(size: 40 << 40).narena, 10)
        XCTAssertEqual(try Layout9(size: 200 << 40).narena, 32)
        XCTAssertEqual(try Layout9(size: 4 << 30).reserveBlocks, 32, "512 KiB: the reserve's minimum")
        XCTAssertEqual(try Layout9(size: 16 << 30).reserveBlocks, 127, "an arena's size / 1024, in whole blocks (a little under 2 GiB / 1024)")
        XCTAssertEqual(try Layout9(size: 128 << 30).reserveBlocks, 512, "8 MiB: the reserve's maximum")
        for size: Int64 in [136 * MiB, 1 << 30, 4 << 30, (4 << 30) + 12345] {
            for n in [nil, 8, 13, 32] as [Int?] {
                let l = try Layout9(size: size, arenas: n)
                XCTAssertEqual(l.narena, n ?? 8)
                XCTAssertEqual(l.header(l.narena - 1) + l.span + l.gapBlocks * B, l.sb1, "\(size)/\(String(describing: n))")
                XCTAssertLessThan(l.gapBlocks, Int64(l.narena))
            }
        }
        XCTAssertThrowsError(try Layout9(size: Layout9.minimumSize - 1)) {
            XCTAssertEqual("\($0)", "a size of 134234111 bytes is too small: gefs needs at least 134234112 bytes (128.0 MiB)")
        }
        for n in [1, 7, 33, 255] {
            XCTAssertThrowsError(try Layout9(size: 1 << 30, arenas: n)) {
                XCTAssertEqual("\($0)", "\(n) arenas: a 9front image is formatted with 8 to 32 arenas, as the genuine ream makes them (FORMAT-9FRONT.md §1, §5); its rule gives 8 for 1 GiB")
            }
        }
    }

    // MARK: Populating

    /// A host tree: a 2 MiB file with a hole, a sparse file, 700 small files (a tree of height 2),
    /// a deep path, a 200-byte and a 244-byte name, odd modes; and what gefs9.00 cannot hold.
    func hostTree() throws -> URL {
        let root = Fixtures.scratch("src9")
        let long200 = String(repeating: "L", count: 200), long244 = String(repeating: "m", count: 244)
        try sh("""
            cd '\(root.path)' && mkdir -p a/b/c/d/e/f/g/h/i/j many empty && \
            head -c 2000000 /dev/urandom > big && dd if=/dev/zero of=big bs=16384 seek=20 count=10 conv=notrunc 2>/dev/null && \
            truncate -s 1M sparse && echo tail >> sparse && \
            for i in $(seq 1 700); do echo "file $i" > many/f$i; done && : > many/zero-length && \
            echo deep > a/b/c/d/e/f/g/h/i/j/deep.txt && echo 200 > '\(long200)' && echo 244 > '\(long244)' && \
            echo x > 'too\(String(repeating: "x", count: 243))' && printf 'ctl\\n' > "$(printf 'bell\\007')" && ln -s big link && \
            chmod 600 big && chmod 751 a/b && chmod 444 many/f7 && \
            find . -exec touch -h -d @1700000000.5 {} +
            """)
        return root
    }

    /// Every host file and directory, found in main by its path, with its length, mode, times,
    /// owner and contents; every block accounted for; what ream made left as it was.
    func testPopulatedImageReadsBack() throws {
        let src = try hostTree()
        let path = Fixtures.scratch("pop9").appendingPathComponent("p.img").path
        var warnings: [String] = []
        let result = try request(path, size: 256 * MiB, root: src.path).run9 { warnings.append($0) }
        XCTAssertEqual(warnings.sorted(), [
            "skipped \(src.path)/bell\\x7: name contains a control character (the genuine gefs refuses bytes below 0x20)",
            "skipped \(src.path)/link: symbolic link",
            "skipped \(src.path)/too\(String(repeating: "x", count: 243)): name longer than 244 bytes",
        ])
        let rb = try readBack(try Image(path: path))
        XCTAssertEqual(rb.image.format.name, "gefs9.00")
        let sb = rb.image.superblock
        XCTAssertEqual([sb.qgen, sb.nextgen], [1, 3])
        let scan = try Populate.scan(src.path, names: .gefs9)
        XCTAssertEqual(sb.nextqid, scan.nextqid)
        let main = try rb.reader.tree(label: "main")
        XCTAssertEqual(main.height, 2)
        XCTAssertEqual(result.populate?.tree.height, 2)
        var seen = 0
        for (e, path) in zip(scan.entries, scan.paths) {
            let rel = String(decoding: path.dropFirst(src.path.utf8.count), as: UTF8.self)
            let found = try XCTUnwrap(try rb.reader.lookup(main, path: rel), rel)
            let x = found.dir
            XCTAssertEqual(x.qidPath, e.qid, rel)
            XCTAssertEqual(x.mode, (e.isDirectory ? Mode.dir : 0) | e.permissions, rel)
            XCTAssertEqual(UInt32(x.qidType), x.mode >> 24, rel)
            XCTAssertEqual([x.mtime, x.atime], [1_700_000_000_500_000_000, 1_700_000_000_500_000_000], rel)
            XCTAssertEqual([x.uid, x.gid, x.muid], [1, 1, 1], rel)
            XCTAssertEqual([x.flag, UInt64(x.qidVers)], [0, 0], rel)
            if e.isDirectory {
                XCTAssertEqual(x.length, 0)
            } else {
                let host = [UInt8](try Data(contentsOf: URL(fileURLWithPath: src.path + rel)))
                XCTAssertEqual(x.length, UInt64(host.count), rel)
                XCTAssertTrue(try rb.reader.contents(main, file: x) == host, rel)
            }
            seen += 1
        }
        XCTAssertEqual(seen, 12 + 706, "12 directories, 706 files")
        let root = try XCTUnwrap(try rb.reader.lookup(main, path: "/"))
        XCTAssertEqual([root.dir.mtime, Int64(root.dir.uid), Int64(root.dir.gid)], [time, -1, -1], "main's root: ream's, at the format time")
        // Holes: 10 zero blocks of big, 64 of sparse, and the empty file has none.
        XCTAssertEqual(result.populate?.holes, 10 + 64)
        XCTAssertEqual(try rb.reader.dataBlocks(main, file: try rb.reader.lookup(main, path: "/sparse")!.dir.qidPath).count, 1)
        // The snapshots: empty keeps ream's leaf M; main has its own tree of gen 2; §11's fields.
        let snaps = rb.snapshots
        let M = result.layout.header(0) + result.layout.arenaSize - B
        XCTAssertEqual(snaps.snapshot(0)?.root.addr, M)
        XCTAssertEqual(snaps.snapshot(0)?.nref, 2)
        XCTAssertEqual(snaps.snapshot(2)?.root.gen, 2)
        XCTAssertEqual(snaps.snapshot(2)?.height, 2)
        XCTAssertEqual(snaps.snapshots.map(\.pred), [0, 0, 0])
        XCTAssertEqual(snaps.snapshots.map(\.base), [0, 0, 0])
        XCTAssertEqual(snaps.deadlists.count, 0, "main's gen-0 blocks stay with empty: no deadlist")
        XCTAssertEqual(try rb.reader.list(try rb.reader.tree(label: "empty"), directory: 0), [])
        // Every log: ream's block, one block long, ending with LogSync 1; ream's loghd hash kept.
        for (i, r) in rb.replays.enumerated() {
            XCTAssertEqual(r.logBlocks, [result.layout.region(i).lowerBound])
            let copy = rb.image.arenas[i].current!
            XCTAssertEqual(copy.loghdHash, Arena9Log(index: i, header: result.layout.header(i), size: result.layout.arenaSize, spare: 0).reamLogHash)
            let free = Int64(r.free.setCount)
            XCTAssertGreaterThan(free, Int64(result.layout.reserveBlocks + Formatter9.spareBlocks) - 1, "arena \(i) keeps the reserve free")
        }
        let logBlock = try rb.image.device.read(at: result.layout.region(0).lowerBound)
        let steps = Gefs9Format().logSteps(logBlock)
        XCTAssertEqual(steps.suffix(2).first, .entry(offset: Int(logBlock.u16(at: 2)) - 8, .sync(1)))
    }

    /// The same inputs and format time give the same bytes; another time changes main's root.
    func testSameInputsGiveTheSameBytes() throws {
        let src = try hostTree()
        let dir = Fixtures.scratch("repro9")
        var images: [Data] = []
        for (i, t) in [time, time, time + 1_000_000_000].enumerated() {
            let path = dir.appendingPathComponent("\(i).img").path
            _ = try request(path, size: 136 * MiB, root: src.path, time: t).run9()
            images.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            if i == 2 { try FileManager.default.removeItem(atPath: dir.appendingPathComponent("1.img").path) }
        }
        XCTAssertEqual(images[0], images[1])
        XCTAssertNotEqual(images[0], images[2], "the format time is main's root's mtime")
    }

    /// A dry run reports exactly what is then written; too much data fails before any write with
    /// the size needed.
    func testDryRunAndTooMuchData() throws {
        let src = try hostTree()
        let dir = Fixtures.scratch("dry9")
        let path = dir.appendingPathComponent("d.img").path
        let dry = try request(path, size: 136 * MiB, root: src.path, dryRun: true).run9()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(dry.summary.last, "dry run: nothing was written")
        let real = try request(path, size: 136 * MiB, root: src.path).run9()
        XCTAssertEqual(Array(dry.summary.dropLast()), real.summary)

        let big = Fixtures.scratch("big9")
        try sh("head -c 150000000 /dev/urandom > '\(big.path)/data'")
        let out = dir.appendingPathComponent("n.img").path
        XCTAssertThrowsError(try request(out, size: 136 * MiB, root: big.path).run9()) {
            XCTAssertEqual("\($0)", "\(out): the files do not fit in 142606336 bytes (136 MiB); they need an image of at least 158334976 bytes (151 MiB)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let r = try request(out, size: 151 * MiB, root: big.path).run9()
        try readBack(try Image(path: out))
        XCTAssertEqual(r.populate?.dataBlocks, 9156)
    }

    // MARK: Interrupted formats

    /// A format cut off after any number of writes leaves either no gefs image, the old image
    /// (until its sb1 is zeroed), or the whole new one (with at most sb1 and footers to come).
    /// A few states also go through the genuine gefs's check.
    func testInterruptedFormatNeverLooksValid() throws {
        let src = Fixtures.scratch("crash9")
        try sh("cd '\(src.path)' && mkdir d && head -c 100000 /dev/urandom > d/r && echo hi > h && touch -d @1 d/r h d")
        let census = try Populate.census(src.path, names: .gefs9)
        let size = 136 * MiB
        let layout = try Layout9(size: size)
        let old = SparseDevice(size: size)
        _ = try Formatter9.write(to: old, layout: try Layout9(size: size, arenas: 9), options: options(time: 5), census: census, plan: nil)
        let oldSuperblock = try Image(device: old).superblock
        let full = SparseDevice(size: size, blocks: old.blocks)
        _ = try Formatter9.write(to: full, layout: layout, options: options(), census: census, plan: nil, oldSuperblocks: [0, layout.sb1])
        let done = try Image(device: full)
        var outcomes: [String: Int] = [:]
        var genuine: [SparseDevice] = []
        for start in [[:], old.blocks] {
            for k in 0...full.writesAttempted {
                let dev = SparseDevice(size: size, blocks: start, crashAfter: k)
                _ = try Formatter9.write(to: dev, layout: layout, options: options(), census: census, plan: nil, oldSuperblocks: [0, layout.sb1])
                guard let image = try? Image(device: dev) else { outcomes["none", default: 0] += 1; continue }
                if image.superblock == oldSuperblock {
                    outcomes["old", default: 0] += 1
                    if k == 0 { try readBack(image) }
                } else {
                    XCTAssertEqual(image.superblock, done.superblock, "after \(k) writes")
                    try readBack(image, complete: k == full.writesAttempted)
                    if outcomes["new", default: 0] == 0 || k == full.writesAttempted { genuine.append(dev) }
                    outcomes["new", default: 0] += 1
                }
            }
        }
        XCTAssertEqual(outcomes["old"], 2, "the old image stays readable until its sb1 is zeroed: before any write, and after sb0's")
        XCTAssertEqual(outcomes["new"], 2 * 10, "from sb0 on: sb0 alone, then sb1, then each of eight footers")
        if let why = RealGefs.unavailable { print("genuine gefs check skipped: \(why)"); return }
        let dir = Fixtures.scratch("crash9-img")
        for (i, dev) in genuine.enumerated() {
            let p = dir.appendingPathComponent("s\(i).img").path
            try dev.save(to: p)
            let c = try RealGefs.check(p)
            XCTAssertEqual(c.status, 0, "state \(i): \(c.stdout)\(c.stderr)")
            XCTAssertTrue(c.stdout.contains("check: ok"), c.stdout)
        }
    }

    // MARK: The arena log

    /// Replays `blocks` as §8.3 does, from a fully allocated region: the free map and `used`.
    func replay(_ blocks: [(addr: Int64, block: [UInt8])], _ a: Arena9Log) -> (free: BlockBitmap, used: Int64, chain: [Int64]) {
        var free = BlockBitmap(covering: a.region)
        var used = a.size
        var chain: [Int64] = []
        let byAddr = Dictionary(uniqueKeysWithValues: blocks.map { ($0.addr, $0.block) })
        var at: Int64? = blocks.first?.addr
        while let addr = at, let b = byAddr[addr] {
            chain.append(addr)
            XCTAssertEqual(try Gefs9Format().logHeader(b).storedHash, try Gefs9Format().logHeader(b).computedHash)
            at = nil
            Gefs9Format().walkLog(b) { step in
                switch step {
                case let .entry(_, e) where e.isAlloc:
                    let r = free.indices(e.addr, e.len)!
                    XCTAssertTrue(free.allSet(r), "alloc of free space \(e)")
                    free.clear(r); used += e.len
                case let .entry(_, e) where e.isFree:
                    let r = free.indices(e.addr, e.len)!
                    XCTAssertTrue(free.noneSet(r), "free of allocated space \(e)")
                    free.set(r); used -= e.len
                case let .next(n):
                    XCTAssertFalse(free.contains(n), "the next log block is allocated before the chain reaches it")
                    at = n
                default: break
                }
                return true
            }
        }
        return (free, used, chain)
    }

    /// Many lone blocks: the log goes on past ream's block, chaining a block from the top of the
    /// free map with its LogAlloc1 in the block before; replay gives the arena's state.
    func testChainedLog() throws {
        var a = Arena9Log(index: 0, header: B, size: 8000 * B, spare: 0)
        for i in stride(from: 10, to: 6010, by: 2) { XCTAssertTrue(a.allocate(at: a.region.lowerBound + Int64(i) * B)) }
        let (blocks, copy, compressed) = try a.commitLog(gen: 1)
        XCTAssertFalse(compressed)
        XCTAssertEqual(blocks.map(\.addr), [a.region.lowerBound, a.region.upperBound - B])
        let r = replay(blocks, a)
        XCTAssertEqual(r.free, a.free)
        XCTAssertEqual(r.used, copy.used)
        XCTAssertEqual(copy.used, 2 * B + (1 + 3000 + 1) * B)
        XCTAssertEqual(copy.loghdHash, a.reamLogHash)
    }

    /// Lone blocks between blocks that are already allocated, the rest free: the free map is one
    /// range, so the log is written compressed in ream's block, `loghd.hash` −1.
    func testCompressedLog() throws {
        var a = Arena9Log(index: 0, header: B, size: 8000 * B, spare: 0)
        for i in stride(from: 1, to: 4401, by: 2) { a.take(a.region.lowerBound + Int64(i) * B) }
        for i in stride(from: 2, to: 4401, by: 2) { XCTAssertTrue(a.allocate(at: a.region.lowerBound + Int64(i) * B)) }
        let (blocks, copy, compressed) = try a.commitLog(gen: 1)
        XCTAssertTrue(compressed)
        XCTAssertEqual(blocks.map(\.addr), [a.region.lowerBound])
        XCTAssertEqual(copy.loghdHash, UInt64.max)
        let r = replay(blocks, a)
        XCTAssertEqual(r.free, a.free)
        XCTAssertEqual(r.used, copy.used)
        XCTAssertEqual(Gefs9Format().logSteps(blocks[0].block).count, 3, "one LogFree, the barrier, the end")
    }

    /// An arena with nothing to spare beyond the genuine reserve refuses the log.
    func testFullArenaRefusesItsLog() throws {
        var a = Arena9Log(index: 3, header: B, size: 100 * B, spare: 0)
        while a.allocate() != nil {}
        XCTAssertEqual(a.available, 0)
        XCTAssertThrowsError(try a.commitLog(gen: 1)) { XCTAssertEqual($0 as? AllocationError, .arenaFull(arena: 3)) }
    }
}
