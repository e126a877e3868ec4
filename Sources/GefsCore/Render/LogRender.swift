/// The report of gefs-logdump: every arena's log block by block and entry by entry, as text or
/// JSON, with each problem where replay meets it and a closing consistency line per arena. It
/// renders the events and results its `LogStream`s hand it; it decides nothing. Output is
/// streamed: a log of millions of entries is never held in memory.
public struct LogDump {
    public let image: Image
    /// The logs dumped, in order.
    public let logs: [LogStream]
    /// Shows each entry's words in hex too.
    public var raw = false
    /// Counts instead of entry lines.
    public var statsOnly = false

    public init(image: Image, logs: [LogStream]) {
        self.image = image
        self.logs = logs
    }

    /// Image problems that concern no arena (they head the dump).
    public var imageProblems: [Problem] { LogDump.imageProblems(image) }
    public static func imageProblems(_ image: Image) -> [Problem] { image.problems.filter { $0.arena == nil } }

    /// `image NAME: superblock sb0, qgen 13, 2 arenas`
    public var imageLine: String { LogDump.imageLine(image) }
    public static func imageLine(_ image: Image) -> String {
        "image \(image.name): \(image.format.name), superblock \(image.currentSlot), qgen \(image.qgen), \(image.arenas.count) arena\(image.arenas.count == 1 ? "" : "s")\n"
    }

    // MARK: Text

    /// Writes the dump; returns every problem shown.
    public func text<Out: TextOutputStream>(_ out: inout Out) -> [Problem] {
        out.write(imageLine)
        var shown = imageProblems
        for p in shown { out.write("\(p)\n") }
        for log in logs { shown += arenaText(log, &out) }
        return shown
    }

    func arenaText<Out: TextOutputStream>(_ log: LogStream, _ out: inout Out) -> [Problem] {
        let arena = image.arenas[log.arena]
        out.write("\n" + LogDump.arenaLine(arena))
        let own = image.problems.filter { $0.arena == log.arena }
        for p in own { out.write("  \(p)\n") }
        let blocks = log.chainLength()
        let raw = self.raw, statsOnly = self.statsOnly
        let r = log.replay { event in
            switch event {
            case let .block(addr, index, header, committed):
                out.write(LogDump.blockLine(addr, index, blocks, header, committed))
            case let .entry(_, offset, e, committed, _):
                guard !statsOnly else { return }
                out.write(LogDump.entryLine(offset, e, raw: raw, note: committed ? nil : "uncommitted"))
            case let .ignored(_, offset, e):
                guard !statsOnly else { return }
                out.write(LogDump.entryLine(offset, e, raw: raw, note: "not replayed"))
            case let .problem(p):
                out.write("  \(p)\n")
            }
        }
        if statsOnly { out.write(LogDump.statsText(r)) }
        let problems = own + r.problems
        out.write(LogDump.closingLine(arena, r, problems))
        return problems
    }

    /// `arena 0: current copy header, loghd 0x8000, size 8339456, used 81920`
    static func arenaLine(_ a: Arena) -> String {
        guard let slot = a.currentSlot, let c = a.current else { return "arena \(a.index): NO CURRENT COPY\n" }
        return "arena \(a.index): current copy \(slot), loghd \(hex(c.loghd)), size \(c.size), used \(c.used)\n"
    }

    /// `log block 0x8000 (1/2) logsz 0x48 loghash 0x… ok`
    static func blockLine(_ addr: Int64, _ index: Int, _ count: Int, _ header: LogBlockHeader?,
                          _ committed: Bool) -> String {
        var s = "log block \(hex(addr)) (\(index + 1)/\(count))"
        if let h = header {
            s += " logsz \(hex(h.logsz))" + (h.next.map { $0 < 0 ? " logp none" : " logp \(hex($0))" } ?? "") + " loghash \(hex(h.storedHash)) "
            s += h.storedHash == h.computedHash ? "ok" : "BAD (computed \(hex(h.computedHash)))"
        } else {
            s += " NOT A LOG BLOCK"
        }
        return s + (committed ? "\n" : " (uncommitted)\n")
    }

    /// `  +0x18     alloc1 0x8000`, with the words in hex when `raw`.
    public static func entryLine(_ offset: Int, _ e: LogEntry, raw: Bool, note: StaticString?) -> String {
        AsciiLine.make { l in
            l.put("  +")
            l.hex(Int64(offset))
            l.spaces(to: 12)
            l.entry(e)
            if raw {
                l.put("  [")
                l.hex16(e.word)
                if let w2 = e.word2 { l.byte(0x20); l.hex16(w2) }
                l.byte(0x5d)
            }
            if let note { l.put("  ("); l.put(note); l.byte(0x29) }
            l.byte(0x0a)
        }
    }

    /// The ops whose committed entries are counted, in the order printed.
    static let countedOps: [LogOp] = [.alloc1, .free1, .alloc, .free, .sync]

