/// A tree to read (FORMAT.md §9): its root, its height, and how messages name it.
public struct TreeRoot: Equatable, Sendable {
    public var root: BlockPointer
    public var height: Int
    /// How problems name the tree: `snapshot tree`, `snapshot 2 (main)`.
    public var name: String
    /// The tree's generation: no block of the tree has a higher birth gen. Nil for the
    /// snapshot tree, which has none.
    public var gen: Int64?

    public init(root: BlockPointer, height: Int, name: String, gen: Int64? = nil) {
        self.root = root; self.height = height; self.name = name; self.gen = gen
    }
}

/// One node as the walker meets it: where it is in the tree and what it holds.
public struct NodeVisit {
    public var tree: TreeRoot
    public var pointer: BlockPointer
    /// 0 at the root.
    public var depth: Int
    /// The keys the parent allows in this node.
    public var range: KeyRange
    public var node: Node
}

/// A strict reader's failure: the first error met while reading.
public struct TreeReadError: Error, CustomStringConvertible {
    public var problem: Problem
    public init(_ problem: Problem) { self.problem = problem }
    public var description: String { problem.description }
}

/// How a walk ended.
public struct WalkResult: Sendable {
    /// Every node below the root was read and decoded; false when part of the tree is unknown.
    public var complete = true
    /// The record callback asked to stop.
    public var stopped = false
}

/// Reads the trees of an image (FORMAT.md §9): a structural walk that visits every node through
/// hashed pointers with its depth and key range, and the logical view — each key's value with
/// the pivot messages above it applied oldest first (lowest pivot first, table order within a
/// pivot). The walk reports every problem it meets and goes on; the throwing conveniences stop
/// at the first error.
public final class TreeReader {
    public let image: Image

    public init(_ image: Image) { self.image = image }

    /// The snapshot tree, from the current superblock.
    public var snapshotTree: TreeRoot {
        TreeRoot(root: image.superblock.snapRoot, height: image.superblock.snapHeight, name: "snapshot tree")
    }

    /// A snapshot's file tree.
    public func tree(_ t: TreeRecord, label: String? = nil) -> TreeRoot {
        TreeRoot(root: t.root, height: Int(t.height), name: "snapshot \(t.gen)" + (label.map { " (\($0))" } ?? ""), gen: t.gen)
    }

    /// Reads a block through a hashed pointer and decodes it as a node.
    public func readNode(_ bp: BlockPointer, tree: String) -> Result<Node, TreeReadError> {
        let block: [UInt8]
        switch image.readVerified(bp) {
        case let .success(b): block = b
        case let .failure(.unreadable(error)):
            return .failure(TreeReadError(Problem(.treeBlockUnreadable, "cannot read node \(hex(bp.addr)): \(error)", block: bp.addr, in: tree)))
        case let .failure(.hashMismatch(_, h)):
            return .failure(TreeReadError(Problem(.treeHashMismatch, "node \(hex(bp.addr)) hashes to \(hex(h)), its pointer says \(hex(bp.hash))",
                                    block: bp.addr, in: tree)))
        }
        do { return .success(try Node.decode(block)) } catch {
            let t = block.u16(at: 0)
            if t != BlockType.leaf.rawValue && t != BlockType.pivot.rawValue {
                return .failure(TreeReadError(Problem(.treeNodeType, "node \(hex(bp.addr)) has block type \(t), not Tleaf (2) or Tpivot (1)",
                                        block: bp.addr, in: tree)))
            }
            return .failure(TreeReadError(Problem(.treeNodeLayout, "node \(hex(bp.addr)): \(error)", block: bp.addr, in: tree)))
        }
    }

    /// Walks `tree`, visiting the nodes whose ranges meet `range` and, in key order, the logical
    /// records in `range`.
    /// - `follow`: asked before a child is read; false leaves it (and counts it unknown).
    /// - `node`: each node read, after its own checks.
    /// - `record`: each logical key and value; return false to stop the walk.
    /// - `problem`: every problem met, with `block` and `path` (the tree's name) set.
    @discardableResult
    public func walk(_ tree: TreeRoot, range: KeyRange = .all,
                     follow: ((BlockPointer, Int) -> Bool)? = nil,
                     node: ((NodeVisit) -> Void)? = nil,
                     record: (([UInt8], [UInt8]) -> Bool)? = nil,
                     problem: @escaping (Problem) -> Void) -> WalkResult {
        var w = Walker(reader: self, tree: tree, query: range, follow: follow, onNode: node, onRecord: record, onProblem: problem)
        w.start()
        return w.result
    }

