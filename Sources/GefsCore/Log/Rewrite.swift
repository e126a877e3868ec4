/// Why a log rewrite cannot be planned.
public enum RewriteError: Error, Equatable, CustomStringConvertible {
    /// The arena has no current copy: its log head is unknown.
    case noCurrentCopy(arena: Int)
    /// The arena's replay found errors: its free map cannot be trusted (gefs-fsck rebuilds it).
    case replayErrors(arena: Int, errors: Int)
    /// A target free map that does not cover the arena's allocatable region.
    case targetSpan(arena: Int)
    /// Not enough blocks free in both the target and the committed state for the new log.
    case noSpace(arena: Int, needed: Int)
    /// An arena that is not rewritten has no room after its committed barrier for the new one.
    case noBarrierRoom(arena: Int, block: Int64)
    /// The superblock's qgen leaves no next sync generation a LogSync word can hold (56 bits).
    case lastGeneration(UInt64)
    /// The toolkit does not write this format's logs yet.
    case formatNotWritable(String)

    public var description: String {
        switch self {
        case let .noCurrentCopy(a): return "arena \(a) has no current copy"
        case let .replayErrors(a, n):
            return "arena \(a): replay found \(n) error\(n == 1 ? "" : "s"); its free map cannot be trusted"
        case let .targetSpan(a): return "arena \(a): the target free map does not cover the allocatable region"
        case let .noSpace(a, n):
            return "arena \(a): fewer than \(n) blocks are free both now and in the committed state: no room for the new log"
        case let .lastGeneration(g):
            return "qgen \(g): a log barrier cannot hold the next sync generation (at most \(LogEntry.maxGen))"
        case let .formatNotWritable(f):
            return "rewriting \(f) logs is not supported yet: the image is only read and checked"
        case let .noBarrierRoom(a, b):
            return "arena \(a): log block \(hex(b)) has no room after its committed barrier; rewrite this arena too"
        }
    }
}

/// The offline log rewrite of FORMAT.md §8.4, committed through §10's sync.
///
/// For each arena rewritten, the new log is the arena's final free map written as
/// LogFree/LogFree1 entries (one per free extent, in address order, chained with LogChain
/// across blocks by the writers' append rule) and ends with the barrier of the sync that
/// commits it, `LogSync qgen+1`, and LogEnd. The final free map is the target (by default the
/// replayed free map plus the old log's blocks); the new log's blocks are taken out of it, lowest
/// first, from blocks that are also free in the committed state and are not blocks of the old
/// chain, so a crash at any point leaves the committed state intact. The new blocks are never
/// freed in the new log, so replay (which starts with everything allocated) counts them
/// allocated, as the reference compression does.
///
/// Every other arena gets the barrier appended right after its committed one (§8.4's resume
/// rule), so that all of them reach `LogSync qgen+1`. Then: pass 0 the log blocks, pass 1 the
/// headers with the new `loghd` and `used`, pass 2 `sb0` and `sb1` with `qgen+1`, pass 3 the
/// footers. Stale copies are rewritten on the way.
public struct LogRewrite {
    /// What the rewrite does to one arena.
    public struct ArenaPlan: Sendable {
        public let arena: Int
        /// True when its log is rebuilt; false when it only gets the new barrier.
        public let rewritten: Bool
        /// The committed log before: its blocks, and its entries (terminators excluded,
        /// uncommitted ones included).
        public let oldBlocks: [Int64]
        public let oldEntries: Int
        /// The log after: its blocks in chain order and its entries. For an arena that is not
        /// rewritten, the old log plus the barrier (and the block it needed, if any).
        public let newBlocks: [Int64]
        public let newEntries: Int
        /// The free map and `used` the arena replays to once the sync is committed.
        public let free: BlockBitmap
        public let used: Int64
        /// The new header and footer.
        public let copy: ArenaCopy
    }

    public let image: Image
    /// The superblock to write: the current one with `qgen + 1` (the arena hashes are filled in
    /// by the sync writer).
    public let superblock: Superblock
    /// Every arena of the image, in order.
    public let arenas: [ArenaPlan]
    /// Pass-0 blocks, in address order.
    public let blocks: [(addr: Int64, block: [UInt8])]

    /// The generation of the sync that commits the rewrite.
    public var gen: UInt64 { superblock.qgen }

