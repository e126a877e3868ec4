/// Builds a gefs9.00 image: exactly what the genuine ream writes (FORMAT-9FRONT.md §11), and
/// with a host directory, main populated from it and committed by one sync ("Populating main").
///
/// The populate streams: data blocks are written as they are read and tree nodes as soon as
/// they are complete, straight to the device (nothing of the image is committed yet: every
/// superblock location was zeroed first); the logs, ream's blocks, the arena copies and the
/// superblocks follow in §10's order. Memory holds the census (a record per directory), the
/// entries of the directories being walked, two bits per block and a few nodes: nothing per file.
///
/// Placement (the writer's choice, §11): populate blocks are taken lowest first, arena after
/// arena, each arena keeping the genuine allocator's reserve plus `spareBlocks` free; so every
/// arena's added blocks are one or two runs and its log stays one block.
///
/// Without a device it only plans: every allocation and tree is made as for real from the
/// census and the `DataPlan`'s count (records of the same sizes), the host is not read, and
/// nothing is written.
public final class Formatter9 {
    public let layout: Layout9
    public let options: FormatOptions
    let device: BlockDevice?
    public private(set) var ream: Ream9
    /// The arena new blocks come from now.
    var current = 0
    var allocations = 0
    var populated: PopulateSummary?
    var mainRoot: BlockPointer?
    var mainHeight = 1
    var nextqid = Ream9.firstQid

    static let format = Gefs9Format()
    /// Blocks every arena keeps free beyond the genuine allocator's reserve (§11: "the reserve
    /// plus a few blocks"), for the log and the genuine gefs's first allocations.
    public static let spareBlocks = 16
    /// The sync generation a populate commits with (§11: `LogSync 1`, `qgen 1`).
    public static let populateGen: UInt64 = 1

    public init(layout: Layout9, options: FormatOptions, device: BlockDevice?) {
        self.layout = layout
        self.options = options
        self.device = device
        ream = Ream9(layout: layout, user: options.user, spare: Formatter9.spareBlocks)
    }

    /// One block for the populate: the lowest free one of the current arena, moving on when an
    /// arena has nothing left beyond what it keeps.
    func allocate() throws -> Int64 {
        while current < ream.arenas.count {
            if let addr = ream.arenas[current].allocate() {
                allocations += 1
                return addr
            }
            current += 1
        }
        throw AllocationError.full(allocated: allocations)
    }

    /// Writes a block of main's tree or data (gen 2) and returns the pointer to it.
    func place(_ block: [UInt8]) throws -> BlockPointer {
        let addr = try allocate()
        guard let device else { return BlockPointer(addr: addr, hash: 0, gen: Ream9.mainGen) }
        try device.write(block, at: addr)
        return BlockPointer(addr: addr, hash: Formatter9.format.hash(block), gen: Ream9.mainGen)
    }

    /// Gives main a tree of its own holding the host directory (§11, "Populating main"): qids
    /// from 3, the host's modes and times, uid, gid and muid 1 (the user), the
    /// root as ream makes it but with the format time, a Kup for every directory, holes for
    /// all-zero blocks. Records go to the tree in key order: Kdat (by qid and offset), Kent (by
    /// parent, name length, name; the root's `Kent(−1, "")` last), Kup (by qid). Data blocks
    /// come from the files when there is a device, else from `plan`.
    public func populate(_ census: HostCensus, plan: DataPlan) throws {
        let feed = PopulateFeed(census: census, plan: device == nil ? plan : nil)
        var tree = TreeStream { [unowned self] node in try self.place(node.encodeBlock()) }
        var dataBlocks = 0
        try feed.forEachDataBlock { qid, off, block in
            var pointer = ByteWriter(capacity: Format.pointerSize)
            try place(block).encode(into: &pointer)
            try tree.add(Record(key: Key.dat(qid: qid, offset: UInt64(off)).encode(), value: pointer.bytes))
            dataBlocks += 1
        }
        try feed.forEachEntry { try tree.add($0) }
        try tree.add(Ream9.rootEntry(qid: Ream9.mainRootQid, time: options.time))
        try tree.add(Ream9.up(Ream9.mainRootQid, .root))
        for (qid, key) in feed.ups { try tree.add(Ream9.up(qid, key)) }
        var summary = PopulateSummary(directories: census.directoryCount, files: census.files, dataBlocks: dataBlocks,
                                      holes: census.blocks - dataBlocks, skipped: census.warnings.count)
        summary.tree = try tree.finish()
        mainRoot = summary.tree.root
        mainHeight = summary.tree.height
        nextqid = census.nextqid
        populated = summary
    }