    static func statsText(_ r: ArenaReplay) -> String {
        var s = "  chain: \(r.blocksRead) block\(r.blocksRead == 1 ? "" : "s"), \(r.logBlocks.count) before the stop\n"
        s += "  ops:"
        for op in countedOps { s += " \(op) \(r.opCounts[op])" }
        s += "\n  entries: \(r.committedEntries) committed, \(r.discardedEntries) discarded\n"
        return s
    }

    /// The zdb-like closing line: entries, totals, replayed and recorded `used`, the verdict.
    static func closingLine(_ a: Arena, _ r: ArenaReplay, _ problems: [Problem]) -> String {
        var s = "arena \(a.index): \(r.committedEntries) entries "
        s += r.stop == .aborted ? "before replay stopped at an error" : "to \(r.stopText)"
        if r.discardedEntries > 0 { s += " (\(r.discardedEntries) discarded)" }
        s += "; allocated \(r.allocatedBytes), freed \(r.freedBytes); used \(r.used) replayed, "
        if let h = r.usedHeader, let slot = a.currentSlot {
            s += "\(h) in \(slot)" + (h == r.used ? "" : " (MISMATCH)")
        } else {
            s += "no current copy"
        }
        return s + ": " + verdict(problems) + "\n"
    }

    /// `consistent`, `consistent (1 warning)`, `INCONSISTENT (2 errors)`.
    public static func verdict(_ problems: [Problem]) -> String {
        let errors = problems.filter { $0.severity == .error }.count
        let warnings = problems.filter { $0.severity == .warning }.count
        func n(_ k: Int, _ w: String) -> String { "\(k) \(w)\(k == 1 ? "" : "s")" }
        if errors > 0 { return "INCONSISTENT (\(n(errors, "error")))" }
        return warnings > 0 ? "consistent (\(n(warnings, "warning")))" : "consistent"
    }

    // MARK: JSON

    /// Writes the dump as JSON (`{"image", "qgen", "arenas": [...]}`); returns every problem.
    public func json<Out: TextOutputStream>(_ out: inout Out) -> [Problem] {
        var js = JSONStream(out)
        var shown = imageProblems
        js.beginObject()
        js.value(.string(image.name), "image")
        js.value(.string(image.format.name), "format")
        js.value(JSON(image.qgen), "qgen")
        js.value(.string(image.currentSlot.rawValue), "superblock")
        js.value(.array(shown.map(\.json)), "problems")
        js.beginArray("arenas")
        for log in logs { shown += arenaJSON(log, &js) }
        js.endArray()
        js.endObject()
        out = js.out
        return shown
    }

    func arenaJSON<Out>(_ log: LogStream, _ js: inout JSONStream<Out>) -> [Problem] {
        let i = log.arena
        let a = image.arenas[i]
        let raw = self.raw, statsOnly = self.statsOnly
        js.beginObject()
        js.value(JSON(i), "index")
        js.value(a.currentSlot.map { .string($0.rawValue) } ?? .null, "current_copy")
        js.value(a.current.map { JSON($0.loghd) } ?? .null, "loghd")
        js.value(JSON(a.size), "size")
        js.value(a.current.map { JSON($0.used) } ?? .null, "used_header")
        js.beginArray("blocks")
        var open = false
        let r = log.replay { event in
            switch event {
            case let .block(addr, index, header, committed):
                if open { js.endArray(); js.endObject() }
                js.beginObject()
                js.value(JSON(addr), "addr")
                js.value(JSON(index), "index")
                js.value(.bool(header != nil), "log_block")
                if let h = header {
                    js.value(JSON(h.logsz), "logsz")
                    if let next = h.next { js.value(JSON(next), "logp") }
                    js.value(JSON(h.storedHash), "loghash")
                    js.value(JSON(h.computedHash), "loghash_computed")
                    js.value(.bool(h.storedHash == h.computedHash), "loghash_ok")
                }
                js.value(.bool(committed), "committed")
                js.beginArray("entries")
                open = true
            case let .entry(_, offset, e, committed, _):
                if !statsOnly { js.element(serialized: LogDump.entryJSONText(offset, e, committed: committed, raw: raw)) }
            case let .ignored(_, offset, e):
                if !statsOnly { js.element(serialized: LogDump.entryJSONText(offset, e, committed: false, raw: raw, replayed: false)) }
            case .problem:
                break
            }
        }
        if open { js.endArray(); js.endObject() }
        js.endArray()
        let problems = image.problems.filter { $0.arena == i } + r.problems
        for (k, v) in LogDump.summaryJSON(r) { js.value(v, k) }
        js.value(.bool(!problems.contains { $0.severity == .error }), "consistent")
        js.value(.array(problems.map(\.json)), "problems")
        js.endObject()
        return problems
    }