    // MARK: Strict conveniences

    /// Calls `body` with each logical record of `range`, in key order; stops when it returns
    /// false. Throws at the first error.
    public func forEach(_ tree: TreeRoot, range: KeyRange = .all, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        var failure: Problem?
        var thrown: Error?
        _ = withoutActuallyEscaping(body) { body in
            walk(tree, range: range, record: { k, v in
                guard failure == nil, thrown == nil else { return false }
                do { return try body(k, v) } catch { thrown = error; return false }
            }, problem: { p in if p.severity == .error, failure == nil { failure = p } })
        }
        if let thrown { throw thrown }
        if let failure { throw TreeReadError(failure) }
    }

    /// Every logical record of `range`, in key order.
    public func records(_ tree: TreeRoot, range: KeyRange = .all) throws -> [Record] {
        var out: [Record] = []
        try forEach(tree, range: range) { k, v in out.append(Record(key: k, value: v)); return true }
        return out
    }

    /// The logical value of `key`, or nil when the key does not exist.
    public func value(_ tree: TreeRoot, key: [UInt8]) throws -> [UInt8]? {
        var found: [UInt8]?
        try forEach(tree, range: KeyRange(lo: key, hi: key + [0])) { k, v in
            if k == key { found = v }
            return false
        }
        return found
    }
}

/// The state of one walk.
struct Walker {
    let reader: TreeReader
    let tree: TreeRoot
    let query: KeyRange
    let follow: ((BlockPointer, Int) -> Bool)?
    let onNode: ((NodeVisit) -> Void)?
    let onRecord: (([UInt8], [UInt8]) -> Bool)?
    let onProblem: (Problem) -> Void
    var result = WalkResult()
    /// Nodes met in this walk: a node has exactly one parent, and hostile sharing must not
    /// make the walk exponential.
    var seen: Set<Int64> = []

    /// Messages waiting above a node, one list per pivot from the root down, each sorted by key.
    typealias Pending = PendingMessages

    init(reader: TreeReader, tree: TreeRoot, query: KeyRange, follow: ((BlockPointer, Int) -> Bool)?,
         onNode: ((NodeVisit) -> Void)?, onRecord: (([UInt8], [UInt8]) -> Bool)?, onProblem: @escaping (Problem) -> Void) {
        self.reader = reader; self.tree = tree; self.query = query; self.follow = follow
        self.onNode = onNode; self.onRecord = onRecord; self.onProblem = onProblem
    }

    mutating func report(_ code: ProblemCode, _ message: String, block: Int64?) {
        onProblem(Problem(code, message, block: block, in: tree.name))
    }

    mutating func start() {
        guard (1...Format.maxTreeHeight).contains(tree.height) else {
            report(.treeHeightInvalid, "height \(tree.height) is outside 1...\(Format.maxTreeHeight)", block: tree.root.addr)
            result.complete = false
            return
        }
        visit(tree.root, depth: 0, range: .all, fill: nil, pending: [])
    }

    mutating func visit(_ bp: BlockPointer, depth: Int, range: KeyRange, fill: Int?, pending: Pending) {
        guard !result.stopped else { return }
        if let follow, !follow(bp, depth) { result.complete = false; return }
        guard !seen.contains(bp.addr) else {
            report(.treeNodeShared, "node \(hex(bp.addr)) is reached a second time", block: bp.addr)
            return
        }
        seen.insert(bp.addr)
        let node: Node
        switch reader.readNode(bp, tree: tree.name) {
        case let .success(n): node = n
        case let .failure(e): onProblem(e.problem); result.complete = false; return
        }
        check(node, bp, depth: depth, range: range, fill: fill)
        onNode?(NodeVisit(tree: tree, pointer: bp, depth: depth, range: range, node: node))
        switch node.kind {
        case .leaf: emit(node.records, pending: pending, leaf: bp.addr)
        case .pivot: descend(node, bp, depth: depth, range: range, pending: pending)
        }
    }

