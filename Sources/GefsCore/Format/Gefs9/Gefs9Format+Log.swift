/// gefs9.00 allocation-log blocks (FORMAT-9FRONT.md §8.1, §8.2, §8.5): a 36-byte header
/// `type[2] logsz[2] logh[8] logp[24]`, then `logsz` bytes of entries from entry offset 0. There
/// is no terminator word and no LogChain: the chain is the header's `logp`.
///
/// Ops map onto `LogOp` by meaning — 1 alloc1, 2 free1, 3 sync, 4 `.alloc`, 5 `.free` (two
/// words) — while `LogEntry.word`/`word2` keep the raw gefs9.00 words. `.chain` and `.end` are
/// gefs8.00 entries and never appear here.
extension Gefs9Format {
    /// gefs9.00's op numbers (§8.2).
    public enum Op: UInt8, Sendable {
        case nop = 0, alloc1 = 1, free1 = 2, sync = 3, alloc = 4, free = 5
    }

    /// An entry as gefs9.00 stores it (`LogEntry.sync(gen)` is the same word in both formats): `.alloc`/`.free` are two-wide (ops 4/5) whatever `len`
    /// is — ream's `LogAlloc(L, B)` — and `.alloc1`/`.free1` one word of `addr | op`.
    public static func entry(_ op: LogOp, _ addr: Int64, _ len: Int64 = Format.blockSize64) -> LogEntry {
        switch op {
        case .alloc1, .free1:
            let raw: Op = op == .alloc1 ? .alloc1 : .free1
            return LogEntry(op: op, addr: addr, len: blockSize64, word: UInt64(bitPattern: addr) | UInt64(raw.rawValue))
        case .alloc, .free:
            let raw: Op = op == .alloc ? .alloc : .free
            return LogEntry(op: op, addr: addr, len: len, word: UInt64(bitPattern: addr) | UInt64(raw.rawValue),
                            word2: UInt64(bitPattern: len))
        case .sync, .chain, .end, .nop:
            preconditionFailure("\(op) is not an address entry of gefs9.00")
        }
    }

    /// Whether `logsz` is one a log or deadlist block may hold: a multiple of 8, at most 16348.
    public static func logszIsValid(_ logsz: Int) -> Bool { logsz >= 0 && logsz <= logSpace && logsz % 8 == 0 }

    /// The body hash `H(bytes 36 ..< 36 + logsz)`. For a `logsz` past the entry area, the hash
    /// of the whole entry area (such a block is rejected anyway; the value only has to exist).
    static func bodyHash(_ b: [UInt8], logsz: Int) -> UInt64 {
        hash(b, logHeaderSize..<logHeaderSize + min(max(logsz, 0), logSpace))
    }

    // MARK: Reading

    /// `logsz`, the stored `logh`, the body hash over `logsz` bytes, and `next` = `logp.addr`
    /// (−1 in the last block). Throws when the block is not a whole Tlog block.
    public func logHeader(_ block: [UInt8]) throws -> LogBlockHeader {
        guard block.count == Gefs9Format.blockSize else {
            throw FormatError.truncated("log block", needed: Gefs9Format.blockSize, available: block.count)
        }
        let t = block.u16(at: 0)
        guard t == BlockType.log.rawValue else { throw FormatError.wrongType(expected: .log, found: t) }
        let logsz = Int(block.u16(at: 2))
        return LogBlockHeader(logsz: logsz, storedHash: block.u64(at: 4),
                              computedHash: Gefs9Format.bodyHash(block, logsz: logsz), next: block.s64(at: 12))
    }

    /// The entries from offset 0 to `logsz`, then `.next(logp.addr)` or, when `logp.addr` is −1,
    /// `.last(offset: logsz)`. LogNop and ops 6…255 end the walk with `.badOp`; a two-wide entry
    /// whose second word would lie at or past `logsz` ends it with `.straddle`.
    ///
    /// A `logsz` above 16348 or not a multiple of 8 cannot be trusted to say where the entries
    /// end: the walk yields nothing but `.badLogsz(logsz)`, and readers stop that arena's replay
    /// (§8.1: the block is not a valid log block). A block too short to be a block yields
    /// `.badOp` at offset 0.
    public func walkLog(_ block: [UInt8], _ visit: (LogStep) -> Bool) {
        let H = Gefs9Format.logHeaderSize
        guard block.count == Gefs9Format.blockSize else { _ = visit(.badOp(offset: 0, word: 0)); return }
        let logsz = Int(block.u16(at: 2))
        guard Gefs9Format.logszIsValid(logsz) else { _ = visit(.badLogsz(logsz)); return }
        var o = 0
        while o < logsz {
            let w = block.u64(at: H + o)
            let addr = Int64(bitPattern: w & ~0xff)
            let step: LogStep
            switch Op(rawValue: UInt8(w & 0xff)) {
            case .alloc1?:
                step = .entry(offset: o, LogEntry(op: .alloc1, addr: addr, len: Gefs9Format.blockSize64, word: w)); o += 8
            case .free1?:
                step = .entry(offset: o, LogEntry(op: .free1, addr: addr, len: Gefs9Format.blockSize64, word: w)); o += 8
            case .sync?:
                step = .entry(offset: o, LogEntry(op: .sync, addr: 0, len: 0, word: w)); o += 8
            case .alloc?, .free?:
                guard o + 16 <= logsz else { _ = visit(.straddle(offset: o, word: w)); return }
                let w2 = block.u64(at: H + o + 8)
                let op: LogOp = w & 0xff == UInt64(Op.alloc.rawValue) ? .alloc : .free
                step = .entry(offset: o, LogEntry(op: op, addr: addr, len: Int64(bitPattern: w2), word: w, word2: w2)); o += 16
            case .nop?, nil:
                _ = visit(.badOp(offset: o, word: w)); return
            }
            guard visit(step) else { return }
        }
        let next = block.s64(at: 12)
        _ = visit(next == Format.none ? .last(offset: logsz) : .next(next))
    }

