/// Bulk-loads a Bε-tree from records that arrive one at a time in strictly increasing key
/// order, holding no more than two nodes' records per level (FORMAT.md §9.1–§9.3, the same in
/// gefs9.00).
///
/// The shape is `TreeBuilder`'s: leaves and pivots packed full, greedily, left to right; the
/// last node of a level takes records from the one before until it has its minimum (one record
/// for a leaf, two children for a pivot); a pivot's key `i` is the lowest key of child `i`,
/// its value the child's pointer and fill; message buffers are empty. Nodes are placed as soon
/// as they are complete — a node is held back until the next one of its level is complete, so
/// that the last two can be balanced — so leaves and pivots interleave in placement order.
public struct TreeStream {
    struct Level {
        var current: [Record] = []
        var cost = 0
        var held: [Record]?
        var placed = 0
    }

    let place: (Node) throws -> BlockPointer
    var levels: [Level] = [Level()]
    /// With pivots placed last: the leaves placed so far.
    var leaves: [TreeBuilder.Placed]?

    /// `place` stores one node and returns a pointer to it. With `pivotsLast`, the pivots are
    /// placed only after every leaf, level by level, as `TreeBuilder` places them (the leaves'
    /// lowest keys and pointers are kept until then: one record per leaf).
    public init(pivotsLast: Bool = false, place: @escaping (Node) throws -> BlockPointer) {
        self.place = place
        leaves = pivotsLast ? [] : nil
    }

    static func kind(_ level: Int) -> Node.Kind { level == 0 ? .leaf : .pivot }

    /// Adds the next record (its key above every key added so far).
    public mutating func add(_ record: Record) throws { try add(record, level: 0) }

    mutating func add(_ record: Record, level k: Int) throws {
        if k == levels.count { levels.append(Level()) }
        let space = k == 0 ? Format.leafSpace : Format.pivotSpace
        let cost = 2 + record.packedSize
        if !levels[k].current.isEmpty, levels[k].cost + cost > space {
            if let h = levels[k].held { try emit(h, level: k) }
            levels[k].held = levels[k].current
            levels[k].current = []
            levels[k].cost = 0
        }
        levels[k].current.append(record)
        levels[k].cost += cost
    }

    /// Places one node of level `k` and hands its reference to the level above.
    mutating func emit(_ records: [Record], level k: Int) throws {
        let node = Node(kind: TreeStream.kind(k), records: records)
        let bp = try place(node)
        levels[k].placed += 1
        if k == 0, leaves != nil {
            leaves?.append(TreeBuilder.Placed(low: records.first?.key ?? [], bp: bp, fill: node.fill))
            return
        }
        try add(Record(key: records.first?.key ?? [], value: ChildRef(bp: bp, fill: node.fill).encode()), level: k + 1)
    }

    /// Places what is left, level by level, and returns the tree. Without records the tree is
    /// one empty root leaf.
    public mutating func finish() throws -> BuiltTree {
        var k = 0
        while true {
            let minimum = k == 0 ? 1 : 2
            if var h = levels[k].held {
                while levels[k].current.count < minimum, h.count > minimum {
                    levels[k].current.insert(h.removeLast(), at: 0)
                }
                try emit(h, level: k)
            }
            let last = levels[k].current
            if levels[k].placed == 0 {
                // The only node of its level: the root.
                let node = Node(kind: TreeStream.kind(k), records: last)
                let bp = try place(node)
                levels[k].placed = 1
                return BuiltTree(root: bp, height: k + 1, nodesPerLevel: levels[0...k].map(\.placed))
            }
            try emit(last, level: k)
            if k == 0, let leaves { return try TreeBuilder.stack(leaves, place: place) }
            k += 1
        }
    }
}
