/// The snapshots whose tree pass 3 is walking: one tree is walked once for all the snapshots
/// that share it.
struct WalkedGens {
    var min: Int64 = 0
    var all: Set<Int64> = []
}

/// The addresses the Kdlist deadlists list, sorted, and for each what the deadlist rules
/// (FORMAT.md §9.6) need of the file trees that reach it (nodes and data): the gen of the first
/// Kdlist listing it (its killer: later listings are duplicates), the lowest gen of a snapshot
/// whose tree reaches it, and whether the killer's tree does. A few words per listed address,
/// however many snapshots there are.
struct ListedDead {
    struct Entry {
        var addr: Int64
        var killer: Int64
        var minGen = Int64.max
        var live = false
    }
    private(set) var entries: [Entry] = []

    init() {}

    /// The table of the addresses in `killers` (address → the gen of its first Kdlist).
    init(killers: [Int64: Int64]) {
        entries = killers.keys.sorted().map { Entry(addr: $0, killer: killers[$0]!) }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The index of `addr`, by binary search: no hashing per block, and usually one or two steps.
    func index(_ addr: Int64) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let m = (lo + hi) / 2
            if entries[m].addr < addr { lo = m + 1 } else { hi = m }
        }
        return lo < entries.count && entries[lo].addr == addr ? lo : nil
    }

    /// Notes that the tree of the snapshots `walked` reaches `addr`, when a deadlist lists it.
    mutating func noteReach(_ addr: Int64, by walked: WalkedGens) {
        guard !entries.isEmpty, let i = index(addr) else { return }
        entries[i].minGen = Swift.min(entries[i].minGen, walked.min)
        if walked.all.contains(entries[i].killer) { entries[i].live = true }
    }

    subscript(i: Int) -> Entry { entries[i] }
}

/// Pass 3's deadlist rules (§9.6): the chains are read once before the file trees are walked
/// (what they list), and checked after (what the trees reach of it).
extension Pass3Trees {
    /// Reads the addresses every Kdlist chain lists, with the gen of the first Kdlist listing
    /// each; the chains' problems are reported when they are checked, after the file trees.
    func collectListedDead() -> ListedDead {
        var killer: [Int64: Int64] = [:]
        for d in contents.deadlists {
            let gen = d.gen
            reader.walkDeadlist(d.ref, name: d.name, block: { _, blk in
                for a in blk.addresses where killer[a] == nil { killer[a] = gen }
            }, problem: { _ in })
        }
        return ListedDead(killers: killer)
    }

    /// Notes that the file tree being walked reaches `addr`, when a deadlist lists it.
    func noteReach(_ addr: Int64, _ tree: TreeRoot) {
        guard tree.gen != nil else { return }
        listed.noteReach(addr, by: walkedGens)
    }

    /// Walks one deadlist chain: marks its blocks and listed addresses, and checks the rules of
    /// §9.6 (`killer` nil for the snapshot tree's own deadlist, exempt from the last two).
    func checkDeadlist(_ ref: DeadlistRef, name: String, killer: DeadlistEntry?) {
        guard !ref.head.isNull || !ref.tail.isNull else { return }
        checker.verbose?("\(name): head \(hex(ref.head.addr)), tail \(hex(ref.tail.addr))")
        var killerTree: TreeRecord?
        if let d = killer {
            let (gen, bgen) = (d.gen, d.bgen)
            let sb = image.superblock
            if !sb.inUse(gen: gen) || !sb.inUse(gen: bgen) {
                add(Problem(.snapGenRange, "generations must be below nextgen \(sb.nextgen)", in: name))
            }
            if let s = contents.snapshot(gen) {
                killerTree = s
                if !(s.base < bgen && bgen <= s.pred) {
                    add(Problem(image.format.grading.deadlistGen, "bgen \(bgen) is outside base \(s.base) < bgen <= pred \(s.pred) of snapshot \(gen)", in: name))
                }
            } else {
                add(Problem(image.format.grading.deadlistGen, "no snapshot has gen \(gen)", in: name))
            }
        }
        if !ref.head.isNull { checkGen(ref.head, of: nil, from: "\(name) head") }
        let complete = reader.walkDeadlist(ref, name: name, block: { bp, blk in
            if bp.addr != ref.head.addr { checkGen(bp, of: nil, from: "\(name) chain") }
            if mark(bp.addr, .deadlist, from: name) { tick() }
            for a in blk.addresses { checkDeadAddress(a, name: name, killer: killerTree) }
        }, problem: { add($0) })
        if !complete { checker.incomplete("\(name) cannot be read whole") }
    }

    func checkDeadAddress(_ a: Int64, name: String, killer: TreeRecord?) {
        guard a % Format.blockSize64 == 0, image.arena(containing: a) != nil else {
            add(Problem(.deadlistAddressInvalid, "lists \(hex(a)), not a block of any arena's allocatable region", block: a, in: name))
            return
        }
        guard mark(a, .dead, from: name) else {
            add(Problem(.deadlistAddressDuplicate, "lists \(hex(a)), which a deadlist already lists", block: a, in: name))
            return
        }
        guard let killer else { return }
        let i = listed.index(a)
        if let i, listed[i].live, listed[i].killer == killer.gen {
            add(Problem(.deadlistAddressLive, "lists \(hex(a)), which snapshot \(killer.gen) still reaches", block: a, in: name))
        } else if !(i.map { listed[$0].minGen < killer.gen } ?? false) {
            add(Problem(.deadlistReclaimable, "lists \(hex(a)), which no older snapshot reaches", block: a, in: name))
        }
    }
}
