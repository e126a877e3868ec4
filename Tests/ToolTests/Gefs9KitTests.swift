import Foundation
import XCTest
import TestSupport

/// Genuine gefs9.00 images of several shapes, made at test time by the genuine 9front gefs
/// (`RealGefs`, the kit's mkreal.sh: its ream, file server, console and sync, then its own
/// check): every reading tool reads each one with exit status 0, gefs-fsck finds no error, and
/// what the tools count agrees — used blocks are the reachable ones plus the unreachable ones
/// gefs-fsck names plus the two tail blocks of every arena (FORMAT-9FRONT.md §12), and the
/// replay, log and arena dumps give the same used space and log blocks. Skipped, with the
/// reason, only when realgefs cannot be built here (`RealGefs.unavailable`).
final class Gefs9KitTests: XCTestCase {
    struct KitError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    enum Shape: String {
        case fresh, populated, churn, kconfCron = "kconf-cron", multiBlockLog = "multi-block-log", height3 = "height-3"
    }

    /// The images made so far in this test process.
    nonisolated(unsafe) static var made: [Shape: String] = [:]
    static let dir = Fixtures.scratch("kit")
    static let B = 16384

    func image(_ shape: Shape) throws -> String {
        if let why = RealGefs.unavailable {
            print("Gefs9KitTests skipped: \(why)")
            throw XCTSkip(why)
        }
        if let p = Self.made[shape] { return p }
        let path = Self.dir.appendingPathComponent("\(shape.rawValue).img").path
        let args: [String]
        switch shape {
        case .fresh: args = ["--size", "136M", "--empty", "--snap", "", "--settle", "1"]
        case .populated: args = ["--size", "160M", "--snap", "", "--no-churn"]
        case .churn: args = ["--size", "160M"]
        case .kconfCron: args = ["--size", "160M", "--set", "retain=10@m", "--set", "main:retain=5@h 2@d", "--tasks", "6"]
        case .multiBlockLog:
            // 4000 small files written and halted without a sync: logs of two blocks (§8.4).
            args = ["--size", "256M", "--root", try tree(dirs: 40, files: 100, bytes: { d, i in (1 + (37 * i) % 200) * (20 + d % 7) }),
                    "--snap", "", "--settle", "0"]
        case .height3:
            // 30 000 empty files: a main tree of height 3 (a pivot over pivots over leaves).
            args = ["--size", "256M", "--root", try tree(dirs: 100, files: 300, bytes: { _, _ in 0 }), "--snap", "", "--settle", "1"]
        }
        let t0 = Date()
        let r = try RealGefs.run([path] + args)
        guard r.status == 0 else {
            XCTFail("mkreal.sh \(shape.rawValue): exit \(r.status)\n\(r.stderr)")
            throw KitError("mkreal.sh failed")
        }
        print("Gefs9KitTests: \(shape.rawValue) made by the genuine gefs in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        Self.made[shape] = path
        return path
    }

    /// A host tree of `dirs` directories of `files` files, file `i` of directory `d` holding
    /// `bytes(d, i)` bytes of text.
    func tree(dirs: Int, files: Int, bytes: (Int, Int) -> Int) throws -> String {
        let root = Fixtures.scratch("kit-tree")
        for d in 0..<dirs {
            let sub = root.appendingPathComponent(String(format: "d%02d", d))
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for i in 0..<files {
                let line = Array("directory \(d) file \(i)\n".utf8)
                let n = bytes(d, i)
                let data = Data((0..<n).map { line[$0 % line.count] })
                guard FileManager.default.createFile(atPath: sub.appendingPathComponent(String(format: "f%03d", i)).path, contents: data) else {
                    throw KitError("cannot write the host tree")
                }
            }
        }
        return root.path
    }

    func json(_ r: Fixtures.Result, _ what: String) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw KitError("\(what) printed no JSON object")
        }
        return o
    }

    /// Blocks a space_unreachable message names: `block 0x…` is one, `blocks a..<b (n)` is n.
    func blockCount(_ message: String) -> Int {
        if let r = message.range(of: #"\((\d+)\) allocated"#, options: .regularExpression) {
            return Int(message[r].dropFirst().prefix { $0.isNumber })!
        }
        return 1
    }

    /// Runs every reading tool on `path` and checks what each reports against the others;
    /// returns gefs-fsck's JSON report.
    @discardableResult
    func checkTools(_ path: String, _ name: String) throws -> [String: Any] {
        let text = try Fixtures.tool("gefs-fsck", ["-n", path])
        XCTAssertEqual(text.status, 0, "\(name): gefs-fsck -n\n\(text.stdout)\(text.stderr)")
        XCTAssertTrue(text.stdout.contains("is gefs9.00"), name)
        let fsckRun = try Fixtures.tool("gefs-fsck", ["-n", "--json", path])
        XCTAssertEqual(fsckRun.status, 0, name)
        let fsck = try json(fsckRun, "gefs-fsck")
        let problems = fsck["problems"] as! [[String: Any]]
        XCTAssertEqual(problems.filter { $0["severity"] as? String == "error" }.map { "\($0["code"]!): \($0["message"]!)" }, [],
                       "\(name): a genuine image checks with no error")
        let codes = Set(problems.map { $0["code"] as! String })
        XCTAssertTrue(codes.isSubset(of: ["space_unreachable", "log_never_synced", "arena_used_unsynced"]),
                      "\(name): only what the genuine gefs normally leaves (§14): \(codes)")

        let summary = fsck["summary"] as! [String: Any]
        let reach = summary["reachable"] as! [String: Int]
        let used = summary["used"] as! Int
        let unreachable = problems.filter { $0["code"] as? String == "space_unreachable" }
            .reduce(0) { $0 + blockCount($1["message"] as! String) }

        let dump = try Fixtures.tool("gefs-arenadump", ["--json", path])
        XCTAssertEqual(dump.status, 0, "\(name): gefs-arenadump\n\(dump.stderr)")
        let arenas = try json(dump, "gefs-arenadump")["arenas"] as! [[String: Any]]
        // §12: every allocated block is reachable (a deadlist's listed addresses are nodes or
        // data of older snapshots, no deadlist_reclaimable here), unreachable, or a tail block.
        XCTAssertEqual(used, reach["log"]! + reach["pivot"]! + reach["leaf"]! + reach["data"]! + reach["dlist"]! + unreachable + 2 * arenas.count,
                       "\(name): used = reachable + unreachable + tail blocks (\(reach), \(unreachable) unreachable, \(arenas.count) arenas)")
        XCTAssertEqual(arenas.reduce(0) { $0 + ($1["used_replay"] as! Int) } / Self.B, used, "\(name): arenadump's used")
        XCTAssertEqual(arenas.reduce(0) { $0 + ($1["log_blocks"] as! Int) }, reach["log"], "\(name): arenadump's log blocks")
        XCTAssertEqual(summary["blocks"] as? Int, arenas.reduce(0) { $0 + ($1["size"] as! Int) } / Self.B, "\(name): blocks")

        let replay = try Fixtures.tool("gefs-replay", ["--ranges", "--json", path])
        XCTAssertEqual(replay.status, 0, "\(name): gefs-replay\n\(replay.stderr)")
        let replayed = try json(replay, "gefs-replay")["arenas"] as! [[String: Any]]
        XCTAssertEqual(replayed.reduce(0) { $0 + ($1["used"] as! Int) } / Self.B, used, "\(name): gefs-replay's used")
        XCTAssertEqual(replayed.reduce(0) { $0 + ($1["free_bytes"] as! Int) } / Self.B, summary["free"] as? Int, "\(name): gefs-replay's free")

        let log = try Fixtures.tool("gefs-logdump", ["--json", path])
        XCTAssertEqual(log.status, 0, "\(name): gefs-logdump\n\(log.stderr)")
        let logs = try json(log, "gefs-logdump")["arenas"] as! [[String: Any]]
        XCTAssertEqual(logs.reduce(0) { $0 + ($1["committed_blocks"] as! Int) }, reach["log"], "\(name): logdump's committed log blocks")
        for tool in ["gefs-logdump", "gefs-arenadump", "gefs-replay"] {
            let r = try Fixtures.tool(tool, [path])
            XCTAssertEqual(r.status, 0, "\(name): \(tool)\n\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("gefs9.00"), "\(name): \(tool) names the format")
        }
        return fsck
    }

    func summary(_ fsck: [String: Any]) -> [String: Any] { fsck["summary"] as! [String: Any] }

    func testFresh() throws {
        let fsck = try checkTools(try image(.fresh), "fresh")
        XCTAssertEqual(summary(fsck)["files"] as? Int, 1, "adm's users file alone")
    }

    func testPopulated() throws {
        let fsck = try checkTools(try image(.populated), "populated")
        XCTAssertGreaterThan(summary(fsck)["files"] as! Int, 300)
        XCTAssertEqual((summary(fsck)["reachable"] as! [String: Int])["dlist"], 0, "no churn, no deadlist")
    }

    func testSnapshotsAndChurn() throws {
        let fsck = try checkTools(try image(.churn), "churn")
        let reach = summary(fsck)["reachable"] as! [String: Int]
        XCTAssertGreaterThan(reach["dlist"]!, 0, "churn after the snapshot leaves deadlists")
        XCTAssertGreaterThan(reach["pivot"]!, 0, "trees of height 2")
        XCTAssertEqual(summary(fsck)["snapshots"] as? Int, 4)
    }

    func testKconfAndCronSnapshots() throws {
        let path = try image(.kconfCron)
        let fsck = try checkTools(path, "kconf-cron")
        // The timer's automatic snapshots are labels of their own (main@minute.…).
        XCTAssertGreaterThan(summary(fsck)["labels"] as! Int, 4)
        let labels = try RealGefs.run(["--labels", path])
        XCTAssertTrue(labels.stdout.contains("main@minute."), labels.stdout)
    }

    func testMultiBlockLog() throws {
        let path = try image(.multiBlockLog)
        let fsck = try checkTools(path, "multi-block log")
        let log = try json(try Fixtures.tool("gefs-logdump", ["--json", path]), "gefs-logdump")
        let chains = (log["arenas"] as! [[String: Any]]).map { $0["committed_blocks"] as! Int }
        XCTAssertGreaterThanOrEqual(chains.max() ?? 0, 2, "a log chained over blocks by logp: \(chains)")
        XCTAssertTrue((fsck["problems"] as! [[String: Any]]).contains { $0["code"] as? String == "log_never_synced" })
    }

    func testTreeOfHeight3() throws {
        let path = try image(.height3)
        let fsck = try checkTools(path, "height 3")
        XCTAssertEqual(summary(fsck)["files"] as? Int, 30_001)
        let v = try Fixtures.tool("gefs-fsck", ["-n", "-v", path])
        XCTAssertTrue(v.stdout.contains("(main): root") && v.stdout.contains("height 3"), v.stdout)
        XCTAssertGreaterThan((summary(fsck)["reachable"] as! [String: Int])["pivot"]!, 1, "pivots over pivots")
    }
}
