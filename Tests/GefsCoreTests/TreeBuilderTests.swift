import XCTest
import GefsCore
import TestSupport

/// Bulk loading (FORMAT.md §9.1–§9.3): every record comes back in order, pivots have correct
/// separators and fills and at least two children, all leaves are at one depth.
class TreeBuilderTests: XCTestCase {
    var rng = SeededRandom(seed: 0x7472_6565)

    /// Builds into a dictionary of blocks, addresses handed out in placement order.
    func build(_ records: [Record]) -> (BuiltTree, [Int64: [UInt8]]) {
        var store: [Int64: [UInt8]] = [:]
        let tree = TreeBuilder.build(records) { node in
            let block = node.encodeBlock()
            let addr = Int64(store.count + 1) * Format.blockSize64
            store[addr] = block
            return BlockPointer(addr: addr, hash: XXH3.hash(block), gen: 7)
        }
        return (tree, store)
    }

    /// Walks the built tree, checking §9.3, and returns its records in key order.
    func check(_ tree: BuiltTree, _ store: [Int64: [UInt8]], file: StaticString = #filePath, line: UInt = #line) throws -> [Record] {
        var out: [Record] = []
        var perLevel = [Int](repeating: 0, count: tree.height)
        /// Returns the node's fill and lowest key.
        func visit(_ bp: BlockPointer, depth: Int, lo: [UInt8]?, hi: [UInt8]?) throws -> (Int, [UInt8]?) {
            let block = try XCTUnwrap(store[bp.addr], file: file, line: line)
            XCTAssertEqual(XXH3.hash(block), bp.hash, file: file, line: line)
            let node = try Node.decode(block)
            XCTAssertNil(node.orderError(), file: file, line: line)
            perLevel[tree.height - 1 - depth] += 1
            for r in node.records {
                if let lo { XCTAssertGreaterThanOrEqual(compareKeys(r.key, lo), 0, file: file, line: line) }
                if let hi { XCTAssertLessThan(compareKeys(r.key, hi), 0, file: file, line: line) }
            }
            if depth == tree.height - 1 {
                XCTAssertEqual(node.kind, .leaf, file: file, line: line)
                out += node.records
                return (node.fill, node.records.first?.key)
            }
            XCTAssertEqual(node.kind, .pivot, file: file, line: line)
            XCTAssertGreaterThanOrEqual(node.records.count, 2, "a pivot has at least two children", file: file, line: line)
            XCTAssertTrue(node.messages.isEmpty, file: file, line: line)
            for (i, r) in node.records.enumerated() {
                let child = try ChildRef.decode(r.value)
                XCTAssertEqual(child.bp.gen, 7, file: file, line: line)
                let next = i + 1 < node.records.count ? node.records[i + 1].key : hi
                let (fill, low) = try visit(child.bp, depth: depth + 1, lo: r.key, hi: next)
                XCTAssertEqual(child.fill, fill, "fill of child \(i)", file: file, line: line)
                XCTAssertEqual(low, r.key, "key \(i) is the lowest key of child \(i)", file: file, line: line)
            }
            return (node.fill, node.records.first?.key)
        }
        _ = try visit(tree.root, depth: 0, lo: nil, hi: nil)
        XCTAssertEqual(perLevel, tree.nodesPerLevel, file: file, line: line)
        XCTAssertEqual(store.count, tree.nodes, file: file, line: line)
        return out
    }

    func sortedRecords(_ n: Int, key: () -> [UInt8], value: () -> [UInt8]) -> [Record] {
        var seen = Set<[UInt8]>()
        var out: [Record] = []
        while out.count < n {
            let k = key()
            if seen.insert(k).inserted { out.append(Record(key: k, value: value())) }
        }
        return out.sorted { compareKeys($0.key, $1.key) < 0 }
    }

    func testEmptyTreeIsOneEmptyLeaf() throws {
        let (tree, store) = build([])
        XCTAssertEqual(tree.height, 1)
        XCTAssertEqual(try check(tree, store), [])
        XCTAssertEqual(try Node.decode(store[tree.root.addr]!), Node(kind: .leaf, records: []))
    }

    func testOneFullLeaf() throws {
        // 2 + 4 + 17 + 24 = 47 bytes per Kdat record: 348 fill one leaf, 349 need two.
        func kdat(_ n: Int) -> [Record] {
            (0..<n).map { Record(key: Key.dat(qid: 3, offset: UInt64($0) * 16384).encode(), value: [UInt8](repeating: 1, count: 24)) }
        }
        let (one, s1) = build(kdat(348))
        XCTAssertEqual(one.height, 1)
        XCTAssertEqual(try check(one, s1), kdat(348))
        XCTAssertEqual(try Node.decode(s1[one.root.addr]!).fill, 348 * 47)
        let (two, s2) = build(kdat(349))
        XCTAssertEqual(two.nodesPerLevel, [2, 1])
        XCTAssertEqual(try check(two, s2), kdat(349))
    }

    func testRandomRecordsOfEverySize() throws {
        for n in [1, 10, 500, 3000] {
            let records = sortedRecords(n, key: { rng.bytes(rng.int(1...Format.keyMax)) },
                                        value: { rng.bytes(rng.int(0...Format.inlineMax)) })
            let (tree, store) = build(records)
            XCTAssertEqual(try check(tree, store), records, "\(n) records")
        }
    }

    /// With the largest keys a pivot holds 28 children; 29 leaves would leave one child for the
    /// second pivot, so it takes one from the first.
    func testEveryPivotHasTwoChildren() throws {
        var n = 0
        for leaves in 27...31 {
            let records = (0..<leaves * 21).map { i -> Record in
                var k = [UInt8](repeating: 0x41, count: Format.keyMax)
                k.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(i).bigEndian, Array.init))
                return Record(key: k, value: [UInt8](repeating: 0, count: Format.inlineMax))
            }
            let (tree, store) = build(records)
            XCTAssertEqual(tree.nodesPerLevel[0], leaves)
            XCTAssertEqual(try check(tree, store), records)
            n += tree.nodesPerLevel.count > 1 && tree.nodesPerLevel[1] == 2 ? 1 : 0
        }
        XCTAssertGreaterThan(n, 0, "some case needed two pivots")
    }

    func testThreeLevels() throws {
        let records = (0..<120_000).map {
            Record(key: Key.dat(qid: UInt64(3 + $0 / 1000), offset: UInt64($0 % 1000) * 16384).encode(),
                   value: [UInt8](repeating: 7, count: 24))
        }
        let (tree, store) = build(records)
        XCTAssertEqual(tree.height, 3)
        XCTAssertEqual(try check(tree, store), records)
    }

    func testPlacementIsDeterministic() throws {
        let records = sortedRecords(2000, key: { rng.bytes(rng.int(1...40)) }, value: { rng.bytes(rng.int(0...100)) })
        let (a, sa) = build(records)
        let (b, sb) = build(records)
        XCTAssertEqual(a, b)
        XCTAssertEqual(sa, sb)
    }
}
