import XCTest
import GefsCore
import TestSupport

/// The tree reader finds in the independent sample images exactly what their facts record.
final class TreeReaderTests: XCTestCase {
    let samples = ["fresh", "populated", "snapshots", "crashed"]

    /// `ls`-style line: type and permissions, length, qid, mtime, path.
    func line(_ path: String, _ e: DirEntry) -> String {
        let perm = String(e.dir.mode & 0o777, radix: 8)
        return "\(e.isDirectory ? "d" : "-")\(String(repeating: "0", count: 3 - perm.count))\(perm) \(e.dir.length) \(e.dir.qidPath) \(e.dir.mtime) \(path)"
    }

    func testPopulatedMainListing() throws {
        let image = try Image(path: try Fixtures.sample("populated"))
        let reader = TreeReader(image)
        let main = try reader.tree(label: "main")
        var lines: [String] = []
        try reader.walkFiles(main) { path, e in lines.append(line(path, e)) }
        let expected = try String(contentsOf: Fixtures.dir.appendingPathComponent("samples/populated.img.ls.txt"), encoding: .utf8)
        XCTAssertEqual(lines.joined(separator: "\n") + "\n", expected)
    }

    func testPopulatedFileContents() throws {
        let image = try Image(path: try Fixtures.sample("populated"))
        let reader = TreeReader(image)
        let main = try reader.tree(label: "main")
        let big = try XCTUnwrap(reader.lookup(main, path: "/data/big.bin"))
        XCTAssertEqual(try reader.contents(main, file: big.dir).count, 1_048_576)
        // sparse.img has holes: fewer data blocks than its length needs, and they read as zeros.
        let sparse = try XCTUnwrap(reader.lookup(main, path: "/data/sparse.img"))
        let blocks = try reader.dataBlocks(main, file: sparse.dir.qidPath)
        XCTAssertLessThan(blocks.count, (Int(sparse.dir.length) + Format.blockSize - 1) / Format.blockSize)
        let bytes = try reader.contents(main, file: sparse.dir)
        XCTAssertEqual(bytes.count, 327_780)
        let present = Set(blocks.map { Int($0.offset) })
        for off in stride(from: 0, to: bytes.count, by: Format.blockSize) where !present.contains(off) {
            XCTAssertTrue(bytes[off..<min(off + Format.blockSize, bytes.count)].allSatisfy { $0 == 0 })
        }
        XCTAssertNil(try reader.lookup(main, path: "/data/no-such-file"))
    }

    func testAdmUsersFile() throws {
        let image = try Image(path: try Fixtures.sample("fresh"))
        let reader = TreeReader(image)
        let adm = try reader.tree(label: "adm")
        let users = try XCTUnwrap(reader.lookup(adm, path: "/users"))
        XCTAssertEqual(users.dir.qidPath, 2)
        let text = String(decoding: try reader.contents(adm, file: users.dir), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, text)
        XCTAssertTrue(lines[0].hasPrefix("-1:adm::"), String(lines[0]))
        XCTAssertEqual(lines[1], "0:none::")
        XCTAssertTrue(text.hasSuffix("\n"))
    }

    /// Snapshots and labels as the facts list them, every tree walks without a problem.
    func testSnapshotsAndLabels() throws {
        for name in samples {
            let image = try Image(path: try Fixtures.sample(name))
            let reader = TreeReader(image)
            let facts = try Fixtures.facts(name)
            let c = try reader.snapshotContents()
            let snaps = facts["snapshots"] as! [[String: Any]]
            XCTAssertEqual(c.snapshots.count, snaps.count, name)
            for (s, f) in zip(c.snapshots, snaps) {
                XCTAssertEqual(Int(s.gen), f["gen"] as? Int)
                XCTAssertEqual(Int(s.height), f["ht"] as? Int)
                XCTAssertEqual(Int(s.root.addr), f["root"] as? Int)
                XCTAssertEqual(Int(s.pred), f["pred"] as? Int)
                XCTAssertEqual(Int(s.succ), f["succ"] as? Int, "\(name) snapshot \(s.gen) succ")
                XCTAssertEqual(Int(s.nref), f["nref"] as? Int, "\(name) snapshot \(s.gen) nref")
                XCTAssertEqual(Int(s.nlbl), f["nlbl"] as? Int)
                XCTAssertEqual(Int(s.base), f["base"] as? Int)
            }
            let labels = facts["labels"] as! [String: [String: Any]]
            XCTAssertEqual(Set(c.labels.map(\.text)), Set(labels.keys), name)
            for l in c.labels {
                XCTAssertEqual(Int(l.value.gen), labels[l.text]?["gen"] as? Int)
                XCTAssertEqual(Int(l.value.flags), labels[l.text]?["flags"] as? Int)
            }
            for s in c.snapshots {
                var problems: [Problem] = []
                let r = reader.walk(reader.tree(s), problem: { problems.append($0) })
                XCTAssertTrue(r.complete, "\(name) snapshot \(s.gen)")
                XCTAssertEqual(problems, [], "\(name) snapshot \(s.gen)")
            }
            for d in c.deadlists {
                var problems: [Problem] = []
                var n = 0
                XCTAssertTrue(reader.walkDeadlist(d.ref, name: d.name, block: { _, _ in n += 1 }, problem: { problems.append($0) }))
                XCTAssertEqual(problems, [], "\(name) \(d.name)")
                XCTAssertGreaterThan(n, 0)
            }
        }
    }

    /// A pending Owstat in a pivot changes what the logical view shows; the same key read by a
    /// point lookup and by iteration agree.
    func testLookupAgreesWithIteration() throws {
        let image = try Image(path: try Fixtures.sample("snapshots"))
        let reader = TreeReader(image)
        let main = try reader.tree(label: "main")
        let all = try reader.records(main)
        XCTAssertGreaterThan(all.count, 10)
        for (i, r) in all.enumerated() where i % 7 == 0 {
            XCTAssertEqual(try reader.value(main, key: r.key), r.value, KeyRange.show(r.key))
        }
        for i in all.indices.dropFirst() { XCTAssertLessThan(compareKeys(all[i - 1].key, all[i].key), 0) }
    }
}
