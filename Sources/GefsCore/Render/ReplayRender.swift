/// The report of gefs-replay: per arena the replayed free and used totals, free extents, and
/// agreement with the arena copy; the differences since an older barrier (`--until-gen`); a log
/// rewrite plan (`--rewrite`). It renders; the replay and the rewrite decide.
public struct ReplayReport {
    public let image: Image
    /// The replays shown, with those to the older barrier when there is one.
    public let replayed: ReplayedArenas
    /// Lists the free extents.
    public var ranges = false

    public init(image: Image, replayed: ReplayedArenas) {
        self.image = image
        self.replayed = replayed
    }

    /// The older barrier compared with the current state, when given.
    var until: UInt64? { replayed.until }
    /// The replays the report is about (to `until` when given).
    var replays: [ArenaReplay] { replayed.shown }
    var current: [ArenaReplay] { replayed.current }

    /// Every problem shown: the image's own, then per arena its opening problems and replay's.
    public var problems: [Problem] {
        image.problems.filter { $0.arena == nil } + replays.flatMap { r in
            image.problems.filter { $0.arena == r.arena } + r.problems
        }
    }

    // MARK: Text

    public func text<Out: TextOutputStream>(_ out: inout Out) {
        out.write(LogDump.imageLine(image))
        for p in LogDump.imageProblems(image) { out.write("\(p)\n") }
        for (k, r) in replays.enumerated() { arenaText(r, current[k], &out) }
    }

    func arenaText<Out: TextOutputStream>(_ r: ArenaReplay, _ now: ArenaReplay, _ out: inout Out) {
        let a = image.arenas[r.arena]
        if until != nil && !r.reachedStopGen {
            let met = r.committedGen.map { "replay met LogSync \($0) first" } ?? "replay reached \(r.stopText)"
            out.write("arena \(a.index): the log no longer holds LogSync \(r.stopGen) (\(met))\n")
            return
        }
        let stats = FreeSpaceStats(r.free)
        out.write("arena \(a.index): used \(r.used), free \(stats.freeBytes) (\(r.free.setCount) blocks) as of \(r.stopText)\n")
        for p in image.problems.filter({ $0.arena == a.index }) + r.problems { out.write("  \(p)\n") }
        out.write("  free extents \(stats.extents), largest \(stats.largest) (\(stats.largest / Format.blockSize64) blocks)\n")
        if until != nil {
            diffText(r, now, &out)
        } else if let slot = a.currentSlot, let h = r.usedHeader {
            out.write(h == r.used ? "  agrees with the \(slot) (used \(h))\n" : "  DISAGREES with the \(slot) (used \(h))\n")
        } else {
            out.write("  no current arena copy to compare with\n")
        }
        if ranges {
            for e in r.free.extents { out.write("  free \(hex(e.addr))+\(hex(e.len))\n") }
        }
    }

    /// What changed between the older barrier and the committed state.
    func diffText<Out: TextOutputStream>(_ then: ArenaReplay, _ now: ArenaReplay, _ out: inout Out) {
        let allocated = then.free.subtracting(now.free), freed = now.free.subtracting(then.free)
        out.write("  since then, to \(now.stopText): \(allocated.setCount) blocks allocated, \(freed.setCount) freed; used now \(now.used)\n")
        guard ranges else { return }
        for e in allocated.extents { out.write("  allocated since \(hex(e.addr))+\(hex(e.len))\n") }
        for e in freed.extents { out.write("  freed since \(hex(e.addr))+\(hex(e.len))\n") }
    }

    // MARK: JSON

    public func json<Out: TextOutputStream>(_ out: inout Out) {
        var js = JSONStream(out)
        js.beginObject()
        js.value(.string(image.name), "image")
        js.value(.string(image.format.name), "format")
        js.value(JSON(image.qgen), "qgen")
        if let g = until { js.value(JSON(g), "until_gen") }
        js.value(.array(image.problems.filter { $0.arena == nil }.map(\.json)), "problems")
        js.beginArray("arenas")
        for (k, r) in replays.enumerated() { js.value(arenaJSON(r, current[k])) }
        js.endArray()
        js.endObject()
        out = js.out
    }

    static func extentsJSON(_ b: BlockBitmap) -> JSON {
        .array(b.extents.map { .array([JSON($0.addr), JSON($0.len)]) })
    }

    func arenaJSON(_ r: ArenaReplay, _ now: ArenaReplay) -> JSON {
        let stats = FreeSpaceStats(r.free)
        var pairs: [(String, JSON)] = [
            ("index", JSON(r.arena)), ("size", JSON(image.arenas[r.arena].size)),
            ("used", JSON(r.used)), ("used_header", r.usedHeader.map { JSON($0) } ?? .null),
            ("committed_gen", r.committedGen.map { JSON($0) } ?? .null),
            ("stop", .string(r.stop.rawValue)),
            ("discarded_entries", JSON(r.discardedEntries)),
            ("free_bytes", JSON(stats.freeBytes)), ("free_extents", JSON(stats.extents)),
            ("largest_free", JSON(stats.largest)),
        ]
        if until != nil {
            pairs.append(("reached", .bool(r.reachedStopGen)))
            if r.reachedStopGen {
                pairs.append(("used_now", JSON(now.used)))
                pairs.append(("allocated_since", ReplayReport.extentsJSON(r.free.subtracting(now.free))))
                pairs.append(("freed_since", ReplayReport.extentsJSON(now.free.subtracting(r.free))))
            }
        } else {
            pairs.append(("agrees", .bool(r.agrees)))
        }
        if ranges { pairs.append(("free", ReplayReport.extentsJSON(r.free))) }
        let problems = image.problems.filter { $0.arena == r.arena } + r.problems
        pairs.append(("problems", .array(problems.map(\.json))))
        return .object(pairs)
    }
}

// MARK: Rewrite plans

extension LogRewrite {
    /// `1 block, 822 entries`
    static func length(_ blocks: Int, _ entries: Int) -> String {
        "\(blocks) block\(blocks == 1 ? "" : "s"), \(entries) entr\(entries == 1 ? "y" : "ies")"
    }

    /// One line per arena: the log's length before and after, `used` before and after.
    public func text() -> String {
        var s = ""
        for p in arenas {
            let before = image.arenas[p.arena].current?.used ?? 0
            if p.rewritten {
                s += "arena \(p.arena): log \(LogRewrite.length(p.oldBlocks.count, p.oldEntries)) -> "
                s += "\(LogRewrite.length(p.newBlocks.count, p.newEntries)); used \(before) -> \(p.used)\n"
                s += "  new log: " + p.newBlocks.map(hex).joined(separator: " ") + "\n"
            } else {
                s += "arena \(p.arena): log kept (\(LogRewrite.length(p.oldBlocks.count, p.oldEntries))), LogSync \(gen) appended\n"
            }
        }
        return s
    }

    public var json: JSON {
        .obj([
            "gen": JSON(gen),
            "arenas": .array(arenas.map { p in
                .obj([
                    "index": JSON(p.arena), "rewritten": .bool(p.rewritten),
                    "old_blocks": JSON(p.oldBlocks.count), "old_entries": JSON(p.oldEntries),
                    "new_blocks": JSON(p.newBlocks.count), "new_entries": JSON(p.newEntries),
                    "used_before": image.arenas[p.arena].current.map { JSON($0.used) },
                    "used_after": JSON(p.used),
                    "new_log": p.rewritten ? .array(p.newBlocks.map { JSON($0) }) : nil,
                ])
            }),
        ])
    }
}
