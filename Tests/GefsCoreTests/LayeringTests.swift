import XCTest
import Foundation
import TestSupport

/// The README's Architecture table against the code: every folder of GefsCore has a row, a row
/// names only folders above it, and a folder's files use (by name) only what is declared in the
/// folders its row names. Uses are found by reading the sources as text: a top-level type or
/// function declared in one folder, named in a file of another (comments and string literals
/// left out, member accesses like `.name` not counted).
final class LayeringTests: XCTestCase {
    struct Row {
        let folder: String
        let uses: Set<String>
    }

    /// Files the README names as an exception, with the folders they may use besides their row's.
    let exceptions: [String: Set<String>] = [:]

    let core = Fixtures.root.appendingPathComponent("Sources/GefsCore")

    func table() throws -> [Row] {
        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "\n## Architecture\n") else {
            XCTFail("README.md has no Architecture section")
            return []
        }
        var rows: [Row] = []
        var inTable = false
        for line in readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("|") else {
                if inTable { break }
                continue
            }
            inTable = true
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`"), cells[1].hasSuffix("/`") else { continue }
            let folder = String(cells[1].dropFirst().dropLast(2))
            let uses = cells[3] == "—" ? [] : cells[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            rows.append(Row(folder: folder, uses: Set(uses)))
        }
        return rows
    }

    /// The Swift files of each folder, as folder-relative paths with their text.
    func sources() throws -> [(folder: String, path: String, text: String)] {
        var out: [(String, String, String)] = []
        let files = FileManager.default.enumerator(at: core, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let rel = String(url.path.dropFirst(core.path.count + 1))
            guard let slash = rel.firstIndex(of: "/") else { continue }
            out.append((String(rel[..<slash]), rel, try String(contentsOf: url, encoding: .utf8)))
        }
        return out.sorted { $0.1 < $1.1 }
    }

    /// The text without comments and string literals.
    static func code(_ text: String) -> String {
        var s = text
        for pattern in [#"/\*[\s\S]*?\*/"#, #"//[^\n]*"#, #""""[\s\S]*?""""#, #""(?:\\.|[^"\\\n])*""#] {
            s = s.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        return s
    }

    static func matches(_ pattern: String, _ text: String, options: NSRegularExpression.Options = []) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern, options: options)
        let ns = text as NSString
        return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    func testArchitectureTableMatchesTheCode() throws {
        let rows = try table()
        let order = rows.map(\.folder)
        XCTAssertTrue(order.count > 5, "the Architecture table lists the folders: \(order)")
        let folders = Set(try FileManager.default.contentsOfDirectory(atPath: core.path)
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: core.appendingPathComponent($0).path, isDirectory: &d) && d.boolValue })
        XCTAssertEqual(Set(order), folders, "every folder of Sources/GefsCore has one row in README.md's Architecture table")
        for (k, row) in rows.enumerated() {
            let above = Set(order[..<k])
            XCTAssertTrue(row.uses.isSubset(of: above), "\(row.folder)/ may use only folders above it, not \(row.uses.subtracting(above).sorted())")
        }

        // Who declares each top-level name (private ones are nobody's business).
        let files = try sources()
        var owners: [String: Set<String>] = [:]
        let declaration = #"^(?:@\w+(?:\([^)\n]*\))?\s+)*(?:(?:public|internal|package|final|indirect|nonisolated)\s+)*(?:struct|enum|class|protocol|func|typealias|let|var|actor)\s+([A-Za-z_]\w*)"#
        for f in files {
            for name in LayeringTests.matches(declaration, LayeringTests.code(f.text), options: .anchorsMatchLines) {
                owners[name, default: []].insert(f.folder)
            }
        }
        let allowed = Dictionary(uniqueKeysWithValues: rows.map { ($0.folder, $0.uses) })
        var used: [String: Set<String>] = [:]
        for f in files {
            let code = LayeringTests.code(f.text)
            let names = Set(LayeringTests.matches(#"(?<![.\w])([A-Za-z_]\w*)"#, code))
            // Names the file binds itself (parameters, locals) shadow declarations elsewhere.
            let locals = Set(LayeringTests.matches(#"\b(?:let|var|for|case)\s+([a-z_]\w*)"#, code)
                + LayeringTests.matches(#"[(,]\s*(?:\w+\s+)?([a-z_]\w*)\s*:"#, code))
            for name in names.subtracting(locals).sorted() {
                guard let o = owners[name], o.count == 1, let folder = o.first, folder != f.folder else { continue }
                used[f.folder, default: []].insert(folder)
                let ok = (allowed[f.folder] ?? []).union(exceptions[f.path] ?? [])
                XCTAssertTrue(ok.contains(folder), "\(f.path) uses \(name), declared in \(folder)/, which README.md's Architecture table does not let \(f.folder)/ use")
            }
        }
        // The table says no more than the code does.
        for row in rows {
            XCTAssertTrue(row.uses.isSubset(of: used[row.folder] ?? []),
                          "\(row.folder)/'s row names \(row.uses.subtracting(used[row.folder] ?? []).sorted()), which it does not use")
        }
    }

    /// Catalogue entries are used by name as members (`.logBadOp`), which the reading above does
    /// not follow: every folder uses the catalogue, so every entry lives in Diagnostics/.
    func testTheProblemCatalogueIsInDiagnostics() throws {
        for f in try sources() where f.folder != "Diagnostics" {
            let entries = LayeringTests.matches(#"static let (\w+) = ProblemCode\("#, LayeringTests.code(f.text))
            XCTAssertEqual(entries, [], "\(f.path) defines problem codes; the catalogue lives in Diagnostics/")
        }
    }

    /// The reading above finds a use that breaks the table (so that a passing run means something).
    /// Host I/O by system call (opening, positional reads and writes, directory calls) is the
    /// Device layer's: every other folder goes through its types.
    func testRawHostIOIsInDevice() throws {
        let calls = #"\b(Glibc\.open|openat|pread|pwrite|pwritev|preadv|mkdirat|unlinkat|fstatat|opendir|ftruncate|fchmod|futimens)\s*\("#
        for f in try sources() where f.folder != "Device" {
            let found = LayeringTests.matches("(" + calls + ")", LayeringTests.code(f.text))
            XCTAssertEqual(found, [], "\(f.path) calls the host directly; raw I/O lives in Device/")
        }
    }

    func testAnUpwardUseIsFound() {
        let code = LayeringTests.code("""
            // Replay is mentioned here
            let s = "Replay too"
            let r = Replay.arena(image, 0)
            x.Replay = 1
            """)
        XCTAssertEqual(LayeringTests.matches(#"(?<![.\w])([A-Za-z_]\w*)"#, code).filter { $0 == "Replay" }, ["Replay"])
    }
}
