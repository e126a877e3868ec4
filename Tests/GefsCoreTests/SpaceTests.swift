import XCTest
import GefsCore
import TestSupport

/// Space/: block bitmaps against a plain array of booleans, free-space figures, the
/// classification of reachable blocks (FORMAT.md §12) and the maps drawn from it.
final class SpaceTests: XCTestCase {
    let B = Format.blockSize64

    // MARK: BlockBitmap

    /// The runs of set bits of `model`, as the bitmap's extents would give them.
    func extents(_ model: [Bool], start: Int64) -> [[Int64]] {
        var out: [[Int64]] = []
        var i = 0
        while i < model.count {
            guard model[i] else { i += 1; continue }
            var j = i
            while j < model.count, model[j] { j += 1 }
            out.append([start + Int64(i) * B, Int64(j - i) * B])
            i = j
        }
        return out
    }

    func assertMatches(_ b: BlockBitmap, _ model: [Bool], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual((0..<b.count).map { b[$0] }, model, context, file: file, line: line)
        XCTAssertEqual(b.setCount, model.filter { $0 }.count, context, file: file, line: line)
        XCTAssertEqual(b.extents.map { [$0.addr, $0.len] }, extents(model, start: b.start), context, file: file, line: line)
        XCTAssertEqual(b.addresses, model.indices.filter { model[$0] }.map { b.start + Int64($0) * B }, context, file: file, line: line)
    }

    /// Random range operations over spans that end inside and on word boundaries.
    func testRangeOperationsAgainstAModel() {
        var rng = SeededRandom(seed: 0x5ace)
        for count in [1, 63, 64, 65, 130, 200] {
            let start = Int64(rng.int(0...16)) * B
            var b = BlockBitmap(start: start, count: count)
            var model = [Bool](repeating: false, count: count)
            for step in 0..<300 {
                let lo = rng.int(0...count - 1), hi = rng.int(lo + 1...count)
                let r = lo..<hi
                XCTAssertEqual(b.countSet(r), model[r].filter { $0 }.count, "count \(count) step \(step) \(r)")
                XCTAssertEqual(b.allSet(r), model[r].allSatisfy { $0 })
                XCTAssertEqual(b.noneSet(r), !model[r].contains(true))
                let i = rng.int(0...count)
                XCTAssertEqual(b.nextSet(from: i), (i..<count).first { model[$0] } ?? count, "nextSet(\(i))")
                XCTAssertEqual(b.nextClear(from: i), (i..<count).first { !model[$0] } ?? count, "nextClear(\(i))")
                switch rng.int(0...3) {
                case 0: b.set(r); for k in r { model[k] = true }
                case 1: b.clear(r); for k in r { model[k] = false }
                case 2: let k = rng.int(0...count - 1); b[k].toggle(); model[k].toggle()
                default:
                    let k = rng.int(0...count - 1)
                    b.insert(start + Int64(k) * B); model[k] = true
                    let m = rng.int(0...count - 1)
                    b.remove(block: start + Int64(m) * B); model[m] = false
                }
            }
            assertMatches(b, model, "count \(count)")
        }
    }

    func testFilledBitmapsStopAtTheirCount() {
        for count in [1, 63, 64, 65, 127, 128, 129] {
            let b = BlockBitmap(start: 0, count: count, filled: true)
            XCTAssertEqual(b.setCount, count)
            XCTAssertEqual(b.extents.map { [$0.addr, $0.len] }, [[0, Int64(count) * B]])
            XCTAssertEqual(b.nextClear(from: 0), count)
            XCTAssertEqual(b.union(BlockBitmap(start: 0, count: count)), b)
        }
        let region = 2 * B ..< 12 * B
        let c = BlockBitmap(covering: region, filled: true)
        XCTAssertEqual(c.start, 2 * B)
        XCTAssertEqual(c.count, 10)
        XCTAssertEqual(c.span, region)
    }

