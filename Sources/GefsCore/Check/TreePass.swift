
/// Pass 3: the snapshot tree, every tree a Ksnap record names, their data blocks, and the
/// deadlist chains (FORMAT.md §9). Directory problems of each file tree are found here too, one
/// tree at a time so that memory holds one tree's entries, and filed under pass 4.
extension Checker {
    func checkTrees() {
        blocksTotal = summary.usedBlocks
        blocksDone = space.count(.log)
        checkSnapshotTree()
        let sb = image.superblock
        checkDeadlist(DeadlistRef(head: sb.snapdlHead, tail: sb.snapdlTail), name: "snapdl", killer: nil)
        collectListedDead()
        // Snapshots that share a tree: it is walked once, for all of them.
        func identity(_ s: TreeRecord) -> String { "\(s.root.addr) \(s.root.hash) \(s.height)" }
        var sharing: [String: [Int64]] = [:]
        for s in contents.snapshots { sharing[identity(s), default: []].append(s.gen) }
        var walked: [String: Int64] = [:]
        let labels = contents.labelsByGen
        for s in contents.snapshots {
            let t = reader.tree(s, label: labels[s.gen]?.first?.text)
            let same = identity(s)
            if let g = walked[same] {
                verbose?("\(t.name): the same tree as snapshot \(g)")
                continue
            }
            walked[same] = s.gen
            let gens = sharing[same]!
            walkedGens = (gens.min()!, Set(gens))
            checkFileTree(t)
        }
        summary.trees = walked.count
        for d in contents.deadlists { checkDeadlist(d.ref, name: d.name, killer: d) }
        progress?(.trees, blocksDone, max(blocksTotal, blocksDone))
    }

    /// Refuses to follow a pointer outside every allocatable region.
    func follow(_ tree: TreeRoot) -> (BlockPointer, Int) -> Bool {
        { [unowned self] bp, _ in
            guard image.arena(containing: bp.addr) != nil, bp.addr % Format.blockSize64 == 0 else {
                add(Problem(.spaceOutside, "a pointer names node \(hex(bp.addr)), outside every arena's allocatable region",
                            block: bp.addr, path: tree.name))
                incomplete("\(tree.name) points outside the arenas at \(hex(bp.addr))")
                return false
            }
            return true
        }
    }

    func incomplete(_ why: String) {
        space.complete = false
        space.incompleteReasons.append(why)
    }

    func walkProblem(_ tree: TreeRoot) -> (Problem) -> Void {
        { [unowned self] p in
            add(p)
            if p.code.hidesSubtree {
                incomplete("\(tree.name): \(p.message)")
            }
        }
    }

    func checkSnapshotTree() {
        let t = reader.snapshotTree
        verbose?("\(t.name): root \(hex(t.root.addr)), height \(t.height)")
        var c = SnapshotTreeContents(confKeys: image.format.grading.confKeys)
        reader.walk(t, follow: follow(t), node: { [unowned self] v in markNode(v, fileTree: false) }, record: { [unowned self] k, v in
            if let f = c.add(key: k, value: v) {
                add(Problem(f.code, f.message, path: t.name))
            }
            return true
        }, problem: walkProblem(t))
        contents = c
    }

    /// Marks a node (and, in file trees, the data blocks its raw records and Oinsert messages
    /// name: shadowed values are allocated too, §12).
    func markNode(_ v: NodeVisit, fileTree: Bool) {
        if mark(v.pointer.addr, v.node.kind == .leaf ? .leaf : .pivot, from: v.tree.name) { tick() }
        guard fileTree else { return }
        noteReach(v.pointer.addr, v.tree)
        for r in v.node.records where v.node.kind == .leaf && r.key.first == KeyKind.dat.rawValue {
            checkData(r.value, key: r.key, v)
        }
        for m in v.node.messages where m.op == .insert && m.key.first == KeyKind.dat.rawValue {
            checkData(m.value, key: m.key, v)
        }
    }

