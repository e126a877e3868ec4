/// Tree nodes found by their structure anywhere in an image, for gefs-restore `--scan` (in the
/// manner of `btrfs restore` with `btrfs-find-root`): every block whose header and layout
/// decode as a leaf or pivot (FORMAT.md §9.1–§9.2), wherever it lies and whatever points at it.
///
/// Nodes carry no generation of their own, so each gets a lower bound: the highest birth gen
/// of the pointers it holds (a node is written after the blocks it names) and of the pointers
/// to it found in other nodes. A block named by a Kdat pointer is data, not a node, however it
/// looks. What a scan finds is never trusted beyond that: tree roots found here are read through
/// `RestoreWalker` (every node below them checked against its pointer's hash), and data blocks
/// named by harvested Kdat records are checked against their pointers' hashes.
public final class StructureScan {
    public struct Found: Sendable {
        public var addr: Int64
        public var kind: Node.Kind
        /// Lowest and highest key (a pivot's highest child key).
        public var lo: [UInt8]
        public var hi: [UInt8]
        /// Lower bound of the node's birth gen; −1 when nothing tells.
        public var gen: Int64
        /// Holds file-tree keys (Kdat, Kent, Kup), or snapshot-tree keys.
        public var fileKeys: Bool
        public var snapshotKeys: Bool
        /// A pivot's children.
        public var children: [BlockPointer] = []
        /// Named by a pivot or a Ksnap record found in the scan.
        public var referenced = false
        /// Levels down to the leaves along the first children (1 for a leaf); 0 when unknown.
        public var height = 0
    }

    public let source: RestoreSource
    /// Nodes by address.
    public private(set) var nodes: [Int64: Found] = [:]
    /// Klabel and Ksnap records of the snapshot-tree leaves found, with the leaf holding each.
    public private(set) var snapshotRecords: [(leaf: Int64, record: Record)] = []
    /// For each node, the pivots found that name it.
    var parents: [Int64: [Int64]] = [:]
    /// Nodes that a Ksnap record found names as a tree's root.
    var snapshotRoots: Set<Int64> = []
    public private(set) var blocksScanned: Int64 = 0
    /// Blocks that looked like nodes but are named by Kdat pointers.
    public private(set) var dataLookalikes = 0