    func testIndicesAndContainsRejectWhatLeavesTheSpan() {
        var b = BlockBitmap(start: 4 * B, count: 8)
        XCTAssertEqual(b.indices(4 * B, B), 0..<1)
        XCTAssertEqual(b.indices(6 * B, 3 * B), 2..<5)
        XCTAssertEqual(b.indices(4 * B, 8 * B), 0..<8)
        XCTAssertNil(b.indices(3 * B, B), "before the span")
        XCTAssertNil(b.indices(11 * B, 2 * B), "past its end")
        XCTAssertNil(b.indices(4 * B + 1, B), "misaligned address")
        XCTAssertNil(b.indices(4 * B, B - 1), "misaligned length")
        XCTAssertNil(b.indices(4 * B, 0), "empty")
        XCTAssertNil(b.indices(4 * B, Int64.max - B + 1), "overflowing length")
        b.insert(5 * B)
        b.insert(100 * B)  // outside: ignored
        b.remove(block: 200 * B)
        XCTAssertTrue(b.contains(5 * B))
        XCTAssertFalse(b.contains(6 * B))
        XCTAssertFalse(b.contains(5 * B + 8))
        XCTAssertFalse(b.contains(100 * B))
        XCTAssertEqual(b.setCount, 1)
        XCTAssertEqual(b.address(3), 7 * B)
    }

    func testSetOperationsAndSlicesAgainstAModel() {
        var rng = SeededRandom(seed: 0xb17)
        for count in [5, 64, 100, 191] {
            let bits = { (0..<count).map { _ in rng.int(0...2) == 0 } }
            let ma = bits(), mb = bits()
            var a = BlockBitmap(start: 0, count: count), b = BlockBitmap(start: 0, count: count)
            a.insert(blocks: ma.indices.filter { ma[$0] }.map { Int64($0) * B })
            b.insert(blocks: mb.indices.filter { mb[$0] }.map { Int64($0) * B })
            assertMatches(a.union(b), zip(ma, mb).map { $0 || $1 }, "union \(count)")
            assertMatches(a.intersection(b), zip(ma, mb).map { $0 && $1 }, "intersection \(count)")
            assertMatches(a.subtracting(b), zip(ma, mb).map { $0 && !$1 }, "subtracting \(count)")
            var u = a
            u.formUnion(b)
            XCTAssertEqual(u, a.union(b))
            for first in [0, 1, 3, 63, 64, count / 2] where first < count {
                let n = count - first
                let s = a.slice(from: first, covering: Int64(first) * B ..< Int64(first + n) * B)
                XCTAssertEqual(s.start, Int64(first) * B)
                assertMatches(s, Array(ma[first...]), "slice \(count) from \(first)")
            }
        }
    }

    // MARK: FreeSpaceStats

    func testFreeSpaceFigures() {
        // Free runs of 1, 2, 3, 4 and 8 blocks.
        var free = BlockBitmap(start: 0, count: 40)
        for (at, n) in [(0, 1), (2, 2), (5, 3), (10, 4), (20, 8)] { free.set(at..<at + n) }
        let s = FreeSpaceStats(free)
        XCTAssertEqual(s.extents, 5)
        XCTAssertEqual(s.freeBytes, 18 * B)
        XCTAssertEqual(s.largest, 8 * B)
        XCTAssertEqual(s.histogram, [1, 2, 1, 1], "1 | 2-3 | 4-7 | 8-15 blocks")
        XCTAssertEqual(s.fragmentation, 100 * 10 / 18)
        XCTAssertEqual((0..<4).map(FreeSpaceStats.bucketLabel), ["1", "2-3", "4-7", "8-15"])

        let whole = FreeSpaceStats(BlockBitmap(start: 0, count: 40, filled: true))
        XCTAssertEqual(whole.fragmentation, 0)
        XCTAssertEqual(whole.histogram, [0, 0, 0, 0, 0, 1])
        let none = FreeSpaceStats(BlockBitmap(start: 0, count: 40))
        XCTAssertEqual(none, FreeSpaceStats(extents: []))
        XCTAssertEqual(none.fragmentation, 0)
        XCTAssertEqual(none.largest, 0)
    }

    // MARK: Classification

