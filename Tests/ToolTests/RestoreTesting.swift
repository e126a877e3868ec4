import Foundation
import XCTest
import GefsCore
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the gefs-restore tests share: a host tree to format, images, running the tool, reading
/// a restored tree back with its bits, times and holes.
protocol RestoreTesting: XCTestCase {}

/// A file or directory as read back from the host.
struct RestoredEntry: Equatable, CustomStringConvertible {
    var isDir: Bool
    var perm: UInt32
    var size: Int64
    var mtime: Int64
    var content: Data?
    var description: String { "\(isDir ? "dir" : "file") \(String(perm, radix: 8)) size \(size) mtime \(mtime)" }
}

extension RestoreTesting {
    // MARK: Helpers

    func sh(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try Fixtures.run("/bin/sh", ["-c", script])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    }

    func restore(_ args: [String]) throws -> Fixtures.Result { try Fixtures.tool("gefs-restore", args) }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// A host tree exercising what a restore must keep: nested directories, enough entries for
    /// pivots, a file of many blocks, a sparse file (holes inside and at the end), an empty
    /// file and directory, odd permission bits, names with spaces, UTF-8 and a byte that is not
    /// UTF-8, and mtimes with nanoseconds.
    func makeSource(files: Int = 360) throws -> String {
        let root = Fixtures.scratch("src").appendingPathComponent("root").path
        try sh("""
            set -e
            mkdir -p '\(root)'
            cd '\(root)'
            i=0
            while [ $i -lt \(files) ]; do
                d=dir$((i % 24))/sub$((i % 3))
                mkdir -p "$d"
                head -c $(( (i * 7919) % 40000 + 1 )) /dev/urandom > "$d/file-$i.dat"
                i=$((i + 1))
            done
            head -c 1200000 /dev/urandom > big.bin
            : > empty
            mkdir emptydir 'with space'
            printf 'hello\\n' > 'with space/a file.txt'
            printf 'caf\\303\\251\\n' > 'café.txt'
            printf 'raw\\n' > "$(printf 'raw\\377name')"
            printf 'start' > sparse.bin
            printf 'middle' | dd of=sparse.bin bs=1 seek=100000 conv=notrunc 2>/dev/null
            truncate -s 300000 sparse.bin
            chmod 0640 'with space/a file.txt'; chmod 0755 big.bin; chmod 0600 sparse.bin; chmod 0750 emptydir
            find . -exec touch -h -d '@1700000000.123456789' {} +
            touch -d '@1600000000.5' big.bin
            """)
        return root
    }

    /// Formats an image of `src` with mkgefs -d.
    func makeImage(_ src: String, size: String = "48M") throws -> String {
        let img = Fixtures.scratch("img").appendingPathComponent("r.img").path
        let r = try Fixtures.tool("mkgefs", ["-s", size, "-d", src, img], env: ["SOURCE_DATE_EPOCH": "1718000000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return img
    }

    /// Every entry under `root` by its relative path (as bytes), read with lstat and read(2).
    func tree(_ root: String, contents: Bool = true) -> [[UInt8]: RestoredEntry] {
        var out: [[UInt8]: RestoredEntry] = [:]
        func walk(_ rel: [UInt8]) {
            let full = Array(root.utf8) + (rel.isEmpty ? [] : [UInt8(ascii: "/")] + rel)
            guard let d = opendir(String(decoding: full, as: UTF8.self)) ?? (full + [0]).withUnsafeBufferPointer({ p in
                p.withMemoryRebound(to: CChar.self) { opendir($0.baseAddress!) }
            }) else { XCTFail("cannot open \(String(decoding: full, as: UTF8.self))"); return }
            defer { closedir(d) }
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                if name == [0x2e] || name == [0x2e, 0x2e] { continue }
                let r = rel.isEmpty ? name : rel + [UInt8(ascii: "/")] + name
                let path = full + [UInt8(ascii: "/")] + name
                var st = stat()
                let ok = (path + [0]).withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &st) } }
                XCTAssertEqual(ok, 0)
                let isDir = st.st_mode & S_IFMT == S_IFDIR
                XCTAssertTrue(isDir || st.st_mode & S_IFMT == S_IFREG, "only files and directories are restored")
                var data: Data?
                if !isDir && contents {
                    let fd = (path + [0]).withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY) } }
                    let count = Int(st.st_size)
                    var buf = [UInt8](repeating: 0, count: count)
                    var got = 0
                    while got < count {
                        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
                        if n <= 0 { break }
                        got += n
                    }
                    close(fd)
                    data = Data(buf)
                }
                out[r] = RestoredEntry(isDir: isDir, perm: UInt32(st.st_mode) & 0o777, size: isDir ? 0 : Int64(st.st_size),
                               mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), content: data)
                if isDir { walk(r) }
            }
        }
        walk([])
        return out
    }

    func show(_ p: [UInt8]) -> String { String(decoding: p, as: UTF8.self) }

    /// Asserts that `restored` holds exactly `source` (with `metadata`, bits and times too).
    func assertSameTree(_ source: [[UInt8]: RestoredEntry], _ restored: [[UInt8]: RestoredEntry], metadata: Bool,
                        ignoring: Set<[UInt8]> = [], file: StaticString = #filePath, line: UInt = #line) {
        let want = source.filter { !ignoring.contains($0.key) }, got = restored.filter { !ignoring.contains($0.key) }
        XCTAssertEqual(Set(want.keys), Set(got.keys), "missing \(Set(want.keys).subtracting(got.keys).map(show)); extra \(Set(got.keys).subtracting(want.keys).map(show))", file: file, line: line)
        for (p, s) in want {
            guard let r = got[p] else { continue }
            XCTAssertEqual(s.isDir, r.isDir, show(p), file: file, line: line)
            XCTAssertEqual(s.size, r.size, show(p), file: file, line: line)
            XCTAssertTrue(s.content == r.content, "\(show(p)): contents differ", file: file, line: line)
            if metadata {
                XCTAssertEqual(s.perm, r.perm, "\(show(p)): permission bits", file: file, line: line)
                XCTAssertEqual(s.mtime, r.mtime, "\(show(p)): mtime", file: file, line: line)
            }
        }
    }

    func json(_ r: Fixtures.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    func lost(_ report: [String: Any]) -> [[String: Any]] { report["lost"] as! [[String: Any]] }

    func dest() -> String { Fixtures.scratch("dest").appendingPathComponent("out").path }

    /// Runs `body` and checks that the image's bytes are what they were.
    func unchanged<T>(_ img: String, _ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        let before = try bytes(img)
        let r = try body()
        XCTAssertTrue(try bytes(img) == before, "the image was written", file: file, line: line)
        return r
    }

    /// Whether `path` has a hole at `offset` (SEEK_DATA skips past it).
    func hole(_ path: String, at offset: Int64) -> Bool {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let seekData: Int32 = 3  // SEEK_DATA
        let d = lseek(fd, off_t(offset), seekData)
        return d < 0 || d > offset
    }

}
