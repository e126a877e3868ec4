/// A part of a tree that could not be read: the keys below a node that failed (clipped to what
/// the walk asked for), and the problem that names the node and what is wrong with it.
public struct LostRange: Sendable, CustomStringConvertible {
    public var range: KeyRange
    public var problem: Problem
    public init(range: KeyRange, problem: Problem) { self.range = range; self.problem = problem }
    public var description: String { "\(range): \(problem.message)" }
}

/// How a restore walk ended.
public struct RestoreWalkResult: Sendable {
    /// A callback asked to stop.
    public var stopped = false
    /// Ranges that could not be read.
    public var lost = 0
}

/// The logical view of a tree for restoring (FORMAT.md §9): each key's value with the pivot
/// messages above it applied oldest first, streamed in key order, every node read through its
/// hashed pointer. Unlike the checker's walk it asks nothing of the image beyond the blocks
/// (it runs on an image whose superblocks are lost, see `RestoreSource`), tolerates what does
/// not stop it from reading (it drops keys outside a node's range and puts a node's keys in
/// order) and reports each node it cannot read as the key range lost with it, in key order
/// among the records, so that a caller can say what the damage takes and fill the range from
/// elsewhere (`--scan`).
public struct RestoreWalker {
    public let source: RestoreSource

    public init(source: RestoreSource) { self.source = source }

