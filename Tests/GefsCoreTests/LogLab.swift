import XCTest
import GefsCore
import TestSupport

/// Small in-memory images with hand-made allocation logs, for the replay and rewrite tests:
/// `narena` arenas of 64 blocks (62 allocatable), no trees. Log blocks are laid out with
/// `LogBlockBuilder`, or word by word for shapes no writer makes.
struct LogLab {
    static let B = Format.blockSize64
    let narena: Int
    let arenasz: Int64 = 64 * LogLab.B
    let device: MemoryDevice

    init(narena: Int = 1) {
        self.narena = narena
        device = MemoryDevice(name: "lab.img", size: Int(LogLab.B + 64 * LogLab.B * Int64(narena) + LogLab.B))
    }

    var size: Int64 { arenasz - 2 * LogLab.B }
    func region(_ a: Int = 0) -> Range<Int64> {
        let base = LogLab.B + Int64(a) * arenasz
        return base + LogLab.B ..< base + arenasz - LogLab.B
    }
    /// Block `k` of arena `a`'s allocatable region.
    func blk(_ k: Int, arena a: Int = 0) -> Int64 { region(a).lowerBound + Int64(k) * LogLab.B }

    /// The first entries of a fresh log whose head is block 0: the whole region freed, the head allocated.
    func start(arena a: Int = 0) -> [LogEntry] { [.free(region(a).lowerBound, size), .alloc(blk(0, arena: a))] }

    /// A log block holding `entries`, ended by LogEnd or chained to `next`.
    static func logBlock(_ entries: [LogEntry], chain next: Int64? = nil) -> [UInt8] {
        var b = LogBlockBuilder()
        for e in entries { b.append(e) }
        if let next { b.chain(to: next) }
        return b.finished()
    }

    /// A log block of raw words from data offset 8, with `logsz` as given (default: the offset
    /// of the last word) and a correct loghash.
    static func rawBlock(_ words: [UInt64], logsz: Int? = nil) -> [UInt8] {
        var b = [UInt8].zeroBlock()
        b.put(BlockType.log.rawValue, at: 0)
        for (i, w) in words.enumerated() { b.put(w, at: LogBlock.blockOffset(8 + 8 * i)) }
        b.put(UInt16(logsz ?? 8 * words.count), at: 2)
        return rehash(b)
    }

    /// The block with its loghash recomputed (after a surgical edit).
    static func rehash(_ block: [UInt8]) -> [UInt8] {
        var b = block
        gefs8.sealLogBlock(&b)
        return b
    }

    func write(_ block: [UInt8], at addr: Int64) { try! device.write(block, at: addr) }

    /// Writes one chain of log blocks for arena `a` from `[(addr, entries)]`, each block chained to the next.
    func writeChain(_ blocks: [(Int64, [LogEntry])]) {
        for (i, (addr, entries)) in blocks.enumerated() {
            write(LogLab.logBlock(entries, chain: i + 1 < blocks.count ? blocks[i + 1].0 : nil), at: addr)
        }
    }

    /// Writes superblocks and arena copies (§10 order) and opens the image. `loghd[a]` defaults
    /// to block 0 of each arena; `used[a] == nil` takes what replay finds, so only the problem a
    /// test is about shows.
    @discardableResult
    func commit(qgen: UInt64, loghd: [Int64]? = nil, used: [Int64?]? = nil) throws -> Image {
        let heads = loghd ?? (0..<narena).map { blk(0, arena: $0) }
        func copies(_ u: [Int64]) -> [ArenaCopy] {
            (0..<narena).map { ArenaCopy(loghd: heads[$0], loghdHash: 0, size: size, used: u[$0]) }
        }
        let sb = Superblock(narena: narena, snapHeight: 1, snapRoot: .null, nextqid: 3, nextgen: 3, qgen: qgen,
                            arenasz: arenasz, fssize: Int64(device.size),
                            arenas: (0..<narena).map { Superblock.ArenaRef(addr: LogLab.B + Int64($0) * arenasz, hash: 0) })
        try SyncWriter(device: device, format: gefs8).commit(superblock: sb, arenas: copies([Int64](repeating: 0, count: narena)))
        let first = try Image(device: device)
        let replayed = (0..<narena).map { (used?[$0]) ?? Replay.arena(first, $0).used }
        try SyncWriter(device: device, format: gefs8).commit(superblock: sb, arenas: copies(replayed))
        return try Image(device: device)
    }
}

/// The codes of a list of problems, sorted.
func codes(_ problems: [Problem]) -> [String] { problems.map(\.code.id).sorted() }
