/// The repair of `deadlist_reclaimable` (FORMAT.md §9.6): a listed dead address that no older
/// snapshot reaches is dropped from its deadlist and, when nothing else reaches it, freed.
///
/// Deadlist blocks and the snapshot tree are reached through hashed pointers, so nothing is
/// changed in place (§3): each deadlist that loses addresses gets a new chain (or its Kdlist
/// record goes, when none is left), the snapshot tree is written anew from its logical records
/// with the new Kdlist values, and the superblock names its new root. The new blocks are taken
/// from blocks that are free in the committed state, reached by nothing and outside every log
/// chain; the old chains, the old snapshot tree's nodes and the dropped addresses reached by
/// nothing else are freed. The arenas this touches get fresh logs built from reachability, as
/// `FreeMapRebuild` writes them (and any arena that needs one anyway), and everything is
/// committed in one sync in §10's order: the committed state is never overwritten before its
/// superblocks are.
struct DeadlistReclaim {
    let checker: Checker

    var image: Image { checker.image }
    var space: SpaceClassification { checker.space }

    /// The addresses to drop, by the name of the Kdlist record listing them.
    var dropped: [String: Set<Int64>] {
        var out: [String: Set<Int64>] = [:]
        for p in checker.problems where p.code == .deadlistReclaimable {
            if let name = p.place?.name, let a = p.block { out[name, default: []].insert(a) }
        }
        return out
    }

    var wanted: Bool { checker.problems.contains { $0.code == .deadlistReclaimable } }

    /// Why the entries must not be dropped now, or nil.
    func refusal() -> String? {
        if let why = Repairer.unwritable(image) { return why }
        if !space.complete { return "part of the trees is unknown (\(space.incompleteReasons.first ?? "unreadable"))" }
        if let p = checker.problems.first(where: { !$0.code.preenSafe }) {
            return "\(p.code.id) needs a human first"
        }
        if let r = checker.replays.first(where: \.hasErrors) {
            return "arena \(r.arena)'s log cannot be replayed, so its free blocks are unknown (this run rebuilds it; run again)"
        }
        return nil
    }

    /// A new block: the lowest that is free in the committed state, reached by nothing, outside
    /// every log chain (the uncommitted tails included) and not yet taken.
    struct Allocator {
        var usable: [BlockBitmap]
        var taken: [Int64] = []

        mutating func next() throws -> Int64 {
            for i in usable.indices {
                let j = usable[i].nextSet(from: 0)
                guard j < usable[i].count else { continue }
                usable[i][j] = false
                let a = usable[i].address(j)
                taken.append(a)
                return a
            }
            throw RewriteError.noSpace(arena: usable.count - 1, needed: taken.count + 1)
        }
    }

    func allocator() throws -> Allocator {
        var usable: [BlockBitmap] = []
        for a in image.arenas {
            var free = checker.replays[a.index].free.subtracting(space.reachable(in: a))
            free = free.subtracting(try LogRewrite.replay(image, a, allowErrors: false).1)
            usable.append(free)
        }
        return Allocator(usable: usable)
    }