    func freshImage() throws -> Image { try Image(path: try Fixtures.sample("fresh")) }

    func testMarkingKindsCrossLinksAndOutside() throws {
        let img = try freshImage()
        var space = SpaceClassification(image: img)
        let region = img.arenas[0].region
        let a = region.lowerBound + 10 * B, b = region.lowerBound + 11 * B

        var r = space.mark(a, .data, image: img, from: "test")
        XCTAssertTrue(r.new)
        XCTAssertNil(r.problem)
        XCTAssertFalse(space.mark(a, .data, image: img, from: "again").new, "once per kind")
        XCTAssertEqual(space.kinds(at: a), [.data])
        XCTAssertTrue(space.isReachable(a))
        XCTAssertFalse(space.isReachable(b))

        // A listed dead address may coincide with a data block; a tree node may not.
        r = space.mark(a, .dead, image: img, from: "a deadlist")
        XCTAssertTrue(r.new)
        XCTAssertNil(r.problem)
        r = space.mark(a, .leaf, image: img, from: "snapshot 1")
        XCTAssertEqual(r.problem?.code, .spaceCrossLink)
        XCTAssertEqual(r.problem?.arena, 0)
        XCTAssertEqual(r.problem?.block, a)
        XCTAssertEqual(space.kinds(at: a), [.leaf, .data, .dead])

        // A listed dead address may not be a log or deadlist block.
        XCTAssertNil(space.mark(b, .log, image: img, from: "the log").problem)
        XCTAssertEqual(space.mark(b, .dead, image: img, from: "a deadlist").problem?.code, .spaceCrossLink)

        for bad in [Int64(0), region.lowerBound + 1, img.arenas[0].addr(of: .header)] {
            r = space.mark(bad, .data, image: img, from: "somewhere")
            XCTAssertFalse(r.new)
            XCTAssertEqual(r.problem?.code, .spaceOutside, hex(bad))
        }
        XCTAssertEqual(space.count(.data), 1)
        XCTAssertEqual(space.count(.leaf), 1)
        XCTAssertEqual(space.count(.dead), 2)
        XCTAssertEqual(space.count(.log), 1)
        XCTAssertEqual(space.count(.pivot), 0)
    }

