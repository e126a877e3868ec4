import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GefsCore
import TestSupport

/// gefs-arenadump on the sample images and on damaged copies of them, against golden outputs.
final class ArenadumpToolTests: XCTestCase {
    /// Runs the tool in the image's directory so that outputs name the image by its file name.
    func dump(_ path: String, _ args: [String] = []) throws -> Fixtures.Result {
        let url = URL(fileURLWithPath: path)
        return try Fixtures.tool("gefs-arenadump", args + [url.lastPathComponent], cwd: url.deletingLastPathComponent().path)
    }

    func testSamplesMatchGoldens() throws {
        for name in ["fresh", "populated", "snapshots", "crashed"] {
            let r = try dump(try Fixtures.sample(name))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            Golden.assert(r.stdout, "arenadump/\(name).txt")
        }
    }

    func testJSONAndRanges() throws {
        let r = try dump(try Fixtures.sample("crashed"), ["--json", "--ranges", "-a", "1"])
        XCTAssertEqual(r.status, 0)
        Golden.assert(r.stdout, "arenadump/crashed-a1.json")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let arenas = doc["arenas"] as! [[String: Any]]
        XCTAssertEqual(arenas.map { $0["index"] as! Int }, [1])
        XCTAssertEqual(arenas[0]["current_copy"] as? String, "footer")
        XCTAssertEqual((arenas[0]["ranges"] as! [[Int]]).count, arenas[0]["free_extents"] as? Int)
        XCTAssertEqual((doc["superblocks"] as! [[String: Any]]).map { $0["current"] as! Bool }, [true, false])
    }

