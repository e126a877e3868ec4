import XCTest
import Foundation
import GefsCore
import TestSupport

/// mkgefs -t 9front against the genuine 9front gefs (`../shared/realgefs`): its check, its file
/// server listing and reading every file, and its writes afterwards; gefs-fsck on the images;
/// the command line.
final class Mkgefs9ToolTests: XCTestCase {
    let epoch = ["SOURCE_DATE_EPOCH": "1718000000"]

    func mkgefs(_ args: [String], env: [String: String]? = nil) throws -> Fixtures.Result {
        try Fixtures.tool("mkgefs", args, env: env ?? epoch)
    }

    func sh(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try Fixtures.run("/bin/sh", ["-c", script])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r.stdout
    }

    func requireGenuine() throws {
        if let why = RealGefs.unavailable {
            print("skipping: \(why)")
            throw XCTSkip(why)
        }
    }

    /// The 200-byte name and the deep directory of the source tree.
    static let longName = String(repeating: "N", count: 200)
    static let deep = (1...24).map { "d\($0)" }.joined(separator: "/")

    /// A host tree: files of 0, 1, 16384, 16385 and 300,000 bytes, 40,000 zero bytes, a sparse
    /// file (1 MiB hole then a line), a 200-byte name, a deep path, 0600/0751/0444 modes, and 300
    /// small files (a tree of height 2); times fixed to the nanosecond.
    func sourceTree() throws -> String {
        let root = Fixtures.scratch("src9t").appendingPathComponent("src").path
        _ = try sh("""
            mkdir -p '\(root)/usr/glenda' '\(root)/tmp/many' '\(root)/\(Mkgefs9ToolTests.deep)' '\(root)/empty' && cd '\(root)' && \
            : > usr/glenda/zero-length && printf x > usr/glenda/one && head -c 16384 /dev/urandom > usr/glenda/block && \
            head -c 16385 /dev/urandom > usr/glenda/block1 && head -c 300000 /dev/urandom > usr/glenda/big && \
            head -c 40000 /dev/zero > usr/glenda/zeros && truncate -s 1M usr/glenda/sparse && echo 'after the hole' >> usr/glenda/sparse && \
            echo 'a long name' > '\(Mkgefs9ToolTests.longName)' && echo 'at the bottom' > '\(Mkgefs9ToolTests.deep)/deep.txt' && \
            for i in $(seq -w 0 299); do echo "many $i" > tmp/many/f$i; done && \
            chmod 600 usr/glenda/big && chmod 751 usr/glenda && chmod 444 usr/glenda/one && \
            find . -exec touch -d @1700000000.123456789 {} +
            """)
        return root
    }

