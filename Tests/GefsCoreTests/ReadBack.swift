import XCTest
import Foundation
import GefsCore
import TestSupport

/// What reading an image back found: reachable blocks by kind, and the snapshot tree.
struct ReadBack {
    var image: Image
    var reader: TreeReader
    var snapshots: SnapshotTreeContents
    var replays: [ArenaReplay]
    var counts: [String: Int]
}

extension XCTestCase {
    /// Reads everything back and checks it (FORMAT.md §6–§12, FORMAT-9FRONT.md §6–§12). `complete` asks for both
    /// superblocks and both arena copies to be current; without it a sync cut short in pass 2
    /// or 3 (sb1 or footers not yet written) is accepted, and nothing else.
    @discardableResult
    func readBack(_ image: Image, complete: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> ReadBack {
        let B = Format.blockSize64
        if complete {
            XCTAssertTrue(image.sb0.isValid && image.sb1.isValid, file: file, line: line)
            XCTAssertEqual(image.sb0.block, image.sb1.block, "sb0 and sb1 equal", file: file, line: line)
            XCTAssertEqual(image.problems.map(\.description), [], file: file, line: line)
            for a in image.arenas {
                XCTAssertEqual([a.headerStatus, a.footerStatus], [.current, .current], "arena \(a.index)", file: file, line: line)
            }
        } else {
            let lagging: Set<String> = ["superblock_invalid", "superblock_copy_invalid", "arena_footer_stale", "arena_copy_corrupt"]
            for p in image.problems {
                XCTAssertTrue(lagging.contains(p.code.id) && (p.block == image.format.backupSuperblockAddress(for: image.superblock, blockCount: image.device.blockCount) || image.arenas.contains { $0.footerAddr == p.block }),
                              "\(p)", file: file, line: line)
            }
            XCTAssertEqual(image.currentSlot, .sb0, file: file, line: line)
            for a in image.arenas { XCTAssertEqual(a.headerStatus, .current, file: file, line: line) }
        }
        let replays = Replay.all(image)
        var allocated = Set<Int64>()
        for r in replays {
            XCTAssertEqual(r.problems.map(\.description), [], "arena \(r.arena)", file: file, line: line)
            XCTAssertEqual(r.stop, .barrier, file: file, line: line)
            XCTAssertEqual(r.committedGen, image.qgen, file: file, line: line)
            XCTAssertTrue(r.agrees, "replayed used equals the header's", file: file, line: line)
            var i = r.free.nextClear(from: 0)
            while i < r.free.count {
                let j = r.free.nextSet(from: i)
                for b in i..<j { allocated.insert(r.free.start + Int64(b) * B) }
                i = r.free.nextClear(from: j)
            }
        }
        let reader = TreeReader(image)
        var problems: [String] = []
        var kinds: [String: Set<Int64>] = ["log": Set(replays.flatMap(\.logBlocks))]
        func walk(_ t: TreeRoot) {
            reader.walk(t, node: { v in kinds[v.node.kind == .leaf ? "leaf" : "pivot", default: []].insert(v.pointer.addr) },
                        record: { k, v in
                            if k.first == KeyKind.dat.rawValue {
                                var r = ByteReader(v, structure: "Kdat")
                                if let bp = try? BlockPointer.decode(&r) {
                                    if (try? image.read(bp)) == nil { problems.append("data block \(bp) does not match its hash") }
                                    kinds["data", default: []].insert(bp.addr)
                                }
                            }
                            return true
                        }, problem: { problems.append($0.description) })
        }
        walk(reader.snapshotTree)
        let (snaps, _) = reader.snapshotContents { problems.append($0.description) }
        for s in snaps.snapshots { walk(reader.tree(s)) }
        for d in snaps.deadlists {
            reader.walkDeadlist(d.ref, name: d.name, block: { bp, blk in
                kinds["dlist", default: []].insert(bp.addr)
                kinds["dead", default: []].formUnion(blk.addresses)
            }, problem: { problems.append($0.description) })
        }
        XCTAssertEqual(problems, [], file: file, line: line)
        let reachable = kinds.values.reduce(into: Set<Int64>()) { $0.formUnion($1) }
        XCTAssertEqual(reachable.subtracting(allocated).sorted().map(hex), [], "reachable but free", file: file, line: line)
        XCTAssertEqual(allocated.subtracting(reachable).sorted().map(hex), [], "allocated but unreachable", file: file, line: line)
        let users = try reader.lookup(try reader.tree(label: "adm"), path: "/users")
        XCTAssertNotNil(users, file: file, line: line)
        if let users {
            let text = String(decoding: try reader.contents(try reader.tree(label: "adm"), file: users.dir), as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("-1:adm::") && text.contains("\n0:none::\n1:"), text, file: file, line: line)
        }
        return ReadBack(image: image, reader: reader, snapshots: snaps, replays: replays, counts: kinds.mapValues(\.count))
    }

}