    /// Writes what is left in §10's order: pass 0 the log blocks and ream's tree blocks (main's
    /// blocks are on the device already), then headers, `sb0`, `sb1`, footers. A fresh image is
    /// ream's, with no barrier and `qgen 0`; a populated one commits with `LogSync 1`, `qgen 1`.
    public func finish() throws -> Format9Result {
        var logs: [[(addr: Int64, block: [UInt8])]] = []
        var copies: [ArenaCopy] = []
        var compressed: [Bool] = []
        let qgen: UInt64 = mainRoot == nil ? 0 : Formatter9.populateGen
        for i in ream.arenas.indices {
            if mainRoot == nil {
                logs.append([(ream.arenas[i].logBlock, ream.arenas[i].reamLog)])
                copies.append(ream.arenas[i].reamCopy)
                compressed.append(false)
            } else {
                let (blocks, copy, packed) = try ream.arenas[i].commitLog(gen: qgen)
                logs.append(blocks); copies.append(copy); compressed.append(packed)
            }
        }
        let root = mainRoot.map { BlockPointer(addr: $0.addr, hash: $0.hash, gen: Ream9.mainGen) } ?? ream.mainPointer
        let snapBlock = ream.snapshotLeaf(main: root, height: mainHeight)
        var sb = Superblock(narena: layout.narena, snapHeight: 1,
                            snapRoot: BlockPointer(addr: ream.snapAddr, hash: Formatter9.format.hash(snapBlock)),
                            nextqid: nextqid, nextgen: Ream9.nextgen, qgen: qgen, arenasz: 0, fssize: 0,
                            arenas: (0..<layout.narena).map { Superblock.ArenaRef(addr: layout.header($0), hash: 0) })
        if let device {
            var writer = SyncWriter(device: device, format: Formatter9.format)
            for chain in logs { for (addr, block) in chain { writer.queue(block, at: addr) } }
            writer.queue(ream.main.block, at: ream.main.addr)
            writer.queue(ream.adm.block, at: ream.adm.addr)
            writer.queue(ream.users.block, at: ream.users.addr)
            writer.queue(snapBlock, at: ream.snapAddr)
            sb = try writer.commit(superblock: sb, arenas: copies)
        } else {
            sb.arenas = copies.indices.map { Superblock.ArenaRef(addr: layout.header($0), hash: Formatter9.format.hash(copies[$0].encodeBlock())) }
        }
        return Format9Result(layout: layout, options: options, arenas: copies, logBlocks: logs.map { $0.map(\.addr) },
                             compressed: compressed, superblock: sb, populate: populated, dryRun: device == nil)
    }

    /// Writes a whole image to `device`. Before anything else it zeroes `sb0`, `sb1` and every
    /// old superblock location given, and flushes, so that an interrupted format leaves no image
    /// that claims to be valid; the image itself follows in §10's order.
    public static func write(to device: BlockDevice, layout: Layout9, options: FormatOptions, census: HostCensus?,
                             plan: DataPlan?, oldSuperblocks: [Int64] = []) throws -> Format9Result {
        try device.zeroSuperblocks(at: [0, layout.sb1] + oldSuperblocks)
        return try build(layout: layout, options: options, device: device, census: census, plan: plan)
    }

    /// Plans or writes a whole image: ream, then the populate when there is a scan.
    public static func build(layout: Layout9, options: FormatOptions, device: BlockDevice?,
                             census: HostCensus?, plan: DataPlan?) throws -> Format9Result {
        let f = Formatter9(layout: layout, options: options, device: device)
        if let census { try f.populate(census, plan: plan ?? .upperBound(census)) }
        return try f.finish()
    }
}

/// What a gefs9.00 format wrote (or, for a dry run, would write).
public struct Format9Result: Equatable, Sendable {
    public var layout: Layout9
    public var options: FormatOptions
    /// Every arena's header (and footer) contents.
    public var arenas: [ArenaCopy]
    /// The log blocks of each arena, in chain order.
    public var logBlocks: [[Int64]]
    /// Whether each arena's log was written compressed (§8.4's form).
    public var compressed: [Bool]
    public var superblock: Superblock
    public var populate: PopulateSummary?
    public var dryRun = false

    /// The summary mkgefs prints: one fact per line, no timestamps, addresses in hex.
    public var summary: [String] {
        let B = Format.blockSize64
        var out = [
            "format     gefs9.00 (9front)",
            "size       \(layout.fssize) bytes (\(humanSize(layout.fssize))), \(layout.blocks) blocks of \(B) bytes",
            "arenas     \(layout.narena) of \(layout.arenaSize) bytes (\(layout.arenaSize / B) blocks) plus header and footer, gap \(layout.gapBlocks) blocks",
            "sb0        \(hex(0))",
            "sb1        \(hex(layout.sb1))",
        ]
        for (i, a) in arenas.enumerated() {
            var logs = logBlocks[i].count == 1 ? "" : " (\(logBlocks[i].count) log blocks)"
            if compressed[i] { logs += " compressed" }
            out.append(column("arena \(i)") + "header \(hex(layout.header(i))) footer \(hex(layout.footer(i))) log \(hex(a.loghd))\(logs) used \(a.used) of \(a.size)")
        }
        return out + summaryTail(options: options, populate: populate, superblock: superblock, dryRun: dryRun)
    }
}
