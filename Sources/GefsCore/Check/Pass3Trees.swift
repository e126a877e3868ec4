/// Pass 3: the snapshot tree, every tree a Ksnap record names, their data blocks, and the
/// deadlist chains (FORMAT.md §9). Input: the image and pass 2's count of used blocks (for
/// progress); output: the snapshot tree's `contents`, the number of distinct trees, and the
/// reachable blocks marked in the checker's classification.
///
/// Pass 4's directory checks need each file tree's records, and keeping every tree's entries
/// until pass 4 would cost memory per file of every tree: so this walk feeds them to
/// `Pass4Directories` one tree at a time, as the records stream past in key order, and pass 4
/// owns that state and files those problems under its own number.
final class Pass3Trees {
    unowned let checker: Checker
    let directories: Pass4Directories
    let verifiesData: Bool
    /// Reads and hashes data blocks while the walk goes on.
    let data: DataVerifier
    private(set) var contents = SnapshotTreeContents()
    /// Distinct trees walked (snapshots sharing a tree count once).
    private(set) var treesWalked = 0
    /// What the deadlist rules need of the file trees (see `ListedDead`).
    var listed = ListedDead()
    /// The snapshots whose tree is being walked (one tree walked once for all of them).
    var walkedGens = WalkedGens()
    var blocksDone = 0, blocksTotal: Int

    var image: Image { checker.image }
    var reader: TreeReader { checker.reader }

    init(checker: Checker, directories: Pass4Directories, usedBlocks: Int, verifiesData: Bool) {
        self.checker = checker
        self.directories = directories
        self.verifiesData = verifiesData
        blocksTotal = usedBlocks
        blocksDone = checker.space.count(.log)
        data = DataVerifier(image: checker.image)
    }

    func add(_ p: Problem) { checker.add(p, pass: .trees) }

    /// Marks a reachable block; returns whether it was new for its kind.
    @discardableResult
    func mark(_ addr: Int64, _ kind: BlockKind, from: @autoclosure () -> String) -> Bool {
        checker.mark(addr, kind, from: from(), pass: .trees)
    }

    func tick(_ n: Int = 1) {
        blocksDone += n
        if blocksDone % 64 == 0 || blocksDone == blocksTotal { checker.progress?(.trees, blocksDone, max(blocksTotal, blocksDone)) }
    }

    func run() {
        checkSnapshotTree()
        let sb = image.superblock
        checkDeadlist(DeadlistRef(head: sb.snapdlHead, tail: sb.snapdlTail), name: "snapdl", killer: nil)
        listed = collectListedDead()
        // Snapshots that share a tree: it is walked once, for all of them.
        var sharing: [TreeIdentity: [Int64]] = [:]
        for s in contents.snapshots { sharing[TreeIdentity(s), default: []].append(s.gen) }
        var walked: [TreeIdentity: Int64] = [:]
        let labels = contents.labelsByGen
        for s in contents.snapshots {
            let t = reader.tree(s, label: labels[s.gen]?.first?.text)
            let same = TreeIdentity(s)
            if let g = walked[same] {
                checker.verbose?("\(t.name): the same tree as snapshot \(g)")
                continue
            }
            walked[same] = s.gen
            let gens = sharing[same]!
            walkedGens = WalkedGens(min: gens.min()!, all: Set(gens))
            checkFileTree(t)
        }
        treesWalked = walked.count
        for d in contents.deadlists { checkDeadlist(d.ref, name: d.name, killer: d) }
        checker.progress?(.trees, blocksDone, max(blocksTotal, blocksDone))
    }

    /// What makes two Ksnap records name the same tree.
    struct TreeIdentity: Hashable {
        var addr: Int64, hash: UInt64, height: UInt32
        init(_ s: TreeRecord) { addr = s.root.addr; hash = s.root.hash; height = s.height }
    }

    /// Refuses to follow a pointer outside every allocatable region (the walk would read
    /// nothing below it either: the space check is no longer complete).
    func follow(_ tree: TreeRoot) -> (BlockPointer, Int) -> Bool {
        { [unowned self] bp, _ in
            guard image.arena(containing: bp.addr) != nil, bp.addr % Format.blockSize64 == 0 else {
                add(Problem(.spaceOutside, "a pointer names node \(hex(bp.addr)), outside every arena's allocatable region",
                            block: bp.addr, in: tree.name))
                checker.incomplete("\(tree.name) points outside the arenas at \(hex(bp.addr))")
                return false
            }
            return true
        }
    }

    func walkProblem(_ tree: TreeRoot) -> (Problem) -> Void {
        { [unowned self] p in
            add(p)
            if p.code.hidesSubtree { checker.incomplete("\(tree.name): \(p.message)") }
        }
    }

    func checkSnapshotTree() {
        let t = reader.snapshotTree
        checker.verbose?("\(t.name): root \(hex(t.root.addr)), height \(t.height)")
        var c = SnapshotTreeContents(confKeys: image.format.grading.confKeys)
        reader.walk(t, follow: follow(t), node: { [unowned self] v in markNode(v, fileTree: false) }, record: { [unowned self] k, v in
            if let f = c.add(key: k, value: v) { add(Problem(f.code, f.message, in: t.name)) }
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
            add(Problem(.treeBlockGen, "\(from()) names \(hex(bp.addr)) with gen \(bp.gen), \(fault)", block: bp.addr, in: tree?.name))
        }
    }

    /// Walks one file tree, feeding its records to pass 4; pass 4 checks its directories once
    /// it was read whole (on part of a tree they would only repeat that part is missing).
    func checkFileTree(_ t: TreeRoot) {
        checker.verbose?("\(t.name): root \(hex(t.root.addr)), height \(t.height)")
        checkGen(t.root, of: t, from: "the Ksnap record")
        let state = directories.startTree(t)
        let walked = reader.walk(t, follow: follow(t), node: { [unowned self] v in markNode(v, fileTree: true) },
                    record: { [unowned self] k, v in
                        if let p = state.add(key: k, value: v) { add(p) }
                        return true
                    }, problem: walkProblem(t))
        data.finish().forEach { add($0) }
        directories.endTree(state, whole: walked.complete)
    }
}