    /// Walks `tree` over the keys of `range`. A tree whose height is unknown (a root found by
    /// `--scan`) has height 0: its leaves are taken at whatever depth they are.
    /// - `record`: each logical key and value, in key order; false stops the walk.
    /// - `lost`: each range that cannot be read, at its place in key order; false stops.
    /// - `problem`: anything else amiss that the walk read past.
    /// - `node`: each node read (its address), for callers that track them.
    /// - `uncheckedRoot`: the root has no pointer to check it against (a tree top found by
    ///   `--scan`): it is read as it is; every node below it is checked.
    @discardableResult
    public func walk(_ tree: TreeRoot, range: KeyRange = .all, uncheckedRoot: Bool = false,
                     node: ((Int64, Node) -> Void)? = nil,
                     record: ([UInt8], [UInt8]) throws -> Bool,
                     lost: (LostRange) throws -> Bool,
                     problem: (Problem) -> Void) throws -> RestoreWalkResult {
        var result = RestoreWalkResult()
        var seen: Set<Int64> = []
        typealias Pending = PendingMessages

        func report(_ code: ProblemCode, _ message: String, _ block: Int64?) {
            problem(Problem(code, message, block: block, in: tree.name))
        }

        func lose(_ r: KeyRange, _ p: Problem) throws {
            let clipped = KeyRange(lo: KeyRange.maxLo(r.lo, range.lo), hi: KeyRange.minHi(r.hi, range.hi))
            result.lost += 1
            if try !lost(LostRange(range: clipped, problem: p)) { result.stopped = true }
        }

        func visit(_ bp: BlockPointer, depth: Int, nodeRange: KeyRange, pending: Pending) throws {
            guard !result.stopped else { return }
            guard seen.insert(bp.addr).inserted else {
                report(.treeNodeShared, "node \(hex(bp.addr)) is reached a second time; not read again", bp.addr)
                return
            }
            let block: [UInt8]
            do { block = try depth == 0 && uncheckedRoot ? source.readRaw(at: bp.addr) : source.read(bp) } catch let f as RestoreSource.ReadFailure {
                switch f {
                case .mismatch:
                    try lose(nodeRange, Problem(.treeHashMismatch, "node \(hex(bp.addr)) \(f)", block: bp.addr, in: tree.name))
                case let .unreadable(why):
                    try lose(nodeRange, Problem(.treeBlockUnreadable, "node \(hex(bp.addr)): \(why)", block: bp.addr, in: tree.name))
                }
                return
            } catch {
                try lose(nodeRange, Problem(.treeBlockUnreadable, "node \(hex(bp.addr)): \(error)", block: bp.addr, in: tree.name))
                return
            }
            var n: Node
            do { n = try Node.decode(block) } catch {
                let t = block.u16(at: 0)
                let code: ProblemCode = t == BlockType.leaf.rawValue || t == BlockType.pivot.rawValue ? .treeNodeLayout : .treeNodeType
                try lose(nodeRange, Problem(code, "node \(hex(bp.addr)): \(error)", block: bp.addr, in: tree.name))
                return
            }
            tidy(&n, bp.addr, nodeRange)
            node?(bp.addr, n)
            switch n.kind {
            case .leaf:
                if tree.height > 0, depth != tree.height - 1 {
                    report(.treeHeightMismatch, "leaf \(hex(bp.addr)) at depth \(depth) of a tree of height \(tree.height); read all the same", bp.addr)
                }
                try emit(n.records, pending)
            case .pivot:
                guard depth + 1 < Format.maxTreeHeight else {
                    try lose(nodeRange, Problem(.treeHeightMismatch, "pivot \(hex(bp.addr)) at depth \(depth): trees are at most \(Format.maxTreeHeight) high",
                                                block: bp.addr, in: tree.name))
                    return
                }
                let above = pending + [(pivot: bp.addr, messages: ArraySlice(n.messages).restricted(to: nodeRange))]
                let recs = n.records
                for i in recs.indices {
                    guard !result.stopped else { return }
                    let childRange = nodeRange.child(i, of: recs)
                    guard childRange.overlaps(range) else { continue }
                    guard let child = try? ChildRef.decode(recs[i].value), !child.bp.isNull else {
                        try lose(childRange, Problem(.treeChildPointer, "pivot \(hex(bp.addr)): value \(i) (\(recs[i].value.count) bytes) is not a child pointer",
                                                     block: bp.addr, in: tree.name))
                        continue
                    }
                    let down = MessageApply.restricted(above, to: childRange)
                    try visit(child.bp, depth: depth + 1, nodeRange: childRange, pending: down)
                }
            }
        }

        /// Puts a node's keys in order and drops those outside its range, so that the merge
        /// below sees sorted input whatever the image holds.
        func tidy(_ n: inout Node, _ at: Int64, _ r: KeyRange) {
            if n.orderError() != nil {
                report(.treeKeyOrder, "node \(hex(at)): keys out of order; read in key order", at)
                var sorted = n.records.enumerated().sorted { a, b in
                    let c = compareKeys(a.element.key, b.element.key)
                    return c != 0 ? c < 0 : a.offset < b.offset
                }.map(\.element)
                var i = 1
                while i < sorted.count { if sorted[i].key == sorted[i - 1].key { sorted.remove(at: i) } else { i += 1 } }
                n.records = sorted
            }
            if n.records.contains(where: { !r.contains($0.key) }) {
                report(.treeKeyRange, "node \(hex(at)): keys outside its range \(r) left out", at)
                n.records.removeAll { !r.contains($0.key) }
            }
            if n.messages.indices.dropFirst().contains(where: { compareKeys(n.messages[$0 - 1].key, n.messages[$0].key) > 0 }) {
                report(.treeMessageOrder, "pivot \(hex(at)): message table out of order; read in key order", at)
                n.messages = n.messages.enumerated().sorted { a, b in
                    let c = compareKeys(a.element.key, b.element.key)
                    return c != 0 ? c < 0 : a.offset < b.offset
                }.map(\.element)
            }
        }

        /// Merges a leaf's records with the messages above it, lowest pivot first and table
        /// order within one, and hands on the logical records of the query range.
        func emit(_ records: [Record], _ pending: Pending) throws {
            guard !result.stopped else { return }
            let stopped = try MessageApply.merge(records, pending, failure: { f, pivot in
                report(f.code, "pivot \(hex(pivot)): \(f.message)", pivot)
            }, record: { key, value in
                try !range.contains(key) || record(key, value)
            })
            if stopped { result.stopped = true }
        }

        guard !tree.root.isNull else {
            try lose(.all, Problem(.treeBlockUnreadable, "the tree has no root", in: tree.name))
            return result
        }
        try visit(tree.root, depth: 0, nodeRange: .all, pending: [])
        return result
    }
}