    func testFreeMapsAndComparison() throws {
        let img = try freshImage()
        let arena = img.arenas[0]
        let region = arena.region
        let base = region.lowerBound
        var space = SpaceClassification(image: img)
        _ = space.mark(base, .log, image: img, from: "loghd")
        _ = space.mark(base + B, .leaf, image: img, from: "root")
        _ = space.mark(base + 2 * B, .data, image: img, from: "file")
        _ = space.mark(base + 3 * B, .log, image: img, from: "log")
        _ = space.mark(base + 3 * B, .data, image: img, from: "file")  // cross-linked: not only log

        let all = BlockBitmap(covering: region, filled: true)
        let free = space.freeMap(for: arena)
        XCTAssertEqual(free.setCount, all.setCount - 4)
        XCTAssertEqual(space.reachable(in: arena).addresses, [base, base + B, base + 2 * B, base + 3 * B])
        let logsFree = space.freeMap(for: arena, logsFree: true)
        XCTAssertEqual(logsFree.subtracting(free).addresses, [base], "a block reached only as a log block")
        XCTAssertEqual(space.freeMap(for: img.arenas[1]), BlockBitmap(covering: img.arenas[1].region, filled: true))

        // The free map reachability gives agrees with itself.
        XCTAssertEqual(space.compare(free: free, arena: arena, grading: img.format.grading), [])

        // Allocated but unreachable: a leak, in runs.
        var leaky = free
        leaky.clear(10..<13)
        leaky.clear(20..<21)
        var problems = space.compare(free: leaky, arena: arena, grading: img.format.grading)
        XCTAssertEqual(problems.map(\.code), [.spaceLeak, .spaceLeak])
        XCTAssertEqual(problems.map(\.block), [base + 10 * B, base + 20 * B])
        XCTAssertTrue(problems[0].message.hasPrefix("blocks \(hex(base + 10 * B))..<\(hex(base + 13 * B)) (3) allocated but unreachable"), problems[0].message)
        XCTAssertTrue(problems[1].message.hasPrefix("block \(hex(base + 20 * B)) allocated"), problems[1].message)

        // With a look at the bytes, a run splits where its blocks stop looking alike.
        let looked = space.compare(free: leaky, arena: arena, grading: img.format.grading,
                                   look: { [b12 = base + 12 * B] in $0 == b12 ? .log : .treeNode })
        XCTAssertEqual(looked.map(\.block), [base + 10 * B, base + 12 * B, base + 20 * B])
        XCTAssertEqual(looked.map(\.message), [
            "blocks \(hex(base + 10 * B))..<\(hex(base + 12 * B)) (2) allocated but unreachable: probably a replaced tree node",
            "block \(hex(base + 12 * B)) allocated but unreachable: probably a previous log block",
            "block \(hex(base + 20 * B)) allocated but unreachable: probably a replaced tree node",
        ])

        // Reachable but free: a use after free, naming what the blocks are.
        var uaf = free
        uaf.insert(base + B)
        uaf.insert(base + 2 * B)
        problems = space.compare(free: uaf, arena: arena, grading: img.format.grading)
        XCTAssertEqual(problems.map(\.code), [.spaceUseAfterFree])
        XCTAssertEqual(problems.first?.arena, 0)
        XCTAssertTrue(problems.first?.message.contains("(leaf, data block) but free in the log") == true, problems.first?.message ?? "")

        // Part of the trees unknown: leaks are not claimed, uses after free still are.
        space.complete = false
        XCTAssertEqual(space.compare(free: leaky, arena: arena, grading: img.format.grading), [])
        XCTAssertEqual(space.compare(free: uaf, arena: arena, grading: img.format.grading).map(\.code), [.spaceUseAfterFree])
    }

    // MARK: Maps

    func testMapClassesAndCells() throws {
        let img = try freshImage()
        let arena = img.arenas[0]
        let base = arena.region.lowerBound
        let n = Int((arena.region.upperBound - base) / B)
        var space = SpaceClassification(image: img)
        _ = space.mark(base, .log, image: img, from: "log")
        _ = space.mark(base + B, .pivot, image: img, from: "tree")
        _ = space.mark(base + 2 * B, .data, image: img, from: "file")
        _ = space.mark(base + 3 * B, .deadlist, image: img, from: "dl")
        _ = space.mark(base + 4 * B, .dead, image: img, from: "dl")
        _ = space.mark(base + 5 * B, .data, image: img, from: "file")
        var free = space.freeMap(for: arena)
        free.insert(base + 5 * B)  // reachable, free
        free.clear(6..<7)  // allocated, unreachable

        let expected: [BlockClass] = [.log, .node, .data, .deadlist, .dead, .useAfterFree, .leaked]
        let one = SpaceMap(image: img, freeMaps: [(arena: 0, free: free)], space: space, width: n)
        XCTAssertEqual(one.rows.count, 1)
        XCTAssertEqual(one.rows[0].blocksPerCell, 1)
        XCTAssertEqual(Array(one.rows[0].cells.prefix(8)), expected + [.free])
        XCTAssertEqual(one.rows[0].totals[.free], n - 7)
        XCTAssertEqual(one.rows[0].totals.total, n)

        // Cells of several blocks show a problem class first, else the most common class.
        let wide = SpaceMap(image: img, freeMaps: [(arena: 0, free: free)], space: space, width: (n + 3) / 4)
        XCTAssertEqual(wide.rows[0].blocksPerCell, 4)
        XCTAssertEqual(Array(wide.rows[0].cells.prefix(3)), [.deadlist, .useAfterFree, .free])

        space.complete = false
        let unknown = SpaceMap(image: img, freeMaps: [(arena: 0, free: free)], space: space, width: n)
        XCTAssertEqual(unknown.rows[0].cells[6], .unknown, "allocated and unreached, with part of the trees unread")
    }
}
