/// Why an allocation or a log append could not be made.
public enum AllocationError: Error, Equatable, CustomStringConvertible {
    /// Arena `arena` has no block left to hand out (for data, or to grow its log).
    case arenaFull(arena: Int)
    /// No arena has a block left for data.
    case full(allocated: Int)
    /// A free of a block that is not allocated, or outside every arena.
    case badFree(Int64)

    public var description: String {
        switch self {
        case let .arenaFull(a): return "arena \(a) is full: no block left to grow its allocation log"
        case let .full(n): return "no free block left in any arena (after \(n) allocations)"
        case let .badFree(a): return "free of \(hex(a)), which is not an allocated block of any arena"
        }
    }
}

/// One arena's allocator and allocation-log writer, exactly as FORMAT.md §8.4 describes.
///
/// `free` is the arena's free map as a replay of the log written so far gives it. Blocks freed
/// since the last sync stay out of `available` until the next sync: until then the committed
/// state may still use them (§10). Allocation hands out the lowest available address.
///
/// Log blocks are overwritten in place while they are the tail; `logBlockContents()` gives the
/// latest contents of every log block this writer wrote, to be queued for pass 0 of a sync.
public struct ArenaLog {
    /// The format the log is written in.
    public let format: any DiskFormat
    public let index: Int
    /// The allocatable region.
    public let region: Range<Int64>
    /// A set bit is a free block, as replay of the log would find it.
    public private(set) var free: BlockBitmap
    /// Free blocks that may be handed out now (free, and not freed since the last sync).
    public private(set) var available: BlockBitmap
    /// Allocated bytes, as replay would count them.
    public private(set) var used: Int64
    /// The first block of the log: the header's `loghd` at the next sync.
    public private(set) var head: Int64
    /// The log chain from `head`, in order; the last one is the tail.
    public private(set) var chain: [Int64]
    /// Blocks of the chain whose contents must be written.
    var written: [Int64: [UInt8]] = [:]
    var tail: any LogBlockWriter
    /// Lowest index that may be available (allocation is lowest first).
    var cursor = 0
    /// `available.setCount`, kept as blocks come and go.
    public private(set) var availableBlocks: Int

    /// The log of a freshly formatted arena (§11): one log block at the start of the region,
    /// holding `LogFree(region)` and `LogAlloc1(itself)`.
    public init(format: any DiskFormat, index: Int, region: Range<Int64>) {
        self.format = format
        self.index = index
        self.region = region
        free = BlockBitmap(covering: region, filled: true)
        available = free
        availableBlocks = free.count
        used = 0
        head = region.lowerBound
        chain = [head]
        tail = format.newLogBlock()
        tail.append(.free(region.lowerBound, region.upperBound - region.lowerBound))
        take(head)
        tail.append(.alloc(head))
    }

    /// `logsz` of the tail block: where its next entry goes.
    public var tailLogsz: Int { tail.logsz }

    /// Size of the allocatable region in bytes.
    public var size: Int64 { region.upperBound - region.lowerBound }

    /// Takes the lowest available block out of both maps without logging it.
    mutating func takeLowest() -> Int64? {
        let i = available.nextSet(from: cursor)
        guard i < available.count else { cursor = available.count; return nil }
        cursor = i + 1
        let addr = free.start + Int64(i) * Format.blockSize64
        take(addr)
        return addr
    }

    mutating func take(_ addr: Int64) {
        let r = free.indices(addr, Format.blockSize64)!
        if available[r.lowerBound] { availableBlocks -= 1 }
        free.clear(r); available.clear(r)
        used += Format.blockSize64
    }

    /// Appends an entry (§8.4): when the tail is full, first allocates a new log block, records
    /// its LogAlloc1 and a LogChain in the old tail, and continues in the new block.
    mutating func append(_ e: LogEntry) throws {
        if tail.isFull {
            guard let n = takeLowest() else { throw AllocationError.arenaFull(arena: index) }
            tail.append(.alloc(n))
            tail.chain(to: n)
            written[chain.last!] = tail.finished()
            chain.append(n)
            tail = format.newLogBlock()
        }
        tail.append(e)
    }

    /// Allocates the lowest available block and logs it, keeping `reserve` blocks back for the
    /// log's own growth. Nil when the arena has no more than `reserve` available blocks.
    public mutating func alloc(reserve: Int = 0) throws -> Int64? {
        guard availableBlocks > reserve, let addr = takeLowest() else { return nil }
        try append(.alloc(addr))
        return addr
    }

    /// Frees an allocated block and logs it; the block is not handed out again before a sync.
    public mutating func free(_ addr: Int64) throws {
        guard let r = free.indices(addr, Format.blockSize64), !free[r.lowerBound] else {
            throw AllocationError.badFree(addr)
        }
        try append(.free(addr))
        free.set(r)
        used -= Format.blockSize64
    }

    /// Appends the barrier `LogSync gen` (pass 0 of §10); blocks freed before it become available.
    public mutating func sync(_ gen: UInt64) throws {
        try append(.sync(gen))
        written[chain.last!] = tail.finished()
        available = free
        availableBlocks = free.setCount
        cursor = 0
    }

    /// The latest contents of every log block written, by address.
    public func logBlockContents() -> [(addr: Int64, block: [UInt8])] {
        var out = written
        out[chain.last!] = tail.finished()
        return out.keys.sorted().map { ($0, out[$0]!) }
    }

