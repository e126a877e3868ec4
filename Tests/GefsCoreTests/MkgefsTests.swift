import XCTest
import Foundation
import GefsCore
import TestSupport

/// Images made by mkgefs, read back through GefsCore: superblocks, arena copies, log replay,
/// every reachable block's hash, nothing allocated but what is reachable, and the files.
final class MkgefsTests: XCTestCase {
    let B = Format.blockSize64
    /// The sample images were made at this time (SOURCE_DATE_EPOCH=1718000000).
    let sampleTime: Int64 = 1_718_000_000 * 1_000_000_000

    // MARK: Reading back

    /// Compares a read-back image with a sample's facts (arenas, reachable counts, snapshots).
    func assertFacts(_ rb: ReadBack, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let facts = try Fixtures.facts(name)
        for (i, af) in (facts["arenas"] as! [[String: Any]]).enumerated() {
            XCTAssertEqual(rb.replays[i].free.extents.map { [Int($0.addr), Int($0.len)] }, af["free_ranges"] as! [[Int]], file: file, line: line)
            XCTAssertEqual(Int(rb.replays[i].used), af["used_replay"] as? Int, file: file, line: line)
            XCTAssertEqual(rb.replays[i].logBlocks.map(Int.init), af["log_blocks"] as! [Int], file: file, line: line)
        }
        let reach = facts["reachable"] as! [String: Int]
        for (k, v) in reach { XCTAssertEqual(rb.counts[k] ?? 0, v, k, file: file, line: line) }
        let snaps = (facts["snapshots"] as! [[String: Any]]).map { [$0["gen"], $0["root"], $0["pred"], $0["succ"], $0["nref"], $0["ht"]] as! [Int] }
        XCTAssertEqual(rb.snapshots.snapshots.map { [$0.gen, $0.root.addr, $0.pred, $0.succ, Int64($0.nref), Int64($0.height)].map(Int.init) },
                       snaps, file: file, line: line)
        let labels = (facts["labels"] as! [String: [String: Int]]).mapValues { [$0["gen"]!, $0["flags"]!] }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: rb.snapshots.labels.map { ($0.text, [Int($0.value.gen), Int($0.value.flags)]) }),
                       labels, file: file, line: line)
    }

    func options(_ arenas: Int? = nil, time: Int64? = nil) -> FormatOptions {
        FormatOptions(time: time ?? sampleTime, arenas: arenas)
    }

    func format(size: Int64, arenas: Int? = nil, census: HostCensus? = nil) throws -> (MemoryDevice, FormatResult) {
        let layout = try Layout(size: size, arenas: arenas)
        let dev = MemoryDevice(size: Int(size))
        let r = try Formatter.write(to: dev, layout: layout, options: options(arenas), census: census, plan: nil)
        return (dev, r)
    }

    // MARK: The samples, byte for byte

    func testFreshImageIsTheSample() throws {
        let (dev, result) = try format(size: 16 << 20, arenas: 2)
        let sample = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.sample("fresh")))
        XCTAssertTrue(dev.bytes == [UInt8](sample), "16 MiB, 2 arenas: byte-identical to the independent writer's fresh.img")
        let rb = try readBack(try Image(device: dev))
        try assertFacts(rb, "fresh")
        XCTAssertEqual(result.superblock, rb.image.superblock)
        XCTAssertEqual(result.arenas.map(\.used), [81920, 16384])
    }

    /// The files of populated.img, copied out to a host directory with their modes and times,
    /// give back the very same image.
    func testPopulatedImageIsTheSample() throws {
        let samplePath = try Fixtures.sample("populated")
        let sample = try Image(path: samplePath)
        let reader = TreeReader(sample)
        let main = try reader.tree(label: "main")
        let root = Fixtures.scratch("populated-src")
        var dirs: [(String, Xdir)] = []
        try reader.walkFiles(main) { path, e in
            let host = root.path + path
            if e.isDirectory {
                try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
                if path != "/" { dirs.append((host, e.dir)) }
            } else {
                try Data(try reader.contents(main, file: e.dir)).write(to: URL(fileURLWithPath: host))
                try setAttributes(host, e.dir)
            }
        }
        for (host, x) in dirs.reversed() { try setAttributes(host, x) }
        let out = Fixtures.scratch("populated").appendingPathComponent("p.img").path
        let request = FormatRequest(path: out, size: 24 << 20, options: options(2), root: root.path)
        let result = try request.run()
        XCTAssertEqual(result.populate?.files, 40)
        XCTAssertEqual(result.populate?.directories, 7)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: samplePath)),
                       "byte-identical to the independent writer's populated.img")
        try assertFacts(try readBack(try Image(path: out)), "populated")
    }

    func setAttributes(_ path: String, _ x: Xdir) throws {
        XCTAssertEqual(chmod(path, mode_t(x.mode & 0o777)), 0)
        let t = timespec(tv_sec: Int(x.mtime / 1_000_000_000), tv_nsec: Int(x.mtime % 1_000_000_000))
        XCTAssertEqual(utimensat(AT_FDCWD, path, [t, t], 0), 0)
    }

    // MARK: Layouts

    func testLayouts() throws {
        let G: Int64 = 1 << 30
        for (size, narena) in [(Layout.minimumSize, 1), (16 << 20, 1), (64 * G, 1), (64 * G + B, 2), (200 * G, 4),
                               (8192 * G, 128), (100_000 * G, 128)] as [(Int64, Int)] {
            let l = try Layout(size: size)
            XCTAssertEqual(l.narena, narena, "\(size)")
            XCTAssertLessThan(l.gapBlocks, Int64(l.narena))
            XCTAssertEqual(l.footer(l.narena - 1) + B + l.gapBlocks * B, l.sb1)
        }
        XCTAssertEqual(try Layout(size: 16 << 20, arenas: 3).arenasz, 340 * B)
        XCTAssertEqual(try Layout(size: 16 << 20 + 100).blocks, 1024, "a trailing partial block is left out")
        XCTAssertThrowsError(try Layout(size: Layout.minimumSize - 1)) {
            XCTAssertEqual("\($0)", "a size of 1081343 bytes is too small: gefs needs at least 1081344 bytes (1.0 MiB)")
        }
        XCTAssertThrowsError(try Layout(size: 16 << 20, arenas: 16)) {
            XCTAssertEqual("\($0)", "16 arenas need an image of at least 16809984 bytes (16.0 MiB): each arena must have 64 blocks")
        }
        XCTAssertEqual(try Layout.parseSize("16M"), 16 << 20)
        XCTAssertEqual(try Layout.parseSize("3g"), 3 << 30)
        XCTAssertEqual(try Layout.parseSize("2KiB"), 2048)
        XCTAssertEqual(try Layout.parseSize("1T"), 1 << 40)
        XCTAssertEqual(try Layout.parseSize("12345"), 12345)
        for bad in ["", "M", "1.5G", "-1", "12X", "99999999999T"] { XCTAssertThrowsError(try Layout.parseSize(bad), bad) }
    }

    func testFreshImagesOfSeveralLayouts() throws {
        for (size, arenas) in [(Layout.minimumSize, 1), (5 << 20 + 3 * B, 3), (40 << 20, 7)] as [(Int64, Int)] {
            let (dev, result) = try format(size: size, arenas: arenas)
            let rb = try readBack(try Image(device: dev))
            XCTAssertEqual(rb.counts, ["log": arenas, "leaf": 3, "data": 1], "\(size)/\(arenas)")
            XCTAssertEqual(result.superblock.narena, arenas)
            XCTAssertEqual(rb.image.superblock.nextqid, 3)
        }
    }

    /// A 70 GiB sparse file gets two arenas of 35 GiB.
    func testLargeSparseImage() throws {
        let path = Fixtures.scratch("large").appendingPathComponent("l.img").path
        let r = try FormatRequest(path: path, size: 70 << 30, options: options()).run()
        XCTAssertEqual(r.layout.narena, 2)
        let rb = try readBack(try Image(path: path))
        XCTAssertEqual(rb.image.arenas[1].base, B + r.layout.arenasz)
    }

    // MARK: Populating

    /// A host tree to copy: paths as byte components, with contents, modes and times.
    struct HostNode {
        var path: [[UInt8]]
        var isDirectory: Bool
        var mode: UInt32
        var mtime: Int64
        var contents: [UInt8] = []
    }

    /// Creates `nodes` under `root`, runs `extra`, then sets modes and times (last, so that
    /// nothing created afterwards changes a directory's mtime).
    func makeTree(_ nodes: [HostNode], at root: URL, extra: (URL) throws -> Void = { _ in }) throws {
        func cpath(_ p: [[UInt8]]) -> [CChar] {
            (Array(root.path.utf8) + p.flatMap { [UInt8(ascii: "/")] + $0 } + [0]).map { CChar(bitPattern: $0) }
        }
        for n in nodes {
            let p = cpath(n.path)
            if n.isDirectory {
                XCTAssertEqual(mkdir(p, 0o700), 0)
            } else {
                let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                XCTAssertGreaterThanOrEqual(fd, 0)
                XCTAssertEqual(n.contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, n.contents.count)
                close(fd)
            }
        }
        try extra(root)
        for n in nodes.reversed() {
            let p = cpath(n.path)
            XCTAssertEqual(chmod(p, mode_t(n.mode)), 0)
            let t = timespec(tv_sec: Int(n.mtime / 1_000_000_000), tv_nsec: Int(n.mtime % 1_000_000_000))
            XCTAssertEqual(utimensat(AT_FDCWD, p, [t, t], 0), 0)
        }
    }

    /// A tree with a several-MiB file (holes, a partial last block), a directory of thousands
    /// of entries, deep nesting, odd names and modes.
    func sampleTree() -> [HostNode] {
        var rng = SeededRandom(seed: 42)
        var nodes: [HostNode] = []
        var t: Int64 = 1_600_000_000_123_456_789
        func add(_ path: [String], dir: Bool = false, mode: UInt32 = 0o644, _ contents: [UInt8] = []) {
            t += 1_000_000_007
            nodes.append(HostNode(path: path.map { Array($0.utf8) }, isDirectory: dir, mode: mode, mtime: t, contents: contents))
        }
        var big = rng.bytes(5 << 20 + 1234)
        big.replaceSubrange(16384 * 10..<16384 * 30, with: [UInt8](repeating: 0, count: 16384 * 20))
        add(["big.bin"], mode: 0o600, big)
        add(["many"], dir: true, mode: 0o755)
        for i in 0..<3000 { add(["many", "entry-\(i)"], mode: [0o644, 0o600, 0o755][i % 3], i % 7 == 0 ? [] : Array("file \(i)\n".utf8)) }
        add(["a"], dir: true, mode: 0o700)
        add(["a", "b"], dir: true, mode: 0o750)
        add(["a", "b", "c"], dir: true)
        add(["a", "b", "c", "name with spaces.txt"], mode: 0o640, Array("spaces\n".utf8))
        add(["a", "b", "c", "empty-dir"], dir: true, mode: 0o711)
        add(["a", "zeros"], [UInt8](repeating: 0, count: 50000))
        add([String(repeating: "n", count: Format.nameMax)], Array("longest name\n".utf8))
        nodes.append(HostNode(path: [[0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9]], isDirectory: false, mode: 0o644, mtime: 5, contents: [1, 2, 3]))
        return nodes
    }

    func testPopulatedImageReadsBackFileByFile() throws {
        let root = Fixtures.scratch("tree")
        let nodes = sampleTree()
        // Things gefs cannot hold: each skipped with one warning.
        let tooLong = String(repeating: "x", count: Format.nameMax + 1)
        try makeTree(nodes, at: root) { root in
            _ = FileManager.default.createFile(atPath: root.path + "/" + tooLong, contents: Data("x".utf8))
            try FileManager.default.createSymbolicLink(atPath: root.path + "/link", withDestinationPath: "big.bin")
            XCTAssertEqual(mkfifo(root.path + "/a/fifo", 0o644), 0)
        }
        let path = Fixtures.scratch("img").appendingPathComponent("t.img").path
        var warnings: [String] = []
        let result = try FormatRequest(path: path, size: 64 << 20, options: options(2), root: root.path).run { warnings.append($0) }
        XCTAssertEqual(warnings.sorted(), [
            "skipped \(root.path)/\(tooLong): name longer than 244 bytes",
            "skipped \(root.path)/a/fifo: FIFO",
            "skipped \(root.path)/link: symbolic link",
        ].sorted())
        let rb = try readBack(try Image(path: path))
        let main = try rb.reader.tree(label: "main")
        XCTAssertGreaterThanOrEqual(main.height, 2)
        XCTAssertEqual(result.populate?.tree.height, main.height)
        // Every host node, found by its byte path, with its contents, length, mode and times.
        var qids = Set<UInt64>()
        var listings: [UInt64: [[UInt8]: DirEntry]] = [:]
        for n in nodes {
            var parent = UInt64(0)
            var entry: DirEntry?
            for (i, name) in n.path.enumerated() {
                if listings[parent] == nil {
                    listings[parent] = Dictionary(uniqueKeysWithValues: try rb.reader.list(main, directory: parent).map { ($0.name, $0) })
                }
                entry = listings[parent]![name]
                guard let e = entry else { return XCTFail("\(n.path.prefix(i + 1).map(printable)) missing") }
                parent = e.dir.qidPath
            }
            let x = entry!.dir
            XCTAssertTrue(qids.insert(x.qidPath).inserted)
            XCTAssertEqual(x.mode, (n.isDirectory ? Mode.dir : 0) | n.mode, "\(n.path.map(printable))")
            XCTAssertEqual([x.mtime, x.atime], [n.mtime, n.mtime])
            XCTAssertEqual([x.uid, x.gid, x.muid], [1, 1, 1])
            XCTAssertEqual(x.length, UInt64(n.contents.count))
            if !n.isDirectory { XCTAssertTrue(try rb.reader.contents(main, file: x) == n.contents, "\(n.path.map(printable))") }
        }
        XCTAssertEqual(qids.min(), 3)
        XCTAssertEqual(qids.max(), 2 + UInt64(nodes.count))
        XCTAssertEqual(rb.image.superblock.nextqid, 3 + UInt64(nodes.count))
        // 20 zero blocks of big.bin and all 4 of zeros are holes.
        XCTAssertEqual(result.populate?.holes, 24)
        let bigQid = try rb.reader.lookup(main, path: "/big.bin")!.dir.qidPath
        XCTAssertEqual(try rb.reader.dataBlocks(main, file: bigQid).count, 321 - 20)
        // main's old root leaf, shared with empty, is deadlisted under Kdlist(2, 0).
        XCTAssertEqual(rb.snapshots.deadlists.map(\.name), ["Kdlist(2, 0)"])
        XCTAssertEqual(rb.counts["dead"], 1)
        XCTAssertNotEqual(rb.snapshots.snapshot(0)?.root, rb.snapshots.snapshot(2)?.root, "main has a tree of its own")
        XCTAssertEqual(try rb.reader.list(try rb.reader.tree(label: "empty"), directory: 0), [])
    }

    func testSameInputsGiveTheSameBytes() throws {
        let root = Fixtures.scratch("repro")
        try makeTree(Array(sampleTree().prefix(40)), at: root)
        let dir = Fixtures.scratch("repro-img")
        var images: [Data] = []
        for (i, t) in [sampleTime, sampleTime, sampleTime + 1].enumerated() {
            let path = dir.appendingPathComponent("\(i).img").path
            _ = try FormatRequest(path: path, size: 32 << 20, options: options(time: t), root: root.path).run()
            images.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        XCTAssertEqual(images[0], images[1])
        XCTAssertNotEqual(images[0], images[2], "the format time is in the image")
    }

    // MARK: Interrupted formats

    /// A format cut off after any number of writes leaves either no valid superblock, the old
    /// image untouched, or the whole new image (with at most sb1 and footers still to come).
    func testInterruptedFormatNeverLooksValid() throws {
        let root = Fixtures.scratch("crash-src")
        try makeTree(sampleTree().suffix(8), at: root)
        let census = try Populate.census(root.path)
        let size: Int64 = 4 << 20
        let layout = try Layout(size: size, arenas: 2)
        // The old image: another format of the same device.
        let old = MemoryDevice(size: Int(size))
        _ = try Formatter.write(to: old, layout: try Layout(size: size), options: options(time: 5), census: nil, plan: nil)
        let oldSuperblock = try Image(device: old).superblock
        let full = MemoryDevice(bytes: old.bytes)
        let done = try Formatter.write(to: full, layout: layout, options: options(), census: census, plan: nil, oldSuperblocks: [0, size - B])
        var outcomes: [String: Int] = [:]
        for start in [[UInt8](repeating: 0, count: Int(size)), old.bytes] {
            for k in 0...full.writesAttempted {
                let dev = MemoryDevice(bytes: start, crashAfter: k)
                _ = try Formatter.write(to: dev, layout: layout, options: options(), census: census, plan: nil, oldSuperblocks: [0, size - B])
                guard let image = try? Image(device: dev) else { outcomes["none", default: 0] += 1; continue }
                if image.superblock == oldSuperblock {
                    XCTAssertTrue(dev.bytes[Int(B)...] == old.bytes[Int(B)...], "after \(k) writes: the old image is only missing sb0")
                    outcomes["old", default: 0] += 1
                } else {
                    XCTAssertEqual(image.superblock, done.superblock, "after \(k) writes")
                    try readBack(image, complete: k == full.writesAttempted)
                    outcomes["new", default: 0] += 1
                }
                try assertChecksAndConverges(dev.bytes, "after \(k) writes")
            }
        }
        XCTAssertEqual(outcomes["old"], 2, "the old image stays readable until its sb1 is zeroed: before any write, and after sb0's")
        XCTAssertEqual(outcomes["new"], 2 * 4, "from sb0 on: sb0 alone, then sb1, then each of two footers")
    }

    /// gefs-fsck -n finds nothing but the copies a crash leaves unwritten, and -y then leaves
    /// the image clean.
    func assertChecksAndConverges(_ bytes: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lagging: Set<String> = ["superblock_invalid", "superblock_stale", "arena_footer_stale", "arena_copy_corrupt"]
        let c = Checker(image: try Image(device: MemoryDevice(bytes: bytes)))
        c.run()
        XCTAssertEqual(c.problems.filter { !lagging.contains($0.code.id) }.map(\.description), [], what, file: file, line: line)
        let dev = MemoryDevice(bytes: bytes)
        let r = Checker(image: try Image(device: dev))
        r.run()
        _ = try Repairer(checker: r, mode: .all).repair()
        let again = Checker(image: try Image(device: dev))
        again.run()
        XCTAssertEqual(again.problems.map(\.description), [], "\(what), then gefs-fsck -y", file: file, line: line)
    }

    // MARK: Refusals and errors

    func testRefusesToFormatOverDataWithoutForce() throws {
        let dir = Fixtures.scratch("refuse")
        let gefs = dir.appendingPathComponent("gefs.img").path
        _ = try FormatRequest(path: gefs, size: 2 << 20, options: options()).run()
        let other = dir.appendingPathComponent("other.img").path
        _ = FileManager.default.createFile(atPath: other, contents: Data(repeating: 0x55, count: 2 << 20))
        let zeros = dir.appendingPathComponent("zeros.img").path
        _ = FileManager.default.createFile(atPath: zeros, contents: Data(count: 2 << 20))
        for (path, why) in [(gefs, "already holds a gefs8.00 file system (use -f to format over it)"),
                            (other, "holds data that is not a gefs image (use -f to overwrite it)")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try FormatRequest(path: path, options: options(time: 1)).run()) {
                XCTAssertEqual("\($0)", "\(path): \(why)")
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "nothing written")
            _ = try FormatRequest(path: path, options: options(time: 1), force: true).run()
            try readBack(try Image(path: path))
        }
        _ = try FormatRequest(path: zeros, options: options()).run()
        try readBack(try Image(path: zeros))
    }

    /// Growing an image: the old sb1, now inside the new image, is zeroed with sb0 and the new
    /// sb1 before anything else is written.
    func testOldBackupSuperblockIsInvalidatedFirst() throws {
        let path = Fixtures.scratch("grow").appendingPathComponent("g.img").path
        _ = try FormatRequest(path: path, size: 6 << 20, options: options()).run()
        let oldSb1: Int64 = (6 << 20) - B
        XCTAssertEqual(truncate(path, 8 << 20), 0)
        XCTAssertEqual(try FormatTarget.inspect(path).contents(), .gefs(superblocks: [0, oldSb1]))
        let dev = MemoryDevice(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), crashAfter: 3)
        XCTAssertNoThrow(try Image(device: dev))
        _ = try Formatter.write(to: dev, layout: try Layout(size: 8 << 20), options: options(), census: nil, plan: nil,
                                oldSuperblocks: [0, oldSb1])
        for a in [0, oldSb1, (8 << 20) - B] { XCTAssertTrue(try dev.read(at: a).allZero(0..<Int(B)), hex(a)) }
        XCTAssertThrowsError(try Image(device: dev))
    }

    func testErrorsAreOneLineAndWriteNothing() throws {
        let dir = Fixtures.scratch("errors")
        let missing = dir.appendingPathComponent("missing.img").path
        func fails(_ r: FormatRequest, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try r.run(), file: file, line: line) {
                XCTAssertEqual("\($0)", message, file: file, line: line)
                XCTAssertFalse("\($0)".contains("\n"), file: file, line: line)
            }
        }
        fails(FormatRequest(path: missing, options: options()), "\(missing): does not exist (give a size to create it)")
        fails(FormatRequest(path: missing, size: 1 << 20, options: options()),
              "a size of 1048576 bytes is too small: gefs needs at least 1081344 bytes (1.0 MiB)")
        fails(FormatRequest(path: dir.path, size: 2 << 20, options: options()), "\(dir.path): is a directory, not an image file or block device")
        fails(FormatRequest(path: "/dev/null", size: 2 << 20, options: options()), "/dev/null: not a regular file or a block device")
        fails(FormatRequest(path: missing, size: 2 << 20, options: FormatOptions(user: "a:b", time: 0)),
              "bad user name \"a:b\": it must not contain ':', '/' or control characters")
        fails(FormatRequest(path: missing, size: 2 << 20, options: options(), root: missing),
              "\(missing): cannot read: No such file or directory")
        let file = dir.appendingPathComponent("f").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        fails(FormatRequest(path: missing, size: 2 << 20, options: options(), root: file), "\(file): not a directory")
        fails(FormatRequest(path: "/proc/version/x.img", size: 2 << 20, options: options()), "/proc/version/x.img: Not a directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        XCTAssertThrowsError(try FormatOptions.time(sourceDateEpoch: "yesterday"))
        XCTAssertEqual(try FormatOptions.time(sourceDateEpoch: "1718000000"), sampleTime)
    }

    func testTooMuchDataFailsBeforeWritingAndNamesTheSizeNeeded() throws {
        let root = Fixtures.scratch("nofit")
        var rng = SeededRandom(seed: 7)
        try makeTree([HostNode(path: [Array("data".utf8)], isDirectory: false, mode: 0o644, mtime: 1, contents: rng.bytes(3_000_000)),
                      HostNode(path: [Array("sparse".utf8)], isDirectory: false, mode: 0o644, mtime: 1,
                               contents: [UInt8](repeating: 0, count: 40 << 20) + [1])], at: root)
        let dir = Fixtures.scratch("nofit-img")
        let path = dir.appendingPathComponent("n.img").path
        XCTAssertThrowsError(try FormatRequest(path: path, size: 3 << 20, options: options(), root: root.path).run()) {
            XCTAssertEqual("\($0)", "\(path): the files do not fit in 3145728 bytes (3 MiB); they need an image of at least 4194304 bytes (4 MiB)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing created")
        // The 40 MiB sparse file counts only its one data block: 4 MiB is enough.
        let r = try FormatRequest(path: path, size: 4 << 20, options: options(), root: root.path).run()
        XCTAssertEqual(r.populate?.holes, 2560)
        try readBack(try Image(path: path))
    }

    /// A source file that goes away after the census, or grows by a block, fails the format
    /// (the passes after the census walk the host directory again); the image is left with no
    /// valid superblock.
    func testVanishingSourceFile() throws {
        let root = Fixtures.scratch("vanish")
        try makeTree(Array(sampleTree().prefix(3)), at: root)
        let census = try Populate.census(root.path)
        try FileManager.default.removeItem(atPath: root.path + "/big.bin")
        let dev = MemoryDevice(size: 32 << 20)
        XCTAssertThrowsError(try Formatter.write(to: dev, layout: try Layout(size: 32 << 20), options: options(), census: census,
                                                 plan: nil)) {
            XCTAssertEqual("\($0)", "\(root.path): changed while being copied: it holds other entries than were scanned")
        }
        XCTAssertThrowsError(try Image(device: dev))
        try Data(count: 2 * Format.blockSize).write(to: root.appendingPathComponent("big.bin"))
        let grown = try Populate.census(root.path)
        try Data(count: 3 * Format.blockSize).write(to: root.appendingPathComponent("big.bin"))
        XCTAssertThrowsError(try Formatter.write(to: dev, layout: try Layout(size: 32 << 20), options: options(), census: grown,
                                                 plan: nil)) {
            XCTAssertEqual("\($0)", "\(root.path): changed while being copied: its files span 3 blocks, not the 2 scanned")
        }
        XCTAssertThrowsError(try Image(device: dev))
    }

    func testDryRunWritesNothing() throws {
        let root = Fixtures.scratch("dry-src")
        try makeTree(Array(sampleTree().prefix(30)), at: root)
        let dir = Fixtures.scratch("dry")
        let path = dir.appendingPathComponent("d.img").path
        let dry = try FormatRequest(path: path, size: 16 << 20, options: options(), root: root.path, dryRun: true).run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(dry.summary.last, "dry run: nothing was written")
        let real = try FormatRequest(path: path, size: 16 << 20, options: options(), root: root.path).run()
        XCTAssertEqual(Array(dry.summary.dropLast()), real.summary, "the plan is exactly what is written")
    }
}
