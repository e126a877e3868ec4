import Foundation
import XCTest
import GefsCore
import GefsFuzz
import TestSupport

/// The fuzz targets of scripts/fuzz.sh, run here in the normal build (hashes checked): every
/// earlier finding in `Fixtures/fuzz/TARGET/` and the seed corpus drawn from the fixtures go
/// through each target without a trap.
final class FuzzRegressionTests: XCTestCase {
    static var harness: FuzzHarness?

    /// The bases scripts/fuzz.sh uses, in the same order (the gefs9.00 ones too).
    func harness() throws -> FuzzHarness {
        if let h = Self.harness { return h }
        var bases = [try FuzzHarness.smallBase()]
        for f in ["fsck/005-clean-mkgefs-tree/image.img", "samples/fresh.img", "samples/snapshots.img", "samples/crashed.img"] {
            bases.append(Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.unpack(f)))))
        }
        let bases9 = try ["fresh", "populated", "unsynced"].map { Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.sample9($0).path))) }
        let h = try FuzzHarness(bases: bases, bases9: bases9)
        Self.harness = h
        return h
    }

    /// The small base is the gefs-fsck corpus's: mkgefs -s 4M with SOURCE_DATE_EPOCH=1700000000.
    func testSmallBaseIsMkgefs() throws {
        let img = Fixtures.scratch("small").appendingPathComponent("small.img").path
        let r = try Fixtures.tool("mkgefs", ["-s", "4M", img], env: ["SOURCE_DATE_EPOCH": "1700000000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: img))), try FuzzHarness.smallBase())
    }

    func testFindings() throws {
        let h = try harness()
        var n = 0
        for t in FuzzTarget.allCases {
            let dir = Fixtures.dir.appendingPathComponent("fuzz/\(t.rawValue)").path
            for f in Files.list(dir) where FileManager.default.fileExists(atPath: f) {
                h.run(t, try Files.read(f))
                n += 1
            }
        }
        XCTAssertGreaterThan(n, 0)
    }

    /// Patches parse back to themselves, and a corpus image is its base with its patch applied.
    func testImagePatchRoundTrip() throws {
        let h = try harness()
        let damaged = Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.unpack("fsck/016-arena-header-stale/image.img"))))
        let p = try XCTUnwrap(ImagePatch.diff(base: 2, h.bases[2], damaged))
        XCTAssertFalse(p.edits.isEmpty)
        XCTAssertEqual(ImagePatch(parsing: p.encoded), p)
        let dev = p.device(h.bases)
        for i in 0..<Int(dev.blockCount) {
            let o = i * Format.blockSize, addr = Int64(o)
            XCTAssertEqual(try dev.read(at: addr), Array(damaged[o..<o + Format.blockSize]), "block \(hex(addr))")
        }
        // Any bytes parse, and a resize past the base reads zeros.
        let odd = ImagePatch(parsing: [7, 0xff, 0xff, 0x01, 0x00, 0x00, 0x05, 0x40, 0x10, 3, 0xaa, 0x00])
        XCTAssertEqual(odd.edits, [.resize(blocks: 256), .bytes(block: 5, offset: 0x10, [0xaa, 0x00])], "offsets modulo B; a record cut short keeps its bytes")
        XCTAssertEqual(odd.device(h.bases).size, 256 * Int64(Format.blockSize))
    }

    /// Every target over a sample of the seed corpus: the seeds exercise the harness itself.
    func testSeeds() throws {
        let h = try harness()
        var corpus: [(name: String, image: [UInt8])] = []
        for d in ["016-arena-header-stale", "027-log-chain-loop", "047-tree-message-order", "066-deadlist-chain-broken",
                  "100-space-leak", "030-log-hash-mismatch", "031-log-block-free"] {
            corpus.append((d, Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.unpack("fsck/\(d)/image.img"))))))
        }
        var seeds = FuzzSeeds.make(bases: h.bases, corpus: corpus)
        for (t, s) in FuzzSeeds.make9(bases9: h.bases9) { seeds[t] = s }
        for t in FuzzTarget.allCases {
            let s = try XCTUnwrap(seeds[t], t.rawValue)
            // The genuine samples hold one Kdlist chain of two blocks (populated).
            XCTAssertGreaterThan(s.count, t == .undo || t == .dlist9 ? 1 : 2, t.rawValue)
            for seed in s.enumerated().filter({ $0.offset % 4 == 0 }).map(\.element) { h.run(t, seed.bytes) }
        }
    }
}