    // MARK: What the deadlist rules need to know of the file trees (§9.6)

    /// Reads the addresses every Kdlist chain lists, with the gen of the first Kdlist listing
    /// each (the one its rules are checked against: later listings are duplicates), before the
    /// file trees are walked; the chains' problems are reported when they are checked, after.
    func collectListedDead() {
        var killer: [Int64: Int64] = [:]
        for d in contents.deadlists {
            let gen = Int64(bitPattern: d.gen)
            reader.walkDeadlist(d.ref, name: d.name, block: { _, blk in
                for a in blk.addresses where killer[a] == nil { killer[a] = gen }
            }, problem: { _ in })
        }
        listedDead = killer.keys.sorted()
        deadKiller = listedDead.map { killer[$0]! }
        deadMinGen = [Int64](repeating: .max, count: listedDead.count)
        deadLive = [Bool](repeating: false, count: listedDead.count)
    }

    /// The index of `addr` in `listedDead`, by binary search: no hashing per block, and
    /// usually one or two steps.
    func listedIndex(_ addr: Int64) -> Int? {
        var lo = 0, hi = listedDead.count
        while lo < hi {
            let m = (lo + hi) / 2
            if listedDead[m] < addr { lo = m + 1 } else { hi = m }
        }
        return lo < listedDead.count && listedDead[lo] == addr ? lo : nil
    }

    /// Notes that the file tree being walked reaches `addr`, when a deadlist lists it.
    func noteReach(_ addr: Int64, _ tree: TreeRoot) {
        guard !listedDead.isEmpty, tree.gen != nil, let i = listedIndex(addr) else { return }
        deadMinGen[i] = min(deadMinGen[i], walkedGens.min)
        if walkedGens.all.contains(deadKiller[i]) { deadLive[i] = true }
    }

    /// A data block named by a Kdat value: its gen, its place, and (once) its hash. Runs once
    /// per data block: messages are only formatted when there is a problem.
    func checkData(_ value: [UInt8], key: [UInt8], _ v: NodeVisit) {
        guard value.count == Format.pointerSize else { return }  // reported by the logical checks
        let bp = BlockPointer(addr: value.s64(at: 0), hash: value.u64(at: 8), gen: value.s64(at: 16))
        guard !bp.isNull else { return }
        checkGen(bp, of: v.tree, from: KeyRange.show(key))
        noteReach(bp.addr, v.tree)
        guard mark(bp.addr, .data, from: "\(v.tree.name) \(KeyRange.show(key))") else { return }
        tick()
        if verifiesData { data.add(PendingData(bp: bp, key: key), tree: v.tree.name) }
    }

    func checkGen(_ bp: BlockPointer, of tree: TreeRoot?, from: @autoclosure () -> String) {
        if let fault = GenFault(bp, treeGen: tree?.gen, nextgen: image.superblock.nextgen) {
            add(Problem(.treeBlockGen, "\(from()) names \(hex(bp.addr)) with gen \(bp.gen), \(fault)", block: bp.addr, path: tree?.name))
        }
    }

    func checkFileTree(_ t: TreeRoot) {
        verbose?("\(t.name): root \(hex(t.root.addr)), height \(t.height)")
        checkGen(t.root, of: t, from: "the Ksnap record")
        let qids = self.qids ?? QidSets(nextqid: image.superblock.nextqid)
        self.qids = qids
        let state = FileTreeState(tree: t, blockCount: space.blockCount, nextqid: image.superblock.nextqid,
                                  grading: image.format.grading, qids: qids)
        let walked = reader.walk(t, follow: follow(t), node: { [unowned self] v in markNode(v, fileTree: true) },
                    record: { [unowned self] k, v in
                        if let p = state.add(key: k, value: v) { add(p) }
                        return true
                    }, problem: walkProblem(t))
        data.finish().forEach { add($0) }
        // Directory checks on part of a tree would only repeat that part is missing.
        if walked.complete { checkDirectories(state) } else { _ = qids.endTree(count: false) }
    }
}
