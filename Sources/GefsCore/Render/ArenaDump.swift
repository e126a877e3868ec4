/// The report of gefs-arenadump: superblock copies, arena copies, logs and free space, as text
/// or JSON. It renders what `Image` and `Replay` found; it decides nothing.
public struct ArenaDump {
    public let image: Image
    /// Replays of the arenas chosen for the dump, in order.
    public let replays: [ArenaReplay]
    public var showRanges = false

    public init(image: Image, replays: [ArenaReplay]) {
        self.image = image
        self.replays = replays
    }

    /// Every problem the dump found, image-level first, then per arena in order.
    public var problems: [Problem] {
        image.problems.filter { p in p.arena == nil || replays.contains { $0.arena == p.arena } }
            + replays.flatMap(\.problems)
    }

    // MARK: Superblocks

    /// The fields of §6 in order, as (name, text, JSON).
    static func fields(_ sb: Superblock) -> [(String, String, JSON)] {
        var f: [(String, String, JSON)] = [
            ("narena", "\(sb.narena)", JSON(sb.narena)),
            ("snap.ht", "\(sb.snapHeight)", JSON(sb.snapHeight)),
            ("snap.addr", addrText(sb.snapRoot.addr), JSON(sb.snapRoot.addr)),
            ("snap.hash", hex(sb.snapRoot.hash), JSON(sb.snapRoot.hash)),
            ("snapdl.hd.addr", addrText(sb.snapdlHead.addr), JSON(sb.snapdlHead.addr)),
            ("snapdl.hd.hash", hex(sb.snapdlHead.hash), JSON(sb.snapdlHead.hash)),
            ("snapdl.tl.addr", addrText(sb.snapdlTail.addr), JSON(sb.snapdlTail.addr)),
            ("snapdl.tl.hash", hex(sb.snapdlTail.hash), JSON(sb.snapdlTail.hash)),
            ("flag", hex(sb.flag), JSON(sb.flag)),
            ("nextqid", "\(sb.nextqid)", JSON(sb.nextqid)),
            ("nextgen", "\(sb.nextgen)", JSON(sb.nextgen)),
            ("qgen", "\(sb.qgen)", JSON(sb.qgen)),
        ]
        // gefs8.00's fixed geometry; gefs9.00 records none (both 0).
        if sb.arenasz != 0 || sb.fssize != 0 {
            f += [("arenasz", "\(sb.arenasz)", JSON(sb.arenasz)), ("fssize", "\(sb.fssize)", JSON(sb.fssize))]
        }
        for (i, a) in sb.arenas.enumerated() {
            f.append(("arena[\(i)].addr", hex(a.addr), JSON(a.addr)))
            f.append(("arena[\(i)].hash", hex(a.hash), JSON(a.hash)))
        }
        return f
    }

    func status(_ c: SuperblockCopy) -> String {
        if c.isValid { return c.slot == image.currentSlot ? "valid, current" : "valid" }
        return "INVALID: \(c.error ?? "unreadable")"
    }

    /// Names of the fields where the two copies differ (both must have decodable fields).
    public var differingFields: [String] {
        guard let a = image.sb0.fields, let b = image.sb1.fields else { return [] }
        let fa = ArenaDump.fields(a), fb = ArenaDump.fields(b)
        var names = zip(fa, fb).filter { $0.0.1 != $0.1.1 }.map(\.0.0)
        if fa.count != fb.count { names.append("arena count") }
        return names
    }

    public func superblockText() -> String {
        var out = "image \(image.name): \(image.format.name), \(image.device.size) bytes, \(image.device.blockCount) blocks\n"
        for c in [image.sb0, image.sb1] {
            out += "superblock \(c.slot) at \(c.addr.map(hex) ?? "-"): \(status(c))\n"
            guard let sb = c.fields else { continue }
            if c.slot == .sb1, image.sb0.fields != nil, differingFields.isEmpty {
                out += "  (fields identical to sb0)\n"
                continue
            }
            for (name, text, _) in ArenaDump.fields(sb) { out += "  " + pad(name, 16) + text + "\n" }
        }
        let diff = differingFields
        if !diff.isEmpty { out += "sb0 and sb1 differ in: " + diff.joined(separator: ", ") + "\n" }
        return out
    }

    public func superblockJSON() -> JSON {
        .array([image.sb0, image.sb1].map { c in
            var pairs: [(String, JSON)] = [
                ("copy", .string(c.slot.rawValue)), ("addr", c.addr.map { JSON($0) } ?? .null),
                ("valid", .bool(c.isValid)), ("current", .bool(c.isValid && c.slot == image.currentSlot)),
            ]
            if let e = c.error { pairs.append(("error", .string(e))) }
            if let sb = c.fields {
                pairs += ArenaDump.fields(sb).filter { !$0.0.hasPrefix("arena[") }.map { ($0.0, $0.2) }
                pairs.append(("arenas", .array(sb.arenas.map { .obj(["addr": JSON($0.addr), "hash": JSON($0.hash)]) })))
            }
            return .object(pairs)
        })
    }