    /// One entry: `{"offset", "op", "addr", "len", "gen", "committed"}`, keys that do not apply
    /// left out; `"word"` (and `"word2"`) with `raw`; `"replayed": false` for entries of a rejected block.
    public static func entryJSON(_ offset: Int, _ e: LogEntry, committed: Bool, raw: Bool, replayed: Bool = true) -> JSON {
        let ranged = e.isAlloc || e.isFree
        return .obj([
            "offset": JSON(offset),
            "op": .string(e.op.description),
            "addr": ranged || e.op == .chain ? JSON(e.addr) : nil,
            "len": ranged ? JSON(e.len) : nil,
            "gen": e.op == .sync ? JSON(e.gen) : nil,
            "committed": .bool(committed),
            "replayed": replayed ? nil : .bool(false),
            "word": raw ? JSON(e.word) : nil,
            "word2": raw ? e.word2.map { JSON($0) } : nil,
        ])
    }

    /// `entryJSON(...).serialized()`, built without the intermediate JSON value (for speed).
    public static func entryJSONText(_ offset: Int, _ e: LogEntry, committed: Bool, raw: Bool, replayed: Bool = true) -> String {
        AsciiLine.make { $0.entryJSON(offset, e, committed: committed, raw: raw, replayed: replayed) }
    }

    /// The replay's figures, shared by the JSON of both log tools.
    public static func summaryJSON(_ r: ArenaReplay) -> [(String, JSON)] {
        var ops: [(String, JSON)] = []
        for op in countedOps { ops.append((op.description, JSON(r.opCounts[op]))) }
        return [
            ("used", JSON(r.used)),
            ("stop", .string(r.stop.rawValue)),
            ("committed_gen", r.committedGen.map { JSON($0) } ?? .null),
            ("chain_blocks", JSON(r.blocksRead)),
            ("committed_blocks", JSON(r.logBlocks.count)),
            ("committed_entries", JSON(r.committedEntries)),
            ("discarded_entries", JSON(r.discardedEntries)),
            ("ops", .object(ops)),
            ("allocated", JSON(r.allocatedBytes)),
            ("freed", JSON(r.freedBytes)),
        ]
    }
}

// MARK: Block history

extension LogDump {
    /// What an entry's barrier means for the block's history: `sync 7`, `uncommitted`, …
    static func hitNote(_ h: BlockHistory.Hit) -> String {
        if !h.replayed { return "not replayed" }
        if !h.committed { return "uncommitted" }
        return h.sync.map { "sync \($0)" } ?? "no barrier"
    }

    /// Writes the history of one block (`--block`); returns the problems of its arena.
    public func historyText<Out: TextOutputStream>(_ h: BlockHistory, _ out: inout Out) -> [Problem] {
        out.write(imageLine)
        let problems = imageProblems + image.problems.filter { $0.arena == h.arena } + h.replay.problems
        out.write("block \(hex(h.block)), arena \(h.arena):\n")
        for hit in h.hits {
            var line = "  log block " + pad(hex(hit.logBlock), 10) + pad("+" + hex(hit.offset), 9)
                + pad(hit.entry.description, 26) + LogDump.hitNote(hit)
            if raw { line += "  [" + hit.entry.words.map { w in AsciiLine.make { $0.hex16(w) } }.joined(separator: " ") + "]" }
            out.write(line + "\n")
        }
        if let k = h.chainIndex {
            out.write("  it is block \(k + 1)/\(h.replay.blocksRead) of the log chain\n")
        }
        for p in problems { out.write("  \(p)\n") }
        let state = h.isFree ? "free" : "allocated"
        let n = h.hits.count
        out.write("block \(hex(h.block)) is \(state) as of \(h.replay.stopText); \(n) entr\(n == 1 ? "y names" : "ies name") it\n")
        return problems
    }

    /// The history as JSON: `{"image", "qgen", "block", "arena", "history": [...], "free", "problems"}`.
    public func historyJSON<Out: TextOutputStream>(_ h: BlockHistory, _ out: inout Out) -> [Problem] {
        let problems = imageProblems + image.problems.filter { $0.arena == h.arena } + h.replay.problems
        let hits: [JSON] = h.hits.map { hit in
            let e = LogDump.entryJSON(hit.offset, hit.entry, committed: hit.committed, raw: raw, replayed: hit.replayed)
            guard case let .object(pairs) = e else { return e }
            return .object([("log_block", JSON(hit.logBlock))] + pairs + [("sync", hit.sync.map { JSON($0) } ?? .null)])
        }
        let doc = JSON.obj([
            "image": .string(image.name), "format": .string(image.format.name), "qgen": JSON(image.qgen),
            "block": JSON(h.block), "arena": JSON(h.arena),
            "history": .array(hits),
            "chain_index": h.chainIndex.map { JSON($0) },
            "free": .bool(h.isFree),
            "stop": .string(h.replay.stop.rawValue),
            "committed_gen": h.replay.committedGen.map { JSON($0) } ?? .null,
            "problems": .array(problems.map(\.json)),
        ])
        out.write(doc.rows())
        return problems
    }
}
