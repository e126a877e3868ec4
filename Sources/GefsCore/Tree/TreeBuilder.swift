/// What `TreeBuilder.build` made.
public struct BuiltTree: Equatable, Sendable {
    /// The root node (a leaf when `height == 1`).
    public var root: BlockPointer
    /// Levels, leaves included (§9.3: all leaves at depth `height − 1`).
    public var height: Int
    /// Nodes per level, leaves first.
    public var nodesPerLevel: [Int]
    public var nodes: Int { nodesPerLevel.reduce(0, +) }
}

/// Bulk-loads sorted records into a Bε-tree of leaves and pivots (FORMAT.md §9.1–§9.3).
///
/// Leaves and pivots are packed full, left to right (a bulk-loaded tree is read far more than
/// it is grown, and gefs splits a node when it needs to). A pivot's key `i` is the lowest key of
/// child `i`, its value the child's pointer and fill; pivots are written with empty message
/// buffers. Every pivot gets at least two children. Nodes are placed bottom up, left to right,
/// so placement is deterministic.
public enum TreeBuilder {
    /// Builds the tree over `records` (strictly increasing keys). `place` stores one node and
    /// returns a pointer to it; it is called for every leaf in key order, then for every pivot
    /// level by level. An empty record list gives one empty root leaf.
    public static func build(_ records: [Record], place: (Node) throws -> BlockPointer) rethrows -> BuiltTree {
        try stack(placeLevel(records, kind: .leaf, place: place), place: place)
    }

    /// Places the pivot levels over `leaves` (placed already, left to right), level by level.
    static func stack(_ leaves: [Placed], place: (Node) throws -> BlockPointer) rethrows -> BuiltTree {
        var level = leaves
        var perLevel = [level.count]
        while level.count > 1 {
            let refs = level.map { Record(key: $0.low, value: ChildRef(bp: $0.bp, fill: $0.fill).encode()) }
            level = try placeLevel(refs, kind: .pivot, place: place)
            perLevel.append(level.count)
        }
        return BuiltTree(root: level[0].bp, height: perLevel.count, nodesPerLevel: perLevel)
    }

    struct Placed { var low: [UInt8]; var bp: BlockPointer; var fill: Int }

    static func placeLevel(_ records: [Record], kind: Node.Kind, place: (Node) throws -> BlockPointer) rethrows -> [Placed] {
        let space = kind == .leaf ? Format.leafSpace : Format.pivotSpace
        let groups = group(records.map { 2 + $0.packedSize }, space: space, minimum: kind == .leaf ? 1 : 2)
        return try groups.map { r in
            let node = Node(kind: kind, records: Array(records[r]))
            return Placed(low: records.isEmpty ? [] : records[r.lowerBound].key, bp: try place(node), fill: node.fill)
        }
    }

    /// Splits items of the given costs into consecutive groups of at most `space`, greedily;
    /// the last group takes items from the one before until it has `minimum` items. No items
    /// give one empty group.
    static func group(_ costs: [Int], space: Int, minimum: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0, used = 0
        for (i, c) in costs.enumerated() {
            if used + c > space, i > start {
                out.append(start..<i)
                start = i; used = 0
            }
            used += c
        }
        out.append(start..<costs.count)
        while out.count > 1, out[out.count - 1].count < minimum, out[out.count - 2].count > minimum {
            let a = out[out.count - 2], b = out[out.count - 1]
            out[out.count - 2] = a.lowerBound..<a.upperBound - 1
            out[out.count - 1] = b.lowerBound - 1..<b.upperBound
        }
        return out
    }
}