    /// Scans every whole block of the image; `progress(done, total)` now and then.
    public init(source: RestoreSource, progress: ((Int64, Int64) -> Void)? = nil) {
        self.source = source
        let dev = source.device
        let total = dev.blockCount
        let B = Format.blockSize
        let run = 64
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: run * B, alignment: 4096)
        defer { buffer.deallocate() }
        var dataNamed = BlockBitmap(start: 0, count: Int(total))
        var pointedGen: [Int64: Int64] = [:]
        var i: Int64 = 0
        while i < total {
            let n = Int(min(Int64(run), total - i))
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * B])
            let whole = (try? dev.read(at: i * Format.blockSize64, into: bytes)) != nil
            for k in 0..<n {
                let addr = (i + Int64(k)) * Format.blockSize64
                let slice = UnsafeRawBufferPointer(rebasing: bytes[k * B..<(k + 1) * B])
                // The type word first: most blocks are data.
                let t = UInt16(slice[0]) << 8 | UInt16(slice[1])
                guard t == BlockType.leaf.rawValue || t == BlockType.pivot.rawValue else { continue }
                let block: [UInt8]
                if whole { block = Array(slice) } else {
                    guard let b = try? dev.read(at: addr) else { continue }
                    block = b
                }
                guard let node = try? Node.decode(block), let first = node.records.first else { continue }
                add(node, at: addr, first: first.key, dataNamed: &dataNamed, pointedGen: &pointedGen)
            }
            i += Int64(n)
            blocksScanned = i
            if i % 8192 == 0 || i == total { progress?(i, total) }
        }
        finish(dataNamed: dataNamed, pointedGen: pointedGen)
    }

    func add(_ node: Node, at addr: Int64, first: [UInt8], dataNamed: inout BlockBitmap, pointedGen: inout [Int64: Int64]) {
        var f = Found(addr: addr, kind: node.kind, lo: first, hi: node.records.last!.key, gen: -1, fileKeys: false, snapshotKeys: false)
        func named(_ bp: BlockPointer, data: Bool) {
            f.gen = max(f.gen, bp.gen)
            if data, bp.addr >= 0, bp.addr % Format.blockSize64 == 0, bp.addr / Format.blockSize64 < Int64(dataNamed.count) {
                dataNamed[Int(bp.addr / Format.blockSize64)] = true
            }
        }
        func pointer(_ v: [UInt8], at o: Int) -> BlockPointer {
            BlockPointer(addr: v.s64(at: o), hash: v.u64(at: o + 8), gen: v.s64(at: o + 16))
        }
        func value(_ key: [UInt8], _ v: [UInt8]) {
            guard let kind = key.first.flatMap(KeyKind.init(rawValue:)) else { return }
            if kind.inFileTree { f.fileKeys = true } else { f.snapshotKeys = true }
            switch kind {
            case .dat where v.count == Format.pointerSize: named(pointer(v, at: 0), data: true)
            case .snap where v.count == TreeRecord.size: named(pointer(v, at: 48), data: false)
            case .dlist where v.count == DeadlistRef.size: named(pointer(v, at: 0), data: false); named(pointer(v, at: 24), data: false)
            default: break
            }
        }
        switch node.kind {
        case .leaf:
            for r in node.records { value(r.key, r.value) }
            if f.snapshotKeys {
                for r in node.records where r.key.first == KeyKind.label.rawValue || r.key.first == KeyKind.snap.rawValue {
                    snapshotRecords.append((addr, r))
                }
            }
        case .pivot:
            let kind = first.first.flatMap(KeyKind.init(rawValue:))
            f.fileKeys = kind?.inFileTree ?? false
            f.snapshotKeys = !(kind?.inFileTree ?? true)
            for r in node.records {
                guard let c = try? ChildRef.decode(r.value), !c.bp.isNull else { continue }
                f.children.append(c.bp)
                f.gen = max(f.gen, c.bp.gen)
                pointedGen[c.bp.addr] = max(pointedGen[c.bp.addr] ?? -1, c.bp.gen)
            }
            for m in node.messages where m.op == .insert && m.key.first == KeyKind.dat.rawValue && m.value.count == Format.pointerSize {
                named(pointer(m.value, at: 0), data: true)
            }
        }
        nodes[addr] = f
    }

    func finish(dataNamed: BlockBitmap, pointedGen: [Int64: Int64]) {
        // A node named by a Kdat pointer is data only when the pointer's hash says so: blocks
        // are reused, and stale leaves name as data what is a node now.
        let suspects = Set(nodes.keys.filter { dataNamed[Int($0 / Format.blockSize64)] })
        if !suspects.isEmpty {
            var isData: Set<Int64> = []
            for f in nodes.values where f.kind == .leaf && f.fileKeys {
                guard let b = try? source.readRaw(at: f.addr), let n = try? Node.decode(b) else { continue }
                for r in n.records where r.key.first == KeyKind.dat.rawValue && r.value.count == Format.pointerSize {
                    let a = r.value.s64(at: 0)
                    guard suspects.contains(a), !isData.contains(a) else { continue }
                    let bp = BlockPointer(addr: a, hash: r.value.u64(at: 8), gen: r.value.s64(at: 16))
                    if (try? source.read(bp)) != nil { isData.insert(a) }
                }
            }
            for addr in isData {
                nodes[addr] = nil
                dataLookalikes += 1
            }
        }
        snapshotRecords.removeAll { nodes[$0.leaf] == nil }
        for (addr, var f) in nodes {
            if let g = pointedGen[addr] { f.gen = max(f.gen, g) }
            nodes[addr] = f
        }
        for f in nodes.values {
            for c in f.children where nodes[c.addr] != nil {
                nodes[c.addr]!.referenced = true
                parents[c.addr, default: []].append(f.addr)
            }
        }
        for (_, r) in snapshotRecords where r.key.first == KeyKind.snap.rawValue {
            if let t = try? TreeRecord.decode(r.value), nodes[t.root.addr] != nil {
                nodes[t.root.addr]!.referenced = true
                snapshotRoots.insert(t.root.addr)
            }
        }
        for addr in Array(nodes.keys) { nodes[addr]!.height = height(addr) }
    }

    /// Levels from `addr` down to the leaves along first children; 0 when a link is missing.
    func height(_ addr: Int64) -> Int {
        var h = 0, at = addr
        var seen: Set<Int64> = []
        while let f = nodes[at], seen.insert(at).inserted, h < Format.maxTreeHeight {
            h += 1
            if f.kind == .leaf { return h }
            guard let c = f.children.first else { return 0 }
            at = c.addr
        }
        return 0
    }

    // MARK: Snapshots found

    /// The snapshot records the scan found: for each label the highest gen it names, for each
    /// gen the record whose root is newest.
    public var snapshots: SnapshotTreeContents {
        var labels: [[UInt8]: Label] = [:]
        var snaps: [Int64: TreeRecord] = [:]
        for (_, r) in snapshotRecords {
            guard let k = try? Key.decode(r.key) else { continue }
            switch k {
            case let .label(name):
                guard let v = try? LabelValue.decode(r.value) else { continue }
                if let old = labels[name], Int64(bitPattern: old.value.gen) >= Int64(bitPattern: v.gen) { continue }
                labels[name] = Label(name: name, value: v)
            case let .snap(gen):
                guard let t = try? TreeRecord.decode(r.value), t.gen == Int64(bitPattern: gen) else { continue }
                if let old = snaps[t.gen], old.root.gen >= t.root.gen { continue }
                snaps[t.gen] = t
            default: continue
            }
        }
        var c = SnapshotTreeContents()
        c.labels = labels.values.sorted { compareKeys($0.name, $1.name) < 0 }
        c.snapshots = snaps.values.sorted { $0.gen < $1.gen }
        return c
    }

    /// Tops of file trees that nothing found names: roots whose snapshot record is lost (or
    /// nodes whose parent is), newest first; pivots before leaves at equal gen.
    public var fileTreeTops: [Found] {
        nodes.values.filter { $0.fileKeys && !$0.referenced }.sorted {
            ($0.gen, $0.kind == .pivot ? 1 : 0, $0.addr) > ($1.gen, $1.kind == .pivot ? 1 : 0, $1.addr)
        }
    }

    /// Chooses what to restore when the snapshot tree cannot say: the record the scan found for
    /// `--gen G` or the label, unless that is the newest snapshot and a file-tree top newer than
    /// its root exists (the record then comes from a stale copy of the snapshot tree, and the
    /// top is the tree's lost root); for `main`, failing a record, the newest top.
    /// `staleRecords`: every record the scan can find is known to come from a copy of the
    /// snapshot tree that is not the current one (the superblock names a root that cannot be
    /// read), so a top as new as the newest snapshot's root is taken over it: the newest
    /// snapshot, unlike older ones, is written to after its record is.
    public func choose(label: String?, gen: Int64?, staleRecords: Bool = false) -> Result<(tree: TreeRoot, how: String), TreeReadError> {
        let c = snapshots
        let newestTop = fileTreeTops.first
        func top(_ t: Found, _ why: String) -> (TreeRoot, String) {
            let name = label.map { "\($0) as found by scan" } ?? "newest tree found by scan"
            return (TreeRoot(root: BlockPointer(addr: t.addr, hash: 0, gen: t.gen), height: t.height, name: name, gen: nil),
                    "\(why): the newest file-tree top the scan found, \(t.kind == .pivot ? "pivot" : "leaf") \(hex(t.addr)) (gen >= \(t.gen))")
        }
        func record(_ t: TreeRecord, _ l: String?) -> (TreeRoot, String) {
            let holder = snapshotRecords.first { $0.record.key == Key.snap(gen: UInt64(bitPattern: t.gen)).encode() && (try? TreeRecord.decode($0.record.value)) == t }
            return (SnapshotCatalog.root(t, label: l), "snapshot \(t.gen) as a snapshot-tree leaf found by scan records it" + (holder.map { " (\(hex($0.leaf)))" } ?? ""))
        }
        if let gen {
            guard let t = c.snapshot(gen) else { return .failure(TreeReadError(Problem(.labelDangling, "the scan found no record of snapshot \(gen)"))) }
            return .success(record(t, c.labels(of: gen).first?.text))
        }
        let name = label ?? "main"
        if let l = c.label(name), let t = c.snapshot(l.gen) {
            let newest = c.snapshots.last.map { $0.gen == t.gen } ?? true
            if newest, let n = newestTop, n.gen > t.root.gen || staleRecords && n.gen == t.root.gen && n.addr != t.root.addr {
                return .success(top(n, "the records of \"\(name)\" the scan found are older than the newest tree (snapshot \(t.gen), root \(hex(t.root.addr)) gen \(t.root.gen))"))
            }
            return .success(record(t, name))
        }
        if name == "main", let n = newestTop {
            return .success(top(n, "no record of \"main\" found"))
        }
        return .failure(TreeReadError(Problem(.labelDangling, "the scan found no record of label \"\(name)\"")))
    }

    // MARK: Harvest

    /// Where a node hangs, for ranking what fills a lost range: 2 below a node the walk
    /// could not read (`failed`, itself included), 1 below a top nothing names (the lost
    /// range's nodes, when the node above them is gone), 0 below the root of a snapshot in
    /// `lineage` (the tree's own older snapshots, which share its unchanged nodes), −1 only
    /// below the roots of other snapshots (another tree's keys: never used). Without a
    /// lineage, every snapshot root counts as 0.
    func placeClass(_ addr: Int64, failed: Set<Int64>, lineage: Set<Int64>?) -> Int {
        var best = -1
        var stack = [addr]
        var seen: Set<Int64> = []
        while let a = stack.popLast(), seen.count < 4096 {
            guard seen.insert(a).inserted else { continue }
            if failed.contains(a) { return 2 }
            let up = parents[a] ?? []
            if up.isEmpty && !snapshotRoots.contains(a) { best = 1 }
            if snapshotRoots.contains(a), lineage?.contains(a) ?? true { best = max(best, 0) }
            stack.append(contentsOf: up)
        }
        return best
    }

    /// Streams, in key order, the records of `range` that the file-tree leaves found hold,
    /// leaving out (with `cap`) leaves newer than the tree. Where several leaves hold a key,
    /// the value comes from the best placed (see `placeClass`; `failed` are the nodes the walk
    /// could not read, `lineage` the roots of the tree's own snapshots; leaves only other
    /// snapshots hold are left out), then the one with the highest gen bound. Returns how many records were
    /// handed on; `body` returning false stops.
    @discardableResult
    public func harvest(_ range: KeyRange, cap: Int64?, failed: Set<Int64> = [], lineage: Set<Int64>? = nil,
                        _ body: ([UInt8], [UInt8]) throws -> Bool) throws -> Int {
        let cands = nodes.values.filter { f in
            f.kind == .leaf && f.fileKeys && (cap == nil || f.gen <= cap!)
                && range.overlaps(KeyRange(lo: f.lo, hi: f.hi + [0]))
        }.sorted { compareKeys($0.lo, $1.lo) < 0 }
        struct Active { var records: [Record]; var at: Int; var rank: (Int, Int64, Int64) }
        var active: [Active] = []
        var next = 0, handed = 0
        func activate(_ f: Found) {
            guard let b = try? source.readRaw(at: f.addr), let n = try? Node.decode(b) else { return }
            var recs = n.records.filter { range.contains($0.key) }
            if n.orderError() != nil { recs.sort { compareKeys($0.key, $1.key) < 0 } }
            let place = placeClass(f.addr, failed: failed, lineage: lineage)
            if !recs.isEmpty, place >= 0 { active.append(Active(records: recs, at: 0, rank: (place, f.gen, f.addr))) }
        }
        while true {
            var kmin: [UInt8]? = nil
            for a in active where kmin == nil || compareKeys(a.records[a.at].key, kmin!) < 0 { kmin = a.records[a.at].key }
            if next < cands.count, kmin == nil || compareKeys(cands[next].lo, kmin!) <= 0 {
                activate(cands[next]); next += 1
                continue
            }
            guard let key = kmin else { return handed }
            var best: (rank: (Int, Int64, Int64), value: [UInt8])?
            for i in active.indices.reversed() where active[i].records[active[i].at].key == key {
                let a = active[i]
                if best == nil || a.rank > best!.rank { best = (a.rank, a.records[a.at].value) }
                active[i].at += 1
                if active[i].at == active[i].records.count { active.remove(at: i) }
            }
            handed += 1
            if try !body(key, best!.value) { return handed }
        }
    }
}