    // MARK: Writing

    public func newLogBlock() -> any LogBlockWriter { Gefs9LogBlockWriter() }

    public func resumeLogBlock(_ block: [UInt8], at logsz: Int) -> any LogBlockWriter {
        Gefs9LogBlockWriter(block: block, at: logsz)
    }

    /// The words an entry is stored as: `.alloc1`/`.free1` one word with op 1/2, `.alloc`/`.free`
    /// two with op 4/5 (even for one block), `.sync` `gen << 8 | 3`. LogChain, LogEnd and LogNop
    /// are not gefs9.00 entries: a precondition fails.
    public func encode(_ e: LogEntry) -> [UInt64] { Gefs9Format.words(e) }

    /// The two-wide LogFree (op 5) whatever the length, even one block (§8.4 step 3, §8.5).
    public func compactFree(_ addr: Int64, _ len: Int64) -> LogEntry { Gefs9Format.entry(.free, addr, len) }

    /// −1 once the log was rewritten (the genuine compression's value); otherwise whatever the
    /// previous copy held (§7: nothing reads it).
    public func logHeadHash(_ head: [UInt8], previous: UInt64?) -> UInt64 { previous ?? UInt64.max }

    /// Stores the body hash over the `logsz` the header holds.
    public func sealLogBlock(_ block: inout [UInt8]) {
        block.put(Gefs9Format.bodyHash(block, logsz: Int(block.u16(at: 2))), at: 4)
    }

    static func words(_ e: LogEntry) -> [UInt64] {
        let a = UInt64(bitPattern: e.addr) & ~0xff
        switch e.op {
        case .alloc1: return [a | UInt64(Op.alloc1.rawValue)]
        case .free1: return [a | UInt64(Op.free1.rawValue)]
        case .sync: return [e.gen << 8 | UInt64(Op.sync.rawValue)]
        case .alloc: return [a | UInt64(Op.alloc.rawValue), UInt64(bitPattern: e.len)]
        case .free: return [a | UInt64(Op.free.rawValue), UInt64(bitPattern: e.len)]
        case .chain, .end, .nop: preconditionFailure("\(e.op) is not a gefs9.00 log entry (the chain is the header's logp)")
        }
    }

    /// Bytes an entry takes in gefs9.00, nil for the ops gefs9.00 does not have.
    static func byteCount(_ e: LogEntry) -> Int? {
        switch e.op {
        case .alloc1, .free1, .sync: return 8
        case .alloc, .free: return 16
        case .chain, .end, .nop: return nil
        }
    }
}

/// Lays out one gefs9.00 log block as our writers do (§8.1, §8.5): entries packed from offset 0,
/// an exact `logsz`, `logh` over them, `logp` `(next, −1, −1)` or `(−1, −1, −1)`, zeros past
/// `logsz`.
public struct Gefs9LogBlockWriter: LogBlockWriter {
    public private(set) var block: [UInt8]
    public private(set) var logsz: Int
    /// `logp.addr`: the next block of the chain, −1 in the last.
    public private(set) var next: Int64 = Format.none

    /// An empty log block.
    public init() {
        block = .zeroBlock()
        block.put(BlockType.log.rawValue, at: 0)
        logsz = 0
    }

    /// Resumes appending to `block` at entry offset `logsz`: the entries before it are kept, the
    /// bytes from it on are zeroed, and `logp` becomes (−1, −1, −1) — whatever followed, chained
    /// blocks included, is given up, as when the genuine loader resumes at its barrier (§8.4).
    /// `logsz` must be a multiple of 8 within the entry area.
    public init(block: [UInt8], at logsz: Int) {
        precondition(block.count == Gefs9Format.blockSize, "a log block is \(Gefs9Format.blockSize) bytes")
        precondition(Gefs9Format.logszIsValid(logsz), "logsz \(logsz) is not a multiple of 8 within the entry area")
        var b = [UInt8].zeroBlock()
        b.replaceSubrange(0..<Gefs9Format.logHeaderSize + logsz, with: block[0..<Gefs9Format.logHeaderSize + logsz])
        b.put(BlockType.log.rawValue, at: 0)
        self.block = b
        self.logsz = logsz
    }

    /// A writer starts a new block before the next append once `logsz >= 16308` (§8.4).
    public var isFull: Bool { logsz >= Gefs9Format.logFullAt }

    public func fits(_ e: LogEntry) -> Bool {
        guard let n = Gefs9Format.byteCount(e) else { return false }
        return logsz + n <= Gefs9Format.logSpace
    }

    public mutating func append(_ e: LogEntry) {
        precondition(fits(e), "log block overflow (logsz \(logsz), \(e))")
        for w in Gefs9Format.words(e) {
            block.put(w, at: Gefs9Format.logHeaderSize + logsz)
            logsz += 8
        }
    }

    public mutating func chain(to next: Int64) { self.next = next }

    public func finished() -> [UInt8] {
        var b = block
        b.put(UInt16(logsz), at: 2)
        b.put(Gefs9Format.bodyHash(b, logsz: logsz), at: 4)
        b.put(next, at: 12)
        b.put(UInt64.max, at: 20)
        b.put(Int64(-1), at: 28)
        return b
    }
}
