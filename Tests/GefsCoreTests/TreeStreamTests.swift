import XCTest
import GefsCore
import TestSupport

/// The streaming bulk loader (used by mkgefs -t 9front): every TreeBuilder test again, through
/// `TreeStream`, and the very same nodes as TreeBuilder makes.
final class TreeStreamTests: TreeBuilderTests {
    override func build(_ records: [Record]) -> (BuiltTree, [Int64: [UInt8]]) {
        var store: [Int64: [UInt8]] = [:]
        var stream = TreeStream { node in
            let block = node.encodeBlock()
            let addr = Int64(store.count + 1) * Format.blockSize64
            store[addr] = block
            return BlockPointer(addr: addr, hash: XXH3.hash(block), gen: 7)
        }
        for r in records { try! stream.add(r) }
        return (try! stream.finish(), store)
    }

    /// `n` Kdat records in key order, 700 to a file, with 24-byte values.
    static func datRecords(_ n: Int) -> [Record] {
        var records: [Record] = []
        for i in 0..<n {
            let key = Key.dat(qid: UInt64(3 + i / 700), offset: UInt64(i % 700) * 16384).encode()
            records.append(Record(key: key, value: [UInt8](repeating: UInt8(i & 0xff), count: 24)))
        }
        return records
    }

    /// Nodes named by their contents, so that placement order does not matter: both loaders
    /// make the same nodes and the same root.
    func testSameNodesAsTreeBuilder() throws {
        func contentAddressed(_ node: Node) -> BlockPointer {
            let block = node.encodeBlock()
            let h = XXH3.hash(block)
            return BlockPointer(addr: Int64(bitPattern: h & ~0x3fff & 0x7fff_ffff_ffff_ffff), hash: h, gen: 2)
        }
        for n in [0, 1, 348, 349, 5000, 60000] {
            let records = TreeStreamTests.datRecords(n)
            var a: [[UInt8]] = [], b: [[UInt8]] = []
            let ta = TreeBuilder.build(records) { a.append($0.encodeBlock()); return contentAddressed($0) }
            var stream = TreeStream { b.append($0.encodeBlock()); return contentAddressed($0) }
            for r in records { try stream.add(r) }
            let tb = try stream.finish()
            XCTAssertEqual(ta, tb, "\(n) records")
            XCTAssertEqual(Set(a), Set(b), "\(n) records")
            XCTAssertEqual(a.count, b.count)
        }
    }

    /// With `pivotsLast` (mkgefs's gefs8.00 populate) the nodes also come in TreeBuilder's
    /// order, every leaf before the pivots, so sequential addresses give the very same tree.
    func testPivotsLastPlacesAsTreeBuilder() throws {
        for n in [0, 1, 348, 349, 5000, 60000] {
            let records = TreeStreamTests.datRecords(n)
            var a: [[UInt8]] = [], b: [[UInt8]] = []
            func sequential(_ blocks: inout [[UInt8]], _ node: Node) -> BlockPointer {
                let block = node.encodeBlock()
                blocks.append(block)
                return BlockPointer(addr: Int64(blocks.count) * Format.blockSize64, hash: XXH3.hash(block), gen: 2)
            }
            let ta = TreeBuilder.build(records) { sequential(&a, $0) }
            var stream = TreeStream(pivotsLast: true) { sequential(&b, $0) }
            for r in records { try stream.add(r) }
            XCTAssertEqual(ta, try stream.finish(), "\(n) records")
            XCTAssertEqual(a, b, "\(n) records")
        }
    }
}
