/// What one block of an allocatable region is, for maps: reachability (§12) against the
/// replayed free map.
public enum BlockClass: Int, CaseIterable, Sendable {
    case free, log, node, data, deadlist, dead, leaked, useAfterFree, unknown

    /// The map character.
    public var symbol: Character {
        switch self {
        case .free: return "."
        case .log: return "l"
        case .node: return "n"
        case .data: return "d"
        case .deadlist: return "D"
        case .dead: return "x"
        case .leaked: return "L"
        case .useAfterFree: return "!"
        case .unknown: return "?"
        }
    }
    public var name: String {
        switch self {
        case .free: return "free"
        case .log: return "log block"
        case .node: return "tree node"
        case .data: return "data block"
        case .deadlist: return "deadlist block"
        case .dead: return "listed dead address"
        case .leaked: return "leaked (allocated, unreachable)"
        case .useAfterFree: return "in use but free"
        case .unknown: return "allocated, reachability unknown"
        }
    }
    /// Fill colour in SVG maps.
    public var color: String {
        switch self {
        case .free: return "#e8e8e8"
        case .log: return "#e6a700"
        case .node: return "#2f6fdf"
        case .data: return "#3fa34d"
        case .deadlist: return "#8e44ad"
        case .dead: return "#c39bd3"
        case .leaked: return "#d62728"
        case .useAfterFree: return "#000000"
        case .unknown: return "#999999"
        }
    }
    /// When cells hold several classes, the higher rank is shown: problems first, free last.
    var rank: Int {
        switch self {
        case .free: return 0
        case .data: return 2
        case .dead: return 3
        case .node: return 4
        case .log: return 5
        case .deadlist: return 6
        case .unknown: return 7
        case .leaked: return 8
        case .useAfterFree: return 9
        }
    }
}

/// A per-arena picture of an image's blocks, one cell per run of blocks.
public struct SpaceMap: Sendable {
    public struct Row: Sendable {
        public var arena: Int
        public var region: Range<Int64>
        /// Blocks each cell covers.
        public var blocksPerCell: Int
        public var cells: [BlockClass]
        /// Blocks per class over the whole region.
        public var totals: Tally<BlockClass>
    }
    public var rows: [Row]

    /// Classifies every block of the chosen arenas, each with its replayed free map (over its
    /// region), and packs them into `width` cells per row. `space` must come from a completed
    /// check (`Checker`); without `space.complete`, blocks that are allocated but unreached are
    /// `unknown`, not `leaked`.
    public init(image: Image, freeMaps: [(arena: Int, free: BlockBitmap)], space: SpaceClassification, width: Int) {
        rows = freeMaps.map { r in
            let arena = image.arenas[r.arena]
            let classes = SpaceMap.classify(arena, r.free, space)
            let per = max(1, (classes.count + width - 1) / max(1, width))
            var cells: [BlockClass] = []
            var totals = Tally<BlockClass>()
            for c in classes { totals[c] += 1 }
            var i = 0
            while i < classes.count {
                let run = classes[i..<min(classes.count, i + per)]
                cells.append(SpaceMap.dominant(run))
                i += per
            }
            return Row(arena: r.arena, region: arena.region, blocksPerCell: per, cells: cells, totals: totals)
        }
    }

    static func classify(_ arena: Arena, _ freeMap: BlockBitmap, _ space: SpaceClassification) -> [BlockClass] {
        let B = Format.blockSize64
        return (0..<freeMap.count).map { i in
            let addr = arena.region.lowerBound + Int64(i) * B
            let kinds = space.kinds(at: addr)
            let free = freeMap[i]
            if kinds.isEmpty { return free ? .free : (space.complete ? .leaked : .unknown) }
            if free { return .useAfterFree }
            if kinds.contains(.log) { return .log }
            if kinds.contains(.deadlist) { return .deadlist }
            if kinds.contains(.pivot) || kinds.contains(.leaf) { return .node }
            if kinds.contains(.data) { return .data }
            return .dead
        }
    }

    /// The class a cell shows: any problem class present, else the most common class, free only
    /// when the whole cell is free.
    static func dominant(_ run: ArraySlice<BlockClass>) -> BlockClass {
        var counts = Tally<BlockClass>()
        for c in run { counts[c] += 1 }
        for c in [BlockClass.useAfterFree, .leaked] where counts[c] > 0 { return c }
        let used = BlockClass.allCases.filter { $0 != .free && counts[$0] > 0 }
        return used.max { (counts[$0], $0.rank) < (counts[$1], $1.rank) } ?? .free
    }
}
