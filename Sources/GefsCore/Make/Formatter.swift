/// Builds a fresh gefs image (FORMAT.md §11) and writes it through the §10 sync writer.
///
/// Without a device it only plans: every allocation and tree is made as for real from the
/// census and the `DataPlan`'s count (records of the same sizes), the host is not read, and
/// nothing is written. Data blocks and tree nodes of a populate are written straight to the
/// device as they are made (pass 0, before anything the superblocks point to); every other
/// block is queued for the sync.
public final class Formatter {
    public let layout: Layout
    public let options: FormatOptions
    let device: BlockDevice?
    public private(set) var allocator: Allocator
    var queued: [Int64: [UInt8]] = [:]
    /// Generation of the last barrier appended (the superblock's qgen).
    var qgen: UInt64 = 0
    var nextqid: UInt64 = 3
    var admRoot = BlockPointer.null
    var emptyRoot = BlockPointer.null
    var snapRoot = BlockPointer.null
    var populated: PopulateSummary?

    /// Generations of the three snapshots of a fresh image.
    public static let emptyGen: Int64 = 0, admGen: Int64 = 1, mainGen: Int64 = 2
    public static let nextgen: UInt64 = 3
    /// The users file's qid, the adm root's, and the first qid of populated files.
    /// The format this formatter writes.
    public static let format = Gefs8Format()
    public static let usersQid: UInt64 = 2, admRootQid: UInt64 = 1, firstQid: UInt64 = 3
    /// A populate compresses an arena's log that grew longer than this many blocks.
    public static let compressAbove = 8

    public init(layout: Layout, options: FormatOptions, device: BlockDevice?) {
        self.layout = layout
        self.options = options
        self.device = device
        allocator = Allocator(arenas: (0..<layout.narena).map { ArenaLog(format: Formatter.format, index: $0, region: layout.region($0)) })
    }

    /// Allocates a block for `block` and queues it; returns the pointer to it.
    func place(_ block: [UInt8], gen: Int64) throws -> BlockPointer {
        let addr = try allocator.alloc()
        if device != nil { queued[addr] = block }
        return BlockPointer(addr: addr, hash: Formatter.format.hash(block), gen: gen)
    }

    func rootEntry(qid: UInt64) -> Record {
        let x = Xdir(qidPath: qid, mode: Mode.dir | 0o775, atime: options.time, mtime: options.time,
                     uid: -1, gid: -1, muid: 0)
        return Record(key: Key.root.encode(), value: x.encode())
    }

    static func up(_ qid: UInt64, _ key: Key) -> Record { Record(key: Key.up(qid: qid).encode(), value: key.encode()) }

    /// The fresh image of §11, up to and including `LogSync 1`: the users file, adm's and
    /// main's root leaves, and the snapshot tree.
    public func formatFresh() throws {
        let users = options.usersFile
        var usersBlock = [UInt8].zeroBlock()
        usersBlock.replaceSubrange(0..<users.count, with: users)
        let usersBp = try place(usersBlock, gen: 0)
        let usersName = Key.ent(parent: Formatter.admRootQid, name: Array("users".utf8))
        let usersEntry = Xdir(qidPath: Formatter.usersQid, mode: 0o664, atime: options.time, mtime: options.time,
                              length: UInt64(users.count), uid: -1, gid: -1, muid: 0)
        var usersPtr = ByteWriter(capacity: Format.pointerSize)
        usersBp.encode(into: &usersPtr)
        let adm = [
            Record(key: Key.dat(qid: Formatter.usersQid, offset: 0).encode(), value: usersPtr.bytes),
            Record(key: usersName.encode(), value: usersEntry.encode()),
            rootEntry(qid: Formatter.admRootQid),
            Formatter.up(Formatter.admRootQid, .root),
        ]
        admRoot = try place(Node(kind: .leaf, records: adm).encodeBlock(), gen: 0)
        emptyRoot = try place(Node(kind: .leaf, records: [rootEntry(qid: 0), Formatter.up(0, .root)]).encodeBlock(), gen: 0)
        snapRoot = try place(snapshotLeaf(main: emptyRoot, mainHeight: 1, deadlist: nil).encodeBlock(), gen: 0)
        try sync()
    }