    /// Plans a rewrite of `arenas` (and of every arena with a target). `targets[i]` replaces the
    /// replayed free map of arena `i` by one of the caller's (gefs-fsck's, rebuilt from
    /// reachability): the free map the arena must have once its old log is gone, so old log
    /// blocks the caller wants freed are free in it. With a target, an arena whose replay has
    /// errors may be rewritten; without one it is refused. Arenas not rewritten must replay
    /// without errors, as they get the new barrier.
    public static func plan(image: Image, arenas chosen: [Int], targets: [Int: BlockBitmap] = [:]) throws -> LogRewrite {
        guard image.format.repairable else { throw RewriteError.formatNotWritable(image.format.name) }
        var sb = image.superblock
        guard sb.qgen < LogEntry.maxGen else { throw RewriteError.lastGeneration(sb.qgen) }
        sb.qgen += 1
        let rewrite = Set(chosen).union(targets.keys)
        var plans: [ArenaPlan] = []
        var blocks: [Int64: [UInt8]] = [:]
        for a in image.arenas {
            let (plan, written) = rewrite.contains(a.index)
                ? try rebuild(image, a, target: targets[a.index], gen: sb.qgen)
                : try appendBarrier(image, a, gen: sb.qgen)
            plans.append(plan)
            for (addr, b) in written { blocks[addr] = b }
        }
        return LogRewrite(image: image, superblock: sb, arenas: plans,
                          blocks: blocks.keys.sorted().map { ($0, blocks[$0]!) })
    }

    /// The arena's committed replay, refused without a current copy or, unless `allowErrors`,
    /// with errors; and every block its chain reached (committed or not).
    static func replay(_ image: Image, _ a: Arena, allowErrors: Bool) throws -> (ArenaReplay, BlockBitmap) {
        guard a.current != nil else { throw RewriteError.noCurrentCopy(arena: a.index) }
        var chain = BlockBitmap(covering: a.region)
        let r = Replay.arena(image, a.index) { event in
            if case let .block(addr, _, _, _) = event { chain.insert(blocks: CollectionOfOne(addr)) }
        }
        let errors = r.problems.filter { $0.severity == .error }.count
        guard allowErrors || errors == 0 else { throw RewriteError.replayErrors(arena: a.index, errors: errors) }
        return (r, chain)
    }

    /// The new log of a rewritten arena.
    static func rebuild(_ image: Image, _ a: Arena, target: BlockBitmap?, gen: UInt64) throws -> (ArenaPlan, [(Int64, [UInt8])]) {
        let (r, chain) = try replay(image, a, allowErrors: target != nil)
        var oldLog = BlockBitmap(covering: a.region)
        oldLog.insert(blocks: r.logBlocks)
        if let t = target, t.span != a.region { throw RewriteError.targetSpan(arena: a.index) }
        var free = target ?? r.free.union(oldLog)
        // Blocks the committed state counts free (unless its replay cannot say), outside the old chain.
        var usable = (target == nil || !r.hasErrors ? free.intersection(r.free) : free).subtracting(chain)
        var chosen: [Int64] = []
        var groups = layout(free, gen, image.format)
        // Take as many blocks as the layout needs, all at once, then lay out again: taking a
        // block changes the extents by at most one, so this settles in a few rounds even when
        // the free map has millions of extents.
        while groups.count > chosen.count {
            for _ in chosen.count..<groups.count {
                let i = usable.nextSet(from: 0)
                guard i < usable.count else { throw RewriteError.noSpace(arena: a.index, needed: groups.count) }
                usable[i] = false
                free[i] = false
                chosen.append(free.address(i))
            }
            groups = layout(free, gen, image.format)
        }
        // Taking a block out can merge nothing but may drop a one-block extent: keep every
        // chosen block in use by splitting the fullest group.
        while groups.count < chosen.count {
            let k = groups.indices.max { groups[$0].count < groups[$1].count }!
            let g = groups[k]
            groups.replaceSubrange(k...k, with: [Array(g[..<(g.count / 2)]), Array(g[(g.count / 2)...])])
        }
        var written: [(Int64, [UInt8])] = []
        for (j, addr) in chosen.enumerated() {
            var b = image.format.newLogBlock()
            for e in groups[j] { b.append(e) }
            if j + 1 < chosen.count { b.chain(to: chosen[j + 1]) }
            written.append((addr, b.finished()))
        }
        let used = a.size - Int64(free.setCount) * Format.blockSize64
        let copy = ArenaCopy(loghd: chosen[0], loghdHash: image.format.logHeadHash(written[0].1, previous: nil),
                             size: a.size, used: used)
        let plan = ArenaPlan(arena: a.index, rewritten: true, oldBlocks: r.logBlocks,
                             oldEntries: r.committedEntries + r.discardedEntries,
                             newBlocks: chosen, newEntries: groups.reduce(0) { $0 + $1.count },
                             free: free, used: used, copy: copy)
        return (plan, written)
    }

