import GefsCore

/// Images whose one arena holds a long, valid allocation log and nothing else, for benchmarks and
/// tests of the log tools (gefs-logdump, gefs-replay). The log is written by `ArenaLog`, the
/// same §8.4 writer mkgefs uses, driven by a seeded pseudo-random workload of single-block
/// allocations and frees with a barrier every `syncEvery` entries. The image has no trees: its
/// superblock's snapshot root is null, so it is not a file system gefs-fsck accepts.
public struct SyntheticLog {
    /// Entries to write at least (allocations, frees and barriers; the log's own LogAlloc1 and
    /// LogChain entries come on top).
    public var entries: Int
    /// Blocks in the arena's allocatable region.
    public var regionBlocks: Int
    /// Data blocks allocated at most at once.
    public var maxLive: Int
    public var syncEvery: Int
    public var seed: UInt64

    /// A workload of `entries` entries in an arena big enough for its log and `maxLive` blocks.
    public init(entries: Int, maxLive: Int = 16384, syncEvery: Int = 1000, seed: UInt64 = 1) {
        self.entries = entries
        self.maxLive = maxLive
        self.syncEvery = syncEvery
        self.seed = seed
        // Blocks freed since the last barrier cannot be handed out again before the next one;
        // one log block holds about 2000 one-word entries; keep room to spare.
        regionBlocks = maxLive + syncEvery + entries / 1500 + 256
    }

    /// Bytes the image needs: sb0, the arena (header, region, footer), sb1.
    public var imageSize: Int64 { Int64(regionBlocks + 4) * Format.blockSize64 }

    /// Writes the image to `device` (at least `imageSize` bytes) through the sync writer;
    /// returns the superblock written.
    @discardableResult
    public func write(to device: BlockDevice) throws -> Superblock {
        let B = Format.blockSize64
        let arenasz = Int64(regionBlocks + 2) * B
        var log = ArenaLog(format: Gefs8Format(), index: 0, region: 2 * B ..< B + arenasz - B)
        var rng = SplitMix64(seed: seed)
        var live: [Int64] = []
        var gen: UInt64 = 1
        try log.sync(gen)
        var written = 3
        while written < entries {
            let r = rng.next() % 100
            if live.count < 64 || (r < 55 && live.count < maxLive), let a = try log.alloc(reserve: 4) {
                live.append(a)
            } else if !live.isEmpty {
                let k = Int(rng.next() % UInt64(live.count))
                try log.free(live[k])
                live.swapAt(k, live.count - 1)
                live.removeLast()
            }
            written += 1
            if written % syncEvery == 0 {
                gen += 1
                try log.sync(gen)
                written += 1
            }
        }
        gen += 1
        try log.sync(gen)
        var w = SyncWriter(device: device, format: Gefs8Format())
        for (addr, block) in log.logBlockContents() { w.queue(block, at: addr) }
        let sb = Superblock(narena: 1, snapHeight: 1, snapRoot: .null, nextqid: 3, nextgen: 3, qgen: gen,
                            arenasz: arenasz, fssize: B + arenasz + B,
                            arenas: [Superblock.ArenaRef(addr: B, hash: 0)])
        return try w.commit(superblock: sb, arenas: [log.copy()])
    }
}