    /// What the source holds, as `mkreal.sh --ls --json` reports a file system: path, length,
    /// permission bits, mtime in seconds, sha256 of the contents.
    func expected(_ root: String) throws -> [String: [String: String]] {
        let out = try sh("""
            python3 - '\(root)' <<'EOF'
            import hashlib, json, os, stat, sys
            root = sys.argv[1]
            out = {}
            for d, dirs, files in os.walk(root):
                for n in dirs + files:
                    p = os.path.join(d, n)
                    st = os.lstat(p)
                    e = {"length": str(0 if stat.S_ISDIR(st.st_mode) else st.st_size), "mode": oct(st.st_mode & 0o777),
                         "mtime": str(int(st.st_mtime))}
                    if stat.S_ISREG(st.st_mode):
                        e["sha256"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
                    out["/" + os.path.relpath(p, root)] = e
            print(json.dumps(out))
            EOF
            """)
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: [String: String]]
    }

    /// The genuine gefs opens images of 256 MiB, 1 GiB and 4 GiB, fresh and populated; its check
    /// passes; its file server lists every file with the source's length, mode, mtime and
    /// contents; then it creates, appends, snapshots, syncs, halts and checks again.
    func testGenuineGefsOpensReadsAndWritesOurImages() throws {
        try requireGenuine()
        let src = try sourceTree()
        let want = try expected(src)
        XCTAssertEqual(want.count, 29 + 309, "the source tree: 29 directories, 309 files")
        let dir = Fixtures.scratch("genuine9")
        for size in ["256M", "1G", "4G"] {
            for populated in [false, true] {
                let img = dir.appendingPathComponent("\(size)-\(populated).img").path
                let r = try mkgefs(["-t", "9front", "-s", size] + (populated ? ["-d", src] : []) + [img])
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(r.stderr, "")
                let c = try RealGefs.check(img)
                XCTAssertEqual(c.status, 0, "\(size) \(populated): \(c.stdout)\(c.stderr)")
                XCTAssertTrue(c.stdout.contains("check: ok"), c.stdout)
                guard populated else { continue }
                let (ls, entries) = try RealGefs.list(img)
                XCTAssertEqual(ls.status, 0, ls.stderr)
                var got: [String: [String: Any]] = [:]
                for e in entries { got[e["path"] as! String] = e }
                XCTAssertEqual(Set(got.keys), Set(want.keys).union(["/"]), "\(size): the same paths")
                for (path, w) in want {
                    guard let g = got[path] else { continue }
                    XCTAssertEqual("\(g["length"]!)", w["length"], path)
                    XCTAssertEqual(g["mode"] as? String, w["mode"], path)
                    XCTAssertEqual("\(g["mtime"]!)", w["mtime"], path)
                    XCTAssertEqual([g["uid"] as? String, g["gid"] as? String, g["muid"] as? String], ["glenda", "glenda", "glenda"], path)
                    if let sum = w["sha256"] {
                        XCTAssertEqual(g["sha256"] as? String, sum, "\(path) reads back byte for byte")
                        XCTAssertEqual("\(g["read"]!)", w["length"], path)
                    }
                }
                XCTAssertNotNil(got["/\(Mkgefs9ToolTests.longName)"], "the 200-byte name")
                XCTAssertNotNil(got["/\(Mkgefs9ToolTests.deep)/deep.txt"], "the deep path")
                XCTAssertEqual(got["/usr/glenda/sparse"]?["sha256"] as? String, want["/usr/glenda/sparse"]?["sha256"], "holes read as zeros")

                let (wt, report) = try RealGefs.writeTest(img)
                XCTAssertEqual(wt.status, 0, "\(size): \(wt.stdout.suffix(2000))\(wt.stderr)")
                let test = report["write_test"] as? [String: Any] ?? [:]
                XCTAssertEqual(test["ok"] as? Bool, true, "\(test)")
                XCTAssertEqual(test["check"] as? String, "ok")
                XCTAssertEqual(test["snapshot_matches"] as? Bool, true)
                XCTAssertEqual((test["changed_unexpectedly"] as? [Any])?.count, 0)
                let again = try RealGefs.check(img)
                XCTAssertEqual(again.status, 0, again.stdout)
            }
        }
    }

    /// gefs-fsck -n --json: its exit status and the codes of its errors and warnings.
    /// `severities` are those counted (a genuine gefs's halt leaves warnings, §14 item 3).
    func findings(_ img: String, severities: Set<String> = ["error", "warning"]) throws -> (status: Int32, codes: Set<String>, output: String) {
        let f = try Fixtures.tool("gefs-fsck", ["-n", "--json", img])
        let report = try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any] ?? [:]
        let problems = report["problems"] as? [[String: Any]] ?? []
        let codes = problems.filter { severities.contains($0["severity"] as? String ?? "") }.compactMap { $0["code"] as? String }
        return (f.status, Set(codes), f.stdout + f.stderr)
    }

    /// gefs-fsck -n on every kind of image mkgefs -t 9front writes: exit 0, no error and no
    /// warning; and on one the genuine gefs then wrote to, synced and halted: exit 0, no error
    /// (its halt leaves deferred frees, which §14 grades as warnings).
    func testFsckPassesOurImages() throws {
        let src = try sourceTree()
        let dir = Fixtures.scratch("fsck9")
        var images: [(String, String, Set<String>)] = []
        for (name, args) in [("fresh", ["-s", "136M"]), ("populated", ["-s", "256M", "-d", src]),
                             ("arenas", ["-s", "300M", "-a", "12", "-d", src])] {
            let img = dir.appendingPathComponent("\(name).img").path
            let r = try mkgefs(["-t", "9front"] + args + [img])
            XCTAssertEqual(r.status, 0, r.stderr)
            images.append((name, img, ["error", "warning"]))
        }
        if RealGefs.unavailable == nil {
            let img = dir.appendingPathComponent("written.img").path
            XCTAssertEqual(try mkgefs(["-t", "9front", "-s", "256M", "-d", src, img]).status, 0)
            XCTAssertEqual(try RealGefs.writeTest(img).result.status, 0)
            images.append(("written by the genuine gefs", img, ["error"]))
        }
        for (name, img, severities) in images {
            let f = try findings(img, severities: severities)
            XCTAssertEqual(f.status, 0, "gefs-fsck -n on the \(name) image\n\(f.output.prefix(3000))")
            XCTAssertEqual(f.codes, [], "gefs-fsck -n on the \(name) image: no \(severities.sorted().joined(separator: " or "))")
        }
    }

    // MARK: The command line

    func testOptionsAndMessages() throws {
        let dir = Fixtures.scratch("opts9")
        let img = dir.appendingPathComponent("o.img").path
        let cases: [([String], Int32, String)] = [
            (["-t", "ext4", "-s", "136M", img], 2, "unknown format \"ext4\": expected one of gefs8.00, 9front, gefs9.00"),
            (["-t", "9front", "-s", "100M", img], 1,
             "mkgefs: a size of 104857600 bytes is too small: gefs needs at least 134234112 bytes (128.0 MiB)\n"),
            (["-t", "9front", "-s", "1G", "-a", "4", img], 1,
             "mkgefs: 4 arenas: a 9front image is formatted with 8 to 32 arenas, as the genuine ream makes them (FORMAT-9FRONT.md §1, §5); its rule gives 8 for 1 GiB\n"),
            (["--format", "gefs9.00", "-s", "1G", "-a", "40", img], 1,
             "mkgefs: 40 arenas: a 9front image is formatted with 8 to 32 arenas, as the genuine ream makes them (FORMAT-9FRONT.md §1, §5); its rule gives 8 for 1 GiB\n"),
            (["-t", "9front", "-s", "1G", "-u", "none", img], 1, "mkgefs: bad user name \"none\": none is already in the users file\n"),
        ]
        for (args, status, message) in cases {
            let r = try mkgefs(args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: img), "\(args) wrote nothing")
        }
        // -a within ream's range, -u, SOURCE_DATE_EPOCH; the summary.
        let r = try mkgefs(["-t", "9front", "-s", "1G", "-a", "12", "-u", "alice", img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("format     gefs9.00 (9front)\nsize       1073741824 bytes (1 GiB), 65536 blocks of 16384 bytes\narenas     12 of"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\nuser       alice\n"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\nnextqid    3\nqgen       0\n"), r.stdout)
        let image = try Image(path: img)
        XCTAssertEqual(image.arenas.count, 12)
        if RealGefs.unavailable == nil {
            let c = try RealGefs.check(img)
            XCTAssertEqual(c.status, 0, "12 arenas: \(c.stdout)\(c.stderr)")
            for n in ["8", "32"] {
                let p = dir.appendingPathComponent("a\(n).img").path
                XCTAssertEqual(try mkgefs(["-t", "9front", "-s", "200M", "-a", n, "-d", Fixtures.dir.path + "/mkgefs/demo-root", p]).status, 0)
                let c = try RealGefs.check(p)
                XCTAssertEqual(c.status, 0, "\(n) arenas, populated: \(c.stdout)\(c.stderr)")
            }
        }
        let reader = TreeReader(image)
        let adm = try reader.tree(label: "adm")
        let users = try XCTUnwrap(try reader.lookup(adm, path: "/users"))
        XCTAssertEqual(String(decoding: try reader.contents(adm, file: users.dir), as: UTF8.self), "-1:adm::alice\n0:none::\n1:alice:alice:\n")
        // Refused over a gefs9.00 image without -f; -f formats over it; -n writes nothing.
        let before = try Data(contentsOf: URL(fileURLWithPath: img))
        let again = try mkgefs(["-t", "9front", img])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "mkgefs: \(img): already holds a gefs9.00 file system (use -f to format over it)\n")
        let dry = try mkgefs(["-t", "9front", "-n", "-f", img])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.hasSuffix("\ndry run: nothing was written\n"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: img)), before)
        let f = try mkgefs(["-t", "9front", "-f", img])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(Array(dry.stdout.split(separator: "\n").dropLast()), Array(f.stdout.split(separator: "\n")))
        XCTAssertEqual(try Image(path: img).arenas.count, 8, "without -a: ream's rule")
        // Over a gefs8.00 image the other way round, with -f.
        let g8 = dir.appendingPathComponent("g8.img").path
        XCTAssertEqual(try mkgefs(["-s", "136M", g8]).status, 0)
        let refused = try mkgefs(["-t", "9front", g8])
        XCTAssertEqual(refused.stderr, "mkgefs: \(g8): already holds a gefs8.00 file system (use -f to format over it)\n")
        XCTAssertEqual(try mkgefs(["-t", "9front", "-f", g8]).status, 0)
        XCTAssertEqual(try Image(path: g8).format.name, "gefs9.00")
    }

    /// Names the genuine gefs refuses are skipped with a warning, like symbolic links.
    func testSkippedNamesWarn() throws {
        let dir = Fixtures.scratch("names9")
        let src = dir.appendingPathComponent("src").path
        _ = try sh("mkdir '\(src)' && echo ok > '\(src)/fine' && echo no > \"\(src)/$(printf 'tab\\tname')\" && ln -s fine '\(src)/link'")
        let img = dir.appendingPathComponent("n.img").path
        let r = try mkgefs(["-t", "9front", "-s", "136M", "-d", src, img])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, """
            mkgefs: warning: skipped \(src)/link: symbolic link
            mkgefs: warning: skipped \(src)/tab\\x9name: name contains a control character (the genuine gefs refuses bytes below 0x20)

            """)
        XCTAssertTrue(r.stdout.contains("\npopulated  0 directories, 1 files, 1 data blocks, 0 holes, 2 skipped\n"), r.stdout)
    }
}