    /// The node's own checks: height, fill, key order, ranges (§9.1–§9.3).
    mutating func check(_ node: Node, _ bp: BlockPointer, depth: Int, range: KeyRange, fill: Int?) {
        let at = bp.addr
        let leafDepth = tree.height - 1
        if node.kind == .leaf, depth != leafDepth {
            report(.treeHeightMismatch, "leaf \(hex(at)) at depth \(depth); the tree's height \(tree.height) puts leaves at depth \(leafDepth)", block: at)
        } else if node.kind == .pivot, depth >= leafDepth {
            report(.treeHeightMismatch, "pivot \(hex(at)) at depth \(depth), where the tree's height \(tree.height) puts leaves", block: at)
        }
        if let fill, fill != node.fill {
            report(.treeFillMismatch, "node \(hex(at)) has fill \(node.fill), its parent records \(fill)", block: at)
        }
        if let i = node.orderError() {
            report(.treeKeyOrder, "node \(hex(at)): key \(i) \(KeyRange.show(node.records[i].key)) is not above key \(i - 1) \(KeyRange.show(node.records[i - 1].key))", block: at)
        }
        if let r = node.records.first(where: { !range.contains($0.key) }) {
            report(.treeKeyRange, "node \(hex(at)): key \(KeyRange.show(r.key)) lies outside its range \(range)", block: at)
        }
        if let m = node.messages.first(where: { !range.contains($0.key) }) {
            report(.treeKeyRange, "pivot \(hex(at)): message key \(KeyRange.show(m.key)) lies outside its range \(range)", block: at)
        }
        for i in node.messages.indices.dropFirst() where compareKeys(node.messages[i - 1].key, node.messages[i].key) > 0 {
            report(.treeMessageOrder, "pivot \(hex(at)): message \(i) \(KeyRange.show(node.messages[i].key)) sorts before message \(i - 1)", block: at)
            break
        }
        if node.kind == .leaf, node.records.isEmpty, depth > 0 {
            report(.treeLeafEmpty, "leaf \(hex(at)) at depth \(depth) is empty", block: at)
        }
        if node.kind == .pivot, node.records.count < 2 {
            report(.treePivotUnderfull, "pivot \(hex(at)) has \(node.records.count) child\(node.records.count == 1 ? "" : "ren")", block: at)
        }
    }

    mutating func descend(_ node: Node, _ bp: BlockPointer, depth: Int, range: KeyRange, pending: Pending) {
        guard depth + 1 < Format.maxTreeHeight else {
            report(.treeHeightMismatch, "pivot \(hex(bp.addr)) at depth \(depth): trees are at most \(Format.maxTreeHeight) high", block: bp.addr)
            result.complete = false
            return
        }
        // Table order is key order with equal keys oldest first; a stable sort keeps a damaged
        // table usable (the damage is reported by `check`).
        var own = node.messages
        if own.indices.dropFirst().contains(where: { compareKeys(own[$0 - 1].key, own[$0].key) > 0 }) {
            own = own.enumerated().sorted { a, b in
                let c = compareKeys(a.element.key, b.element.key)
                return c != 0 ? c < 0 : a.offset < b.offset
            }.map(\.element)
        }
        let above = pending + [(pivot: bp.addr, messages: ArraySlice(own).restricted(to: range))]
        let recs = node.records
        for i in recs.indices {
            guard !result.stopped else { return }
            let childRange = range.child(i, of: recs)
            guard childRange.overlaps(query) else { continue }
            guard let child = try? ChildRef.decode(recs[i].value), !child.bp.isNull else {
                report(.treeChildPointer, "pivot \(hex(bp.addr)): value \(i) (\(recs[i].value.count) bytes) is not a child pointer", block: bp.addr)
                result.complete = false
                continue
            }
            checkGen(child.bp, parent: bp.addr)
            let down = MessageApply.restricted(above, to: childRange)
            visit(child.bp, depth: depth + 1, range: childRange, fill: child.fill, pending: down)
        }
    }

    mutating func checkGen(_ child: BlockPointer, parent: Int64) {
        if let fault = GenFault(child, treeGen: tree.gen, nextgen: reader.image.superblock.nextgen) {
            report(.treeBlockGen, "pointer in \(hex(parent)) to \(hex(child.addr)) has gen \(child.gen), \(fault)", block: child.addr)
        }
    }

    /// Merges a leaf's records with the messages above it and emits the logical records in the
    /// query range, applying each key's messages lowest pivot first, table order within one.
    mutating func emit(_ records: [Record], pending: Pending, leaf: Int64) {
        guard onRecord != nil || pending.contains(where: { !$0.messages.isEmpty }) else { return }
        let query = self.query, onRecord = self.onRecord
        let stopped = MessageApply.merge(records, pending, failure: { f, pivot in
            report(f.code, "pivot \(hex(pivot)): \(f.message)", block: pivot)
        }, record: { key, value in
            guard query.contains(key), let onRecord else { return true }
            return onRecord(key, value)
        })
        if stopped { result.stopped = true }
    }
}
