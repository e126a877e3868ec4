/// One gefs9.00 arena as mkgefs builds it in a single commit (FORMAT-9FRONT.md §8.5, §11): the
/// state ream leaves, the blocks a populate adds, and the log that commits both.
///
/// Nothing of the image is committed while mkgefs writes it (every superblock location was
/// zeroed first), so the log is laid out once, at the end, from the set of blocks added: ream's
/// block `L` keeps ream's entries and goes on with the added blocks in address order (one
/// `LogAlloc1` per lone block, one `LogAlloc` per run), chaining new blocks from the top of the
/// free map with their `LogAlloc1` in the block before, as the genuine writer does (§8.4); it
/// ends with `LogSync gen`. When the free map as `LogFree` ranges takes fewer blocks, the log is
/// written compressed instead (§8.4's form: `L` and, if needed, the lowest free blocks, every
/// free range ascending, the barrier; `loghd.hash` −1).
public struct Arena9Log {
    public let index: Int
    /// The arena header's address; the footer is the next block.
    public let header: Int64
    /// `size` of the arena copy: the region plus the two tail blocks.
    public let size: Int64
    /// The allocatable region `hd + 2·B ..< hd + size`.
    public let region: Range<Int64>
    /// Ream's log block `L = hd + 2·B`.
    public var logBlock: Int64 { region.lowerBound }
    /// A set bit is a free block.
    public private(set) var free: BlockBitmap
    /// A set bit is a block the populate allocated (to be logged).
    public private(set) var added: BlockBitmap
    /// Ream's final log block (§11), with the stale barrier word past `logsz` where ream left it.
    public private(set) var reamLog: [UInt8]
    /// Block hash of ream's first version of `L`: the arena copies' `loghd.hash` after ream.
    public let reamLogHash: UInt64
    /// Bytes allocated, the two tail blocks included (§7).
    public private(set) var used: Int64
    /// Free blocks that allocation leaves alone: the genuine allocator's reserve plus `spare`.
    public let keep: Int
    /// Lowest index that may be free (allocation is lowest first).
    var cursor = 0
    var freeBlocks: Int

    static let format = Gefs9Format()
    static var B: Int64 { Format.blockSize64 }

    /// The arena as ream's `initarena` and `loadlog` leave it: `L` allocated by
    /// `LogFree(L, size − 2·B)`, `LogAlloc(L, B)`; the first version's `LogSync 0` replayed away.
    public init(index: Int, header: Int64, size: Int64, spare: Int) {
        let B = Arena9Log.B
        self.index = index; self.header = header; self.size = size
        region = header + 2 * B ..< header + size
        free = BlockBitmap(covering: region, filled: true)
        added = BlockBitmap(covering: region)
        freeBlocks = free.count
        used = 2 * B
        keep = Int(Gefs9Format.reserve(arenaSize: size) / B) + spare
        let L = region.lowerBound
        var first = Gefs9LogBlockWriter()
        first.append(Gefs9Format.entry(.free, L, size - 2 * B))
        first.append(Gefs9Format.entry(.alloc, L, B))
        first.append(.sync(0))
        let v1 = first.finished()
        reamLogHash = Arena9Log.format.hash(v1)
        // Replay stops at LogSync 0 and resumes there: logsz 32, the barrier word left behind.
        reamLog = v1
        reamLog.put(UInt16(32), at: 2)
        Arena9Log.format.sealLogBlock(&reamLog)
        take(L)
    }

    mutating func take(_ addr: Int64) {
        let r = free.indices(addr, Arena9Log.B)!
        precondition(free[r.lowerBound], "\(hex(addr)) is not free")
        free.clear(r)
        freeBlocks -= 1
        used += Arena9Log.B
    }

    /// Ream's own allocations (§11): taken and appended to `L` as `LogAlloc1`, over the stale
    /// barrier word, exactly as ream does.
    public mutating func reamAllocate(_ addr: Int64) {
        take(addr)
        let logsz = Int(reamLog.u16(at: 2))
        reamLog.put(UInt64(bitPattern: addr) | UInt64(Gefs9Format.Op.alloc1.rawValue), at: Gefs9Format.logHeaderSize + logsz)
        reamLog.put(UInt16(logsz + 8), at: 2)
        Arena9Log.format.sealLogBlock(&reamLog)
    }

    /// Blocks that allocation may still hand out.
    public var available: Int { max(0, freeBlocks - keep) }

    /// The lowest free block, taken for the populate; nil when only `keep` blocks are left.
    public mutating func allocate() -> Int64? {
        guard freeBlocks > keep else { return nil }
        let i = free.nextSet(from: cursor)
        guard i < free.count else { return nil }
        cursor = i + 1
        let addr = free.start + Int64(i) * Arena9Log.B
        take(addr)
        added[i] = true
        return addr
    }