    /// Plans and commits the whole change; returns what was done. `rebuilding`: arenas whose
    /// free maps are rebuilt anyway.
    func commit(rebuilding: [Int]) throws -> [RepairAction] {
        let reader = checker.reader
        let sb = image.superblock
        let drop = dropped
        let newestGen = Int64(clamping: max(sb.nextgen, 1) - 1)
        var alloc = try allocator()
        var blocks: [Int64: [UInt8]] = [:]
        var freed: [Int64] = []
        var actions: [RepairAction] = []

        // The deadlists that lose addresses: new chains, oldest block first.
        var newValues: [[UInt8]: [UInt8]?] = [:]
        for d in checker.contents.deadlists {
            guard let gone = drop[d.name] else { continue }
            var chain: [Int64] = []
            var listed: [Int64] = []
            let whole = reader.walkDeadlist(d.ref, name: d.name, block: { bp, blk in
                chain.append(bp.addr)
                listed += blk.addresses
            }, problem: { _ in })
            guard whole else { throw TreeReadError(Problem(.deadlistChainBroken, "cannot read \(d.name) whole")) }
            freed += chain
            let kept = listed.filter { !gone.contains($0) }
            for a in listed where gone.contains(a) && space.kinds(at: a) == [.dead] { freed.append(a) }
            let key = d.key.encode()
            guard !kept.isEmpty else {
                newValues[key] = .some(nil)
                actions.append(.deadlistRemoved(name: d.name, dropped: listed.filter(gone.contains), chainBlocks: chain.count))
                continue
            }
            let gen = min(d.gen, newestGen)
            let cap = image.format.deadlistCapacity
            let groups = stride(from: 0, to: kept.count, by: cap).map { Array(kept[$0..<min($0 + cap, kept.count)]) }
            var next = BlockPointer.null
            var tail = BlockPointer.null
            for g in groups.reversed() {
                let b = image.format.encodeDeadlistBlock(DeadlistBlock(next: next, addresses: g))
                let addr = try alloc.next()
                blocks[addr] = b
                next = image.format.deadlistPointer(addr, b, gen: gen)
                if tail.isNull { tail = next }
            }
            newValues[key] = .some(DeadlistRef(head: next, tail: tail).encode())
            actions.append(.deadlistRechained(name: d.name, dropped: listed.filter(gone.contains), blocks: groups.count, at: next.addr, was: chain.count))
        }

        // The snapshot tree, written anew with the new Kdlist values.
        let t = reader.snapshotTree
        var oldNodes: [Int64] = []
        let walked = reader.walk(t, node: { oldNodes.append($0.pointer.addr) }, problem: { _ in })
        guard walked.complete else { throw TreeReadError(Problem(.spaceIncomplete, "cannot read the snapshot tree whole")) }
        freed += oldNodes
        var records: [Record] = []
        for r in try reader.records(t) {
            switch newValues[r.key] {
            case nil: records.append(r)
            case let .some(v?): records.append(Record(key: r.key, value: v))
            case .some(nil): break
            }
        }
        let built = try TreeBuilder.build(records) { node in
            let b = node.encodeBlock()
            let addr = try alloc.next()
            blocks[addr] = b
            return BlockPointer(addr: addr, hash: image.format.hash(b), gen: image.format.snapshotTreeGen(newest: newestGen))
        }
        actions.append(.snapshotTreeRewritten(nodes: built.nodes, root: built.root.addr, height: built.height, wasNodes: oldNodes.count, wasRoot: t.root.addr))

        // Free maps: reachability, less what goes, plus what comes.
        let rebuild = FreeMapRebuild(checker: checker)
        var targets: [Int: BlockBitmap] = [:]
        func target(_ i: Int) -> BlockBitmap {
            if let t = targets[i] { return t }
            return rebuild.target(i)
        }
        for a in Set(freed) {
            guard let i = image.arena(containing: a) else { continue }
            var f = target(i); f.insert(a); targets[i] = f
        }
        for a in alloc.taken {
            guard let i = image.arena(containing: a) else { continue }
            var f = target(i); f.remove(block: a); targets[i] = f
        }
        for i in rebuilding where targets[i] == nil { targets[i] = target(i) }
        let freedCount = Set(freed).count
        actions.append(.reclaimed(freed: freedCount, written: alloc.taken.count))

        let plan = try LogRewrite.plan(image: image, arenas: targets.keys.sorted(), targets: targets)
        var w = SyncWriter(device: image.device, format: image.format)
        plan.queue(into: &w)
        for (addr, b) in blocks { w.queue(b, at: addr) }
        var newSB = plan.superblock
        newSB.snapRoot = BlockPointer(addr: built.root.addr, hash: built.root.hash)
        newSB.snapHeight = built.height
        try w.commit(superblock: newSB, arenas: plan.arenas.map(\.copy))
        return actions + rebuild.rebuilt(plan) + [.committed(qgen: plan.gen)]
    }
}