    // MARK: Arenas

    func copyLine(_ a: Arena, _ slot: ArenaSlot) -> String {
        let copy = slot == .header ? a.header : a.footer
        let status = slot == .header ? a.headerStatus : a.footerStatus
        let hash = slot == .header ? a.headerHash : a.footerHash
        var s = "  \(pad(slot.rawValue, 7))\(hex(a.addr(of: slot))): "
        switch status {
        case .current: s += "current"
        case .stale: s += "stale"
        case let .corrupt(why): s += "CORRUPT (\(why))"
        }
        s += " hash \(hex(hash))"
        if let c = copy { s += " loghd \(hex(c.loghd)) size \(c.size) used \(c.used)" }
        return s + "\n"
    }

    public func arenaText(_ r: ArenaReplay) -> String {
        let a = image.arenas[r.arena]
        let stats = FreeSpaceStats(r.free)
        var out = "arena \(a.index): base \(hex(a.base)), region \(hex(a.region.lowerBound))..<\(hex(a.region.upperBound)), "
        out += "current copy \(a.currentSlot?.rawValue ?? "NONE")\n"
        out += copyLine(a, .header) + copyLine(a, .footer)
        if let c = a.current {
            out += "  log: loghd \(hex(c.loghd)), \(r.logBlocks.count) block\(r.logBlocks.count == 1 ? "" : "s"), "
            out += "replay stopped at \(r.committedGen.map { "LogSync \($0)" } ?? r.stop.rawValue)"
            out += r.discardedEntries > 0 ? ", \(r.discardedEntries) uncommitted entries discarded\n" : "\n"
        }
        out += "  size \(a.size), used \(r.usedHeader.map(String.init) ?? "-") (copy) \(r.used) (replay), free \(stats.freeBytes)"
        out += r.agrees ? "\n" : "  MISMATCH\n"
        out += "  free extents \(stats.extents), largest \(stats.largest) (\(stats.largest / Format.blockSize64) blocks), "
        out += "fragmentation \(stats.fragmentation)%\n"
        if !stats.histogram.isEmpty {
            out += "  free extent sizes (blocks):\n"
            for (k, n) in stats.histogram.enumerated() where n > 0 {
                out += "    \(pad(FreeSpaceStats.bucketLabel(k), 14))\(n)\n"
            }
        }
        if showRanges {
            out += "  free ranges:\n"
            for e in r.free.extents { out += "    \(hex(e.addr))+\(hex(e.len))\n" }
        }
        return out
    }

    public func arenaJSON(_ r: ArenaReplay) -> JSON {
        let a = image.arenas[r.arena]
        let stats = FreeSpaceStats(r.free)
        func copy(_ slot: ArenaSlot) -> JSON {
            let c = slot == .header ? a.header : a.footer
            let st = slot == .header ? a.headerStatus : a.footerStatus
            let status: String
            switch st { case .current: status = "current"; case .stale: status = "stale"; case .corrupt: status = "corrupt" }
            return .obj(["addr": JSON(a.addr(of: slot)), "status": .string(status),
                         "hash": JSON(slot == .header ? a.headerHash : a.footerHash),
                         "loghd": c.map { JSON($0.loghd) }, "size": c.map { JSON($0.size) }, "used": c.map { JSON($0.used) }])
        }
        return .obj([
            "index": JSON(a.index), "base": JSON(a.base),
            "current_copy": a.currentSlot.map { .string($0.rawValue) } ?? .null,
            "header": copy(.header), "footer": copy(.footer),
            "loghd": a.current.map { JSON($0.loghd) },
            "log_blocks": JSON(r.logBlocks.count),
            "size": JSON(a.size), "used_header": r.usedHeader.map { JSON($0) },
            "used_replay": JSON(r.used), "free": JSON(stats.freeBytes),
            "free_extents": JSON(stats.extents), "largest_free": JSON(stats.largest),
            "histogram": .array(stats.histogram.map { JSON($0) }),
            "fragmentation": JSON(stats.fragmentation),
            "ranges": showRanges ? .array(r.free.extents.map { .array([JSON($0.addr), JSON($0.len)]) }) : nil,
            "problems": .array(r.problems.map(\.json)),
        ])
    }
}

/// An address in hex, or `-1` for "none".
public func addrText(_ a: Int64) -> String { a == Format.none ? "-1" : hex(a) }

/// Left-justifies `s` in `width` columns (at least one space follows).
public func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