    /// Takes the free block `addr` for the populate (placement other than lowest first).
    /// False when it is not a free block of the region.
    @discardableResult
    public mutating func allocate(at addr: Int64) -> Bool {
        guard let r = free.indices(addr, Arena9Log.B), free[r.lowerBound] else { return false }
        take(addr)
        added[r.lowerBound] = true
        return true
    }

    /// The arena copy ream writes: `loghd = (L, first version's hash)`, `used` as replayed.
    public var reamCopy: ArenaCopy { ArenaCopy(loghd: logBlock, loghdHash: reamLogHash, size: size, used: used) }

    // MARK: The committed log

    /// The log that commits everything added, ending with `LogSync gen`: its blocks in chain
    /// order and the arena copy for it. Takes the log's extra blocks out of the free map. Throws
    /// `AllocationError.arenaFull` when that would leave no more than the genuine allocator's
    /// reserve free.
    public mutating func commitLog(gen: UInt64) throws -> (blocks: [(addr: Int64, block: [UInt8])], copy: ArenaCopy, compressed: Bool) {
        var plain = self
        let appended = try plain.appendedLog(gen: gen)
        var packed = self
        let compressed = try packed.compressedLog(gen: gen)
        let useCompressed = compressed.count < appended.count
        self = useCompressed ? packed : plain
        let blocks = useCompressed ? compressed : appended
        guard freeBlocks > Int(Gefs9Format.reserve(arenaSize: size) / Arena9Log.B) else {
            throw AllocationError.arenaFull(arena: index)
        }
        let copy = ArenaCopy(loghd: logBlock, loghdHash: useCompressed ? UInt64.max : reamLogHash, size: size, used: used)
        return (blocks, copy, useCompressed)
    }

    /// The added blocks as entries in address order: `LogAlloc1` for a lone block, `LogAlloc`
    /// for a run.
    func addedEntries() -> [LogEntry] {
        added.extents.map { LogEntry.alloc($0.addr, $0.len) }
    }

    /// The highest free block, taken for a new log block (§8.4: the genuine writer takes log
    /// blocks from the top of the free map).
    mutating func takeHighest() throws -> Int64 {
        var i = free.count - 1
        while i >= 0, !free[i] { i -= 1 }
        guard i >= 0 else { throw AllocationError.arenaFull(arena: index) }
        let addr = free.start + Int64(i) * Arena9Log.B
        take(addr)
        return addr
    }

    /// Ream's `L` resumed at its `logsz`, then the added blocks and the barrier, chained as the
    /// genuine writer chains (§8.4).
    mutating func appendedLog(gen: UInt64) throws -> [(addr: Int64, block: [UInt8])] {
        var out: [(addr: Int64, block: [UInt8])] = []
        var at = logBlock
        var tail = Gefs9LogBlockWriter(block: reamLog, at: Int(reamLog.u16(at: 2)))
        for e in addedEntries() + [.sync(gen)] {
            if tail.isFull {
                let n = try takeHighest()
                tail.append(.alloc(n))
                tail.chain(to: n)
                out.append((at, tail.finished()))
                at = n
                tail = Gefs9LogBlockWriter()
            }
            tail.append(e)
        }
        out.append((at, tail.finished()))
        return out
    }

    /// The free map as two-wide `LogFree` ranges in `L` and as many of the lowest free blocks
    /// as they need (allocated by not being freed), then the barrier.
    mutating func compressedLog(gen: UInt64) throws -> [(addr: Int64, block: [UInt8])] {
        var extra: [Int64] = []
        while true {
            var map = free
            for a in extra { map.clear(map.indices(a, Arena9Log.B)!) }
            let entries = map.extents.map { Gefs9Format.entry(.free, $0.addr, $0.len) } + [.sync(gen)]
            var groups: [[LogEntry]] = [[]]
            var b = Gefs9LogBlockWriter()
            for e in entries {
                if b.isFull { groups.append([]); b = Gefs9LogBlockWriter() }
                b.append(e)
                groups[groups.count - 1].append(e)
            }
            if groups.count <= extra.count + 1 {
                for a in extra { take(a) }
                let addrs = [logBlock] + extra
                var out: [(addr: Int64, block: [UInt8])] = []
                for (i, addr) in addrs.enumerated() {
                    var w = Gefs9LogBlockWriter()
                    for e in i < groups.count ? groups[i] : [] { w.append(e) }
                    if i + 1 < addrs.count { w.chain(to: addrs[i + 1]) }
                    out.append((addr, w.finished()))
                }
                return out
            }
            let i = map.nextSet(from: 0)
            guard i < map.count else { throw AllocationError.arenaFull(arena: index) }
            extra.append(map.start + Int64(i) * Arena9Log.B)
        }
    }
}
