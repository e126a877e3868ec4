/// The one way any tool makes changes durable: FORMAT.md §10's four passes (FORMAT-9FRONT.md
/// §10's order for our writers is the same).
///
/// 0. every queued block (data, tree, log) — the logs already end in `LogSync g`;
/// 1. every arena header;
/// 2. `sb0`, then `sb1`;
/// 3. every arena footer.
///
/// A flush separates the passes so that no write of a later pass reaches the disk before the
/// earlier pass is durable. The caller guarantees that no queued block overwrites a block the
/// committed state still counts as allocated.
public struct SyncWriter {
    public let device: BlockDevice
    /// The format the superblock and arena copies are written in.
    public let format: any DiskFormat
    /// Pass-0 blocks, written in address order.
    public private(set) var blocks: [Int64: [UInt8]] = [:]

    public init(device: BlockDevice, format: any DiskFormat) { self.device = device; self.format = format }

    /// Queues a block for pass 0; a later queueing of the same address replaces it.
    public mutating func queue(_ block: [UInt8], at addr: Int64) {
        precondition(block.count == Format.blockSize && addr % Format.blockSize64 == 0)
        blocks[addr] = block
    }

    /// Writes everything in §10's order. `arenas[i]` is arena i's new copy; `superblock.arenas`
    /// is filled in with their hashes (the header addresses it holds are the format's).
    /// Returns the superblock as written.
    @discardableResult
    public func commit(superblock: Superblock, arenas: [ArenaCopy]) throws -> Superblock {
        precondition(arenas.count == superblock.narena)
        var sb = superblock
        let copies = arenas.map { $0.encodeBlock() }
        let at = copies.indices.map { format.arenaCopyAddresses(sb, $0) }
        sb.arenas = copies.indices.map { Superblock.ArenaRef(addr: at[$0].header, hash: format.hash(copies[$0])) }
        for addr in blocks.keys.sorted() { try device.write(blocks[addr]!, at: addr) }
        try device.flush()
        for (i, c) in copies.enumerated() { try device.write(c, at: at[i].header) }
        try device.flush()
        let sbBlock = format.encodeSuperblock(sb)
        try device.write(sbBlock, at: 0)
        try device.flush()
        try device.write(sbBlock, at: format.backupSuperblockAddress(for: sb, blockCount: device.blockCount))
        try device.flush()
        for (i, c) in copies.enumerated() { try device.write(c, at: at[i].footer) }
        try device.flush()
        return sb
    }
}