    /// The arena copy (header and footer) for the log as it stands: `loghd`, the head block's
    /// block hash, `size` and `used`.
    public func copy() -> ArenaCopy {
        let headBlock = head == chain.last! ? tail.finished() : written[head]!
        return ArenaCopy(loghd: head, loghdHash: format.hash(headBlock), size: size, used: used)
    }

    // MARK: Compression

    /// Splits entries into log blocks by the append rule of §8.4 (a new block once
    /// `logsz >= Logspc − Logslop`), leaving room for each block's terminator.
    static func blocksNeeded(_ entries: [LogEntry], _ format: any DiskFormat) -> [[LogEntry]] {
        var out: [[LogEntry]] = [[]]
        var b = format.newLogBlock()
        for e in entries {
            if b.isFull { out.append([]); b = format.newLogBlock() }
            b.append(e)
            out[out.count - 1].append(e)
        }
        return out
    }

    /// The free map as log entries: one LogFree (or LogFree1) per free extent.
    func freeEntries() -> [LogEntry] { free.extents.map { LogEntry.free($0.addr, $0.len) } }

    /// Live compression (§8.4): rewrites the log as the current free map. A fresh empty tail
    /// `g` is allocated first, then the blocks of the new log; the free map is captured, written
    /// as LogFree entries chained across the new blocks, ending with `LogChain g`. The old log's
    /// blocks are then freed, the frees logged in `g`, and they stay unavailable until the next
    /// sync (the header's `loghd` changes only then). Returns false, changing nothing, when the
    /// arena lacks the blocks or the new log would not be shorter.
    @discardableResult
    public mutating func compress() throws -> Bool {
        guard chain.count > 1 else { return false }
        let estimate = ArenaLog.blocksNeeded(freeEntries(), format).count
        // Room for the new blocks, the tail, and possibly one more block of the old log.
        guard estimate + 1 < chain.count, availableBlocks > estimate + 3 else { return false }
        guard let g = try alloc() else { return false }
        var blocks: [Int64] = []
        var groups = ArenaLog.blocksNeeded(freeEntries(), format)
        while groups.count > blocks.count {
            guard let n = try alloc() else { throw AllocationError.arenaFull(arena: index) }
            blocks.append(n)
            groups = ArenaLog.blocksNeeded(freeEntries(), format)
        }
        // Allocating can only shrink the extents, so a spare block keeps an empty group.
        while groups.count < blocks.count { groups.append([]) }
        let old = chain
        for (i, addr) in blocks.enumerated() {
            var b = format.newLogBlock()
            for e in groups[i] { b.append(e) }
            b.chain(to: i + 1 < blocks.count ? blocks[i + 1] : g)
            written[addr] = b.finished()
        }
        // The old log is not written again: its committed contents are on disk already.
        for addr in old { written[addr] = nil }
        head = blocks[0]
        chain = blocks + [g]
        tail = format.newLogBlock()
        for addr in old { try free(addr) }
        return true
    }
}

/// Hands out blocks over every arena of an image.
///
/// FORMAT.md leaves placement to the writer. This one is deterministic: data and tree blocks go
/// to the arenas in turn, `run` allocations at a time (allocation `k` goes to arena
/// `(k / run) mod narena`; a full arena passes its turn to the next), and within an arena to the
/// lowest available address. Log blocks come from their own arena. Every arena keeps `reserve`
/// blocks back so that its log can always grow by the entries still to come.
public struct Allocator {
    public private(set) var arenas: [ArenaLog]
    /// Data and tree allocations made so far.
    public private(set) var allocations = 0
    /// Allocations per turn of an arena.
    public static let run = 8
    /// Blocks each arena keeps for its log.
    public static let reserve = 2

    public init(arenas: [ArenaLog]) { self.arenas = arenas }

    /// The arena whose region holds `addr`.
    public func arena(containing addr: Int64) -> Int? {
        arenas.firstIndex { $0.region.contains(addr) }
    }

    /// Allocates one block and logs it in its arena.
    public mutating func alloc() throws -> Int64 {
        let first = (allocations / Allocator.run) % arenas.count
        for t in 0..<arenas.count {
            let i = (first + t) % arenas.count
            if let addr = try arenas[i].alloc(reserve: Allocator.reserve) {
                allocations += 1
                return addr
            }
        }
        throw AllocationError.full(allocated: allocations)
    }

    /// Frees a block in the arena that holds it.
    public mutating func free(_ addr: Int64) throws {
        guard let i = arena(containing: addr) else { throw AllocationError.badFree(addr) }
        try arenas[i].free(addr)
    }

    /// Appends `LogSync gen` to every arena's log.
    public mutating func sync(_ gen: UInt64) throws {
        for i in arenas.indices { try arenas[i].sync(gen) }
    }

    /// Compresses every arena's log whose chain is longer than `maxBlocks` (see `ArenaLog.compress`).
    public mutating func compressLogs(longerThan maxBlocks: Int) throws {
        for i in arenas.indices where arenas[i].chain.count > maxBlocks { try arenas[i].compress() }
    }

    /// Blocks that can still be handed out for data, over all arenas.
    public var availableBlocks: Int {
        arenas.reduce(0) { $0 + max(0, $1.availableBlocks - Allocator.reserve) }
    }
}