    /// The snapshot tree's one leaf: the three labels and snapshots of §11, and main's
    /// deadlist when main has a tree of its own.
    func snapshotLeaf(main: BlockPointer, mainHeight: Int, deadlist: BlockPointer?) -> Node {
        func label(_ name: String, _ gen: Int64, _ flags: UInt32) -> Record {
            Record(key: Key.label(name: Array(name.utf8)).encode(), value: LabelValue(gen: UInt64(gen), flags: flags).encode())
        }
        func snap(_ gen: Int64, nref: UInt32, pred: Int64, succ: Int64, height: Int, root: BlockPointer) -> Record {
            let t = TreeRecord(nref: nref, nlbl: 1, height: UInt32(height), gen: gen, pred: pred, succ: succ,
                               base: Format.none, root: root)
            return Record(key: Key.snap(gen: UInt64(gen)).encode(), value: t.encode())
        }
        var records = [
            label("adm", Formatter.admGen, LabelValue.mutable),
            label("empty", Formatter.emptyGen, 0),
            label("main", Formatter.mainGen, LabelValue.mutable),
            snap(Formatter.emptyGen, nref: 1, pred: Format.none, succ: Formatter.mainGen, height: 1, root: emptyRoot),
            snap(Formatter.admGen, nref: 0, pred: Format.none, succ: Format.none, height: 1, root: admRoot),
            snap(Formatter.mainGen, nref: 0, pred: Formatter.emptyGen, succ: Format.none, height: mainHeight, root: main),
        ]
        if let dl = deadlist {
            let key = Key.dlist(gen: UInt64(Formatter.mainGen), bgen: UInt64(Formatter.emptyGen))
            records.append(Record(key: key.encode(), value: DeadlistRef(head: dl, tail: dl).encode()))
        }
        return Node(kind: .leaf, records: records)
    }

    /// Gives main a tree of its own holding the host directory (§11, `mkgefs -d`), in the
    /// next sync. Data blocks come from the files when there is a device, else from `plan`.
    /// main's old root leaf, shared with `empty`, is deadlisted under `Kdlist(2, 0)`; the old
    /// snapshot tree leaf is freed.
    ///
    /// Blocks are placed as they always were: every data block first (in qid order), then the
    /// tree's leaves, then its pivots level by level. The data pass keeps its `Kdat` records in
    /// a temporary file until the tree pass, and tree nodes are written as they are placed, so
    /// memory holds no per-file state beyond the census.
    public func populate(_ census: HostCensus, plan: DataPlan) throws {
        let feed = PopulateFeed(census: census, plan: device == nil ? plan : nil)
        let gen = Formatter.mainGen
        let dataKeys = try writeData(feed)
        var summary = PopulateSummary(directories: census.directoryCount, files: census.files, dataBlocks: dataKeys.count,
                                      holes: census.blocks - dataKeys.count, skipped: census.warnings.count)
        summary.tree = try buildMain(feed, dataKeys)
        let dead = DeadlistBlock(next: .null, addresses: [emptyRoot.addr])
        let dl = try place(Formatter.format.encodeDeadlistBlock(dead), gen: gen)
        let oldSnap = snapRoot
        let leaf = snapshotLeaf(main: summary.tree.root, mainHeight: summary.tree.height, deadlist: dl)
        snapRoot = try place(leaf.encodeBlock(), gen: gen)
        try allocator.free(oldSnap.addr)
        try allocator.compressLogs(longerThan: Formatter.compressAbove)
        nextqid = census.nextqid
        populated = summary
        try sync()
    }

    /// The data pass: every data block allocated (and written) in qid order, its `Kdat` record
    /// kept for the tree.
    func writeData(_ feed: PopulateFeed) throws -> DataKeys {
        var dataKeys = try DataKeys(spill: device != nil)
        try feed.forEachDataBlock { qid, off, block in
            let addr = try allocator.alloc()
            try device?.write(block, at: addr)
            var w = ByteWriter(capacity: Format.pointerSize)
            BlockPointer(addr: addr, hash: device == nil ? 0 : Formatter.format.hash(block), gen: Formatter.mainGen).encode(into: &w)
            try dataKeys.append(Record(key: Key.dat(qid: qid, offset: UInt64(off)).encode(), value: w.bytes))
        }
        return dataKeys
    }

