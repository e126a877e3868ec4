import XCTest
import GefsCore
import TestSupport

/// The dump renderers' fast paths print exactly what the ordinary formatting prints, and the
/// streamed JSON is valid JSON in the documented layout.
final class LogRenderTests: XCTestCase {
    static let entries: [LogEntry] = [
        .alloc(0x8000), .free(0x7ffc000), .alloc(0xc000, 0x30000), .free(0x4000, 0x4000 * 3), .sync(0), .sync(123456789),
        .chain(0x10000), .end, LogEntry(op: .end, addr: 0, len: 0, word: 0x4005),
        LogEntry(op: .alloc, addr: 0x8000, len: -16384, word: 0x8006, word2: UInt64(bitPattern: -16384)),
        LogEntry(op: .free, addr: Int64.min, len: 0, word: 0x8000_0000_0000_0007, word2: 0),
    ]

    func testEntryLinesMatchDescriptions() {
        for e in LogRenderTests.entries {
            XCTAssertEqual(LogDump.entryLine(0x3ff8, e, raw: false, note: nil), "  +0x3ff8   \(e)\n")
        }
        XCTAssertEqual(LogDump.entryLine(8, .free(0x8000, 0x8000), raw: true, note: "uncommitted"),
                       "  +0x8      free 0x8000+0x8000  [0x0000000000008007 0x0000000000008000]  (uncommitted)\n")
    }

    func testEntryJSONFastPathMatchesTheJSONValue() {
        for e in LogRenderTests.entries {
            for (committed, raw, replayed) in [(true, false, true), (false, true, true), (false, false, false), (true, true, false)] {
                XCTAssertEqual(LogDump.entryJSONText(40, e, committed: committed, raw: raw, replayed: replayed),
                               LogDump.entryJSON(40, e, committed: committed, raw: raw, replayed: replayed).serialized())
            }
        }
    }

    func testRowsLayout() throws {
        let doc = JSON.obj([
            "image": "a \"b\"", "n": 3, "empty": .array([]), "none": .object([]),
            "free": .array([.array([1, 2]), .array([3, 4])]),
            "arenas": .array([.obj(["index": 0, "entries": .array([.obj(["op": "sync", "gen": 1])])])]),
        ])
        XCTAssertEqual(doc.rows(), """
            {
              "image": "a \\"b\\"",
              "n": 3,
              "empty": [],
              "none": {},
              "free": [
                [1,2],
                [3,4]
              ],
              "arenas": [
                {
                  "index": 0,
                  "entries": [
                    {"op":"sync","gen":1}
                  ]
                }
              ]
            }

            """)
        let back = try JSONSerialization.jsonObject(with: Data(doc.rows().utf8)) as! [String: Any]
        XCTAssertEqual(back["n"] as? Int, 3)
        XCTAssertEqual(back["free"] as? [[Int]], [[1, 2], [3, 4]])
    }
}