    func testSuperblockOnly() throws {
        let r = try dump(try Fixtures.sample("fresh"), ["-S"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("superblock sb1 at 0xffc000: valid"))
        XCTAssertFalse(r.stdout.contains("arena 0:"))
    }

    /// A damaged sb0 (one byte of its hashed fields changed): the dump goes on from sb1,
    /// shows where the copies differ, names the problem and exits 1.
    func testDamagedSuperblock() throws {
        let path = try Fixtures.sample("fresh")
        try patch(path, at: 0x5f, byte: 0x07)  // nextgen 3 -> 7, hash now wrong
        let r = try dump(path)
        XCTAssertEqual(r.status, 1)
        Golden.assert(r.stdout, "arenadump/damaged-sb0.txt")
        XCTAssertTrue(r.stdout.contains("superblock sb0 at 0x0: INVALID: superblock: hash mismatch"))
        XCTAssertTrue(r.stdout.contains("sb0 and sb1 differ in: nextgen"))
        XCTAssertTrue(r.stdout.contains("error superblock_invalid: block 0x0: sb0:"))
    }

    /// A log block whose data no longer matches its loghash: the arena is dumped as far as it can be read.
    func testDamagedLog() throws {
        let path = try Fixtures.sample("populated")
        try patch(path, at: 0x8000 + 12 + 40, byte: 0xff)
        let r = try dump(path, ["-a", "0"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("error log_hash_mismatch: arena 0 block 0x8000:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("MISMATCH"))
    }

    func testUsageAndIOErrors() throws {
        let missing = try Fixtures.tool("gefs-arenadump", ["/nonexistent/x.img"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/x.img: cannot open"), missing.stderr)
        let badArena = try dump(try Fixtures.sample("fresh"), ["-a", "5"])
        XCTAssertEqual(badArena.status, 2)
        XCTAssertTrue(badArena.stderr.contains("no arena 5 (the image has 2)"))
        let badFlag = try Fixtures.tool("gefs-arenadump", ["--bogus", "x"])
        XCTAssertEqual(badFlag.status, 2)
        let notGefs = Fixtures.scratch().appendingPathComponent("zero.img").path
        _ = FileManager.default.createFile(atPath: notGefs, contents: Data(count: 1 << 20))
        let z = try Fixtures.tool("gefs-arenadump", [notGefs])
        XCTAssertEqual(z.status, 2)
        XCTAssertTrue(z.stderr.contains("no valid superblock"), z.stderr)
    }

    func patch(_ path: String, at offset: UInt64, byte: UInt8) throws {
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.seek(toOffset: offset)
        h.write(Data([byte]))
        try h.close()
    }
}

/// The block maps: text and SVG.
final class ArenadumpMapTests: XCTestCase {
    func testTextMapGolden() throws {
        let path = try Fixtures.sample("snapshots")
        let url = URL(fileURLWithPath: path)
        let r = try Fixtures.tool("gefs-arenadump", ["--map", "--width", "72", url.lastPathComponent],
                                  cwd: url.deletingLastPathComponent().path)
        XCTAssertEqual(r.status, 0, r.stderr)
        Golden.assert(r.stdout, "arenadump/snapshots-map.txt")
        // The legend's totals are the reachable counts the sample's facts give.
        let facts = try Fixtures.facts("snapshots")["reachable"] as! [String: Int]
        XCTAssertTrue(r.stdout.contains("l log block" + String(repeating: " ", count: 25) + "\(facts["log"]!)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("D deadlist block" + String(repeating: " ", count: 20) + "\(facts["dlist"]!)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("n tree node" + String(repeating: " ", count: 25) + "\(facts["pivot"]! + facts["leaf"]!)\n"))
    }

    func testSVGIsWellFormedWithOneRowPerArena() throws {
        let path = try Fixtures.sample("crashed")
        let svg = Fixtures.scratch().appendingPathComponent("map.svg").path
        let r = try Fixtures.tool("gefs-arenadump", ["--svg", svg, path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: svg)))
        let collector = SVGCollector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "SVG is not well-formed: \(String(describing: parser.parserError))")
        XCTAssertEqual(collector.arenaRows, ["0", "1"])
        // Every cell's colour is its class's colour, and the classes drawn are the ones expected.
        let colours = Dictionary(uniqueKeysWithValues: BlockClass.allCases.map { (SpaceMap.cssClass($0), $0.color) })
        XCTAssertFalse(collector.rects.isEmpty)
        for (cls, fill) in collector.rects { XCTAssertEqual(colours[cls], fill, cls) }
        let drawn = Set(collector.rects.map(\.0))
        XCTAssertTrue(drawn.isSuperset(of: ["free", "data", "deadlist"]), "\(drawn)")
        XCTAssertTrue(drawn.isDisjoint(with: ["leaked", "use-after-free", "unknown"]), "\(drawn)")
    }

    /// Arena 1's log frees one block less than its region: that block is allocated and
    /// unreachable, and the map's last cell of arena 1 shows it as leaked.
    func testMapShowsLeak() throws {
        let path = try Fixtures.sample("fresh")
        let dev = try FileDevice(path: path, writable: true)
        let logAddr: Int64 = 0x804000
        var block = try dev.read(at: logAddr)
        let lenAt = LogBlock.blockOffset(16)
        block.put(block.u64(at: lenAt) - UInt64(Format.blockSize), at: lenAt)
        gefs8.sealLogBlock(&block)
        try dev.write(block, at: logAddr)
        let r = try Fixtures.tool("gefs-arenadump", ["--map", "--width", "40", "-a", "1", path])
        XCTAssertEqual(r.status, 1)
        let row = r.stdout.split(separator: "\n").first { $0.hasPrefix("arena 1 map") }.flatMap { _ in
            r.stdout.split(separator: "\n").drop { !$0.hasPrefix("arena 1 map") }.dropFirst().first
        }
        XCTAssertEqual(row?.last, "L", r.stdout)
        XCTAssertTrue(r.stdout.contains("L leaked (allocated, unreachable)   1\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("log_used_mismatch"), r.stdout)
    }
}

final class SVGCollector: NSObject, XMLParserDelegate {
    var arenaRows: [String] = []
    /// (class, fill) of the cells inside arena rows (the legend's swatches excluded).
    var rects: [(String, String)] = []
    var inArena = false
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "g" { inArena = attributes["class"] == "arena" }
        if name == "g", inArena, let a = attributes["data-arena"] { arenaRows.append(a) }
        if name == "rect", inArena, let c = attributes["class"], let f = attributes["fill"] { rects.append((c, f)) }
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "g" { inArena = false }
    }
}