    /// main's tree, in key order: the data keys, the entries, the root's entry, the Kup
    /// records. Nodes are written as they are placed, leaves first, then the pivots.
    func buildMain(_ feed: PopulateFeed, _ dataKeys: DataKeys) throws -> BuiltTree {
        var tree = TreeStream(pivotsLast: true) { [unowned self] node in
            let block = node.encodeBlock()
            let addr = try allocator.alloc()
            try device?.write(block, at: addr)
            return BlockPointer(addr: addr, hash: Formatter.format.hash(block), gen: Formatter.mainGen)
        }
        try dataKeys.forEach { try tree.add($0) }
        try feed.forEachEntry { try tree.add($0) }
        try tree.add(rootEntry(qid: 0))
        try tree.add(Formatter.up(0, .root))
        for (qid, key) in feed.ups { try tree.add(Formatter.up(qid, key)) }
        return try tree.finish()
    }

    /// main's `Kdat` records between the data pass and the tree pass: in a temporary file when
    /// writing; a plan only counts them, and gives back as many of the same size.
    struct DataKeys {
        static let size = 17 + Format.pointerSize
        let spill: SpillFile?
        private(set) var count = 0

        init(spill: Bool) throws { self.spill = spill ? try SpillFile() : nil }

        mutating func append(_ record: Record) throws {
            try spill?.append(record.key + record.value)
            count += 1
        }

        func forEach(_ body: (Record) throws -> Void) throws {
            if let spill {
                try spill.rewind()
                while let r = try spill.read(DataKeys.size) { try body(Record(key: Array(r[..<17]), value: Array(r[17...]))) }
            } else {
                let value = [UInt8](repeating: 0, count: Format.pointerSize)
                for i in 0..<count { try body(Record(key: Key.dat(qid: 0, offset: UInt64(i)).encode(), value: value)) }
            }
        }
    }

    /// Appends the next barrier to every log.
    func sync() throws {
        qgen += 1
        try allocator.sync(qgen)
    }

    /// The superblock for the state built so far (arena entries filled in by the sync writer).
    func superblock() -> Superblock {
        Superblock(narena: layout.narena, snapHeight: 1, snapRoot: BlockPointer(addr: snapRoot.addr, hash: snapRoot.hash),
                   nextqid: nextqid, nextgen: Formatter.nextgen, qgen: qgen, arenasz: layout.arenasz,
                   fssize: layout.fssize, arenas: [])
    }

    /// Writes everything in §10's order (log blocks and queued blocks, headers, sb0, sb1,
    /// footers); without a device only reports what would be written.
    public func finish() throws -> FormatResult {
        let copies = allocator.arenas.map { $0.copy() }
        var sb = superblock()
        if let device {
            var writer = SyncWriter(device: device, format: Formatter.format)
            for (addr, block) in queued { writer.queue(block, at: addr) }
            for a in allocator.arenas { for (addr, block) in a.logBlockContents() { writer.queue(block, at: addr) } }
            sb = try writer.commit(superblock: sb, arenas: copies)
        } else {
            sb.arenas = copies.indices.map { Superblock.ArenaRef(addr: layout.base($0), hash: Formatter.format.hash(copies[$0].encodeBlock())) }
        }
        return FormatResult(layout: layout, options: options, arenas: copies, logBlocks: allocator.arenas.map(\.chain),
                            superblock: sb, populate: populated, dryRun: device == nil)
    }

    /// Writes a whole image to `device`. Before anything else it zeroes `sb0`, the new `sb1`
    /// and every old superblock location given, and flushes, so that an interrupted format
    /// leaves no image that claims to be valid; the image itself follows in §10's order.
    public static func write(to device: BlockDevice, layout: Layout, options: FormatOptions, census: HostCensus?,
                             plan: DataPlan?, oldSuperblocks: [Int64] = []) throws -> FormatResult {
        try device.zeroSuperblocks(at: [0, layout.sb1] + oldSuperblocks)
        return try build(layout: layout, options: options, device: device, census: census, plan: plan)
    }

    /// Plans or writes a whole image: the fresh format, then the populate when there is a census.
    public static func build(layout: Layout, options: FormatOptions, device: BlockDevice?,
                             census: HostCensus?, plan: DataPlan?) throws -> FormatResult {
        let f = Formatter(layout: layout, options: options, device: device)
        try f.formatFresh()
        if let census { try f.populate(census, plan: plan ?? .upperBound(census)) }
        return try f.finish()
    }
}