    /// The entries of a new log over `free`, split into blocks by the append rule.
    static func layout(_ free: BlockBitmap, _ gen: UInt64, _ format: any DiskFormat) -> [[LogEntry]] {
        ArenaLog.blocksNeeded(free.extents.map { format.compactFree($0.addr, $0.len) } + [.sync(gen)], format)
    }

    /// An arena that keeps its log: `LogSync gen` right after its committed barrier, in a new
    /// log block when the tail is full (§8.4), so that its replay stops at the new barrier.
    static func appendBarrier(_ image: Image, _ a: Arena, gen: UInt64) throws -> (ArenaPlan, [(Int64, [UInt8])]) {
        let (r, chain) = try replay(image, a, allowErrors: false)
        guard let at = r.resume, let copy = a.current else { throw RewriteError.noCurrentCopy(arena: a.index) }
        var tail = image.format.resumeLogBlock(try image.device.read(at: at.block), at: at.offset)
        var free = r.free
        var used = r.used
        var newBlocks = r.logBlocks
        var written: [(Int64, [UInt8])] = []
        if !tail.isFull && tail.fits(.sync(gen)) {
            tail.append(.sync(gen))
        } else {
            let i = r.free.subtracting(chain).nextSet(from: 0)
            guard i < free.count, tail.fits(.alloc(free.address(i))) else {
                throw RewriteError.noBarrierRoom(arena: a.index, block: at.block)
            }
            let n = free.address(i)
            tail.append(.alloc(n))
            tail.chain(to: n)
            var b = image.format.newLogBlock()
            b.append(.sync(gen))
            written.append((n, b.finished()))
            free[i] = false
            used += Format.blockSize64
            newBlocks.append(n)
        }
        written.append((at.block, tail.finished()))
        let head = try written.first { $0.0 == copy.loghd }?.1 ?? image.device.read(at: copy.loghd)
        let plan = ArenaPlan(arena: a.index, rewritten: false, oldBlocks: r.logBlocks,
                             oldEntries: r.committedEntries + r.discardedEntries,
                             newBlocks: newBlocks, newEntries: r.committedEntries + written.count,
                             free: free, used: used,
                             copy: ArenaCopy(loghd: copy.loghd, loghdHash: image.format.logHeadHash(head, previous: copy.loghdHash),
                                             size: a.size, used: used))
        return (plan, written)
    }

    /// Queues the log blocks for pass 0 of a sync (for a caller that writes more in the same sync).
    public func queue(into w: inout SyncWriter) {
        for (addr, b) in blocks { w.queue(b, at: addr) }
    }

    /// Writes the rewrite in §10's order; returns the superblock as written.
    @discardableResult
    public func commit(to device: BlockDevice) throws -> Superblock {
        var w = SyncWriter(device: device, format: image.format)
        queue(into: &w)
        return try w.commit(superblock: superblock, arenas: arenas.map(\.copy))
    }

    /// Reopens the image on `device` and checks that every arena replays, without errors, to
    /// the planned free map and `used` at the new barrier. Returns what differs, in words.
    public func verify(_ device: BlockDevice) -> [String] {
        guard let img = try? Image(device: device) else { return ["the image cannot be opened again"] }
        guard img.qgen == gen else { return ["the current superblock has qgen \(img.qgen), not \(gen)"] }
        var out: [String] = []
        for p in arenas {
            let r = Replay.arena(img, p.arena)
            if r.hasErrors { out.append("arena \(p.arena): replay finds errors: \(r.problems.filter { $0.severity == .error })") }
            if r.free != p.free { out.append("arena \(p.arena): the free map differs from the plan") }
            if r.used != p.used || !r.agrees { out.append("arena \(p.arena): used \(r.used), planned \(p.used), copy \(r.usedHeader.map(String.init) ?? "-")") }
            if r.committedGen != gen { out.append("arena \(p.arena): replay stops at \(r.stopText), not LogSync \(gen)") }
        }
        return out
    }
}
