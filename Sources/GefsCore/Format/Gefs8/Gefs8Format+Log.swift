/// gefs8.00's allocation-log blocks (FORMAT.md §8.1, §8.2): a 12-byte header (type, logsz,
/// loghash over the whole data area), entries from data offset 8, ended by a LogEnd or a
/// LogChain word at `logsz`. Offsets are data-area offsets.
extension Gefs8Format {
    /// Data offset of the last word that fits.
    static let lastWord = logSpace - 8
    /// A writer starts a new log block when `logsz >= logSpace − logSlop` (§8.4).
    static let logSlop = Format.logSlop

    /// The data-area offset `o` as a block offset.
    @inlinable static func blockOffset(_ o: Int) -> Int { logHeaderSize + o }

    public var logHeaderSize: Int { Gefs8Format.logHeaderSize }
    public var lastLogsz: Int { Gefs8Format.lastWord / 8 * 8 }

    public func logHeader(_ b: [UInt8]) throws -> LogBlockHeader {
        guard b.count == Format.blockSize else { throw FormatError.truncated("log block", needed: Format.blockSize, available: b.count) }
        let t = b.u16(at: 0)
        guard t == BlockType.log.rawValue else { throw FormatError.wrongType(expected: .log, found: t) }
        return LogBlockHeader(logsz: Int(b.u16(at: 2)), storedHash: b.u64(at: 4), computedHash: loghash(b))
    }

    /// The log hash of a block: XXH3 of bytes 12 ..< 16384.
    func loghash(_ b: [UInt8]) -> UInt64 { hash(b, Gefs8Format.logHeaderSize..<Format.blockSize) }

    /// Walks the words from data offset 8 up to and including the terminator. Pure: it
    /// interprets words, it does not judge addresses (that is replay's job).
    public func walkLog(_ block: [UInt8], _ visit: (LogStep) -> Bool) {
        var at = Gefs8Format.logReserved
        while true {
            guard at <= Gefs8Format.lastWord else { _ = visit(.noTerminator); return }
            let w = block.u64(at: Gefs8Format.blockOffset(at))
            let addr = Int64(bitPattern: w & ~0xff)
            guard let op = LogOp(rawValue: UInt8(w & 0xff)), op != .nop else { _ = visit(.badOp(offset: at, word: w)); return }
            switch op {
            case .alloc, .free:
                guard at + 8 <= Gefs8Format.lastWord else { _ = visit(.straddle(offset: at, word: w)); return }
                let w2 = block.u64(at: Gefs8Format.blockOffset(at + 8))
                guard visit(.entry(offset: at, LogEntry(op: op, addr: addr, len: Int64(bitPattern: w2), word: w, word2: w2))) else { return }
                at += 16
            case .alloc1, .free1:
                guard visit(.entry(offset: at, LogEntry(op: op, addr: addr, len: Format.blockSize64, word: w))) else { return }
                at += 8
            case .sync:
                guard visit(.entry(offset: at, LogEntry(op: op, addr: 0, len: 0, word: w))) else { return }
                at += 8
            case .chain:
                if visit(.entry(offset: at, LogEntry(op: op, addr: addr, len: 0, word: w))) { _ = visit(.next(addr)) }
                return
            case .end:
                if visit(.entry(offset: at, LogEntry(op: op, addr: 0, len: 0, word: w))) { _ = visit(.last(offset: at)) }
                return
            case .nop:
                _ = visit(.badOp(offset: at, word: w)); return
            }
        }
    }

    public func newLogBlock() -> any LogBlockWriter { Gefs8LogBlockWriter() }

    public func resumeLogBlock(_ block: [UInt8], at logsz: Int) -> any LogBlockWriter {
        Gefs8LogBlockWriter(block: block, logsz: logsz)
    }

    public func sealLogBlock(_ block: inout [UInt8]) { block.put(loghash(block), at: 4) }

    /// gefs8.00 entries are stored as their words (LogEntry's own encoding).
    public func encode(_ e: LogEntry) -> [UInt64] { e.words }

    /// LogFree1 for one block, LogFree for a longer extent (FORMAT.md §8.4).
    public func compactFree(_ addr: Int64, _ len: Int64) -> LogEntry { .free(addr, len) }

    /// The head block's block hash, advisory (FORMAT.md §7).
    public func logHeadHash(_ head: [UInt8], previous: UInt64?) -> UInt64 { hash(head) }
}

/// Lays out one gefs8.00 log block the way writers do (§8.4): entries appended at `logsz`, a
/// LogEnd word (or a LogChain) at `logsz`, not counted in it.
public struct Gefs8LogBlockWriter: LogBlockWriter {
    public private(set) var block: [UInt8]
    /// Data-area offset of the terminator.
    public private(set) var logsz: Int

    /// An empty log block: `logsz = 8`, a LogEnd at data offset 8.
    public init() {
        block = .zeroBlock()
        block.put(BlockType.log.rawValue, at: 0)
        logsz = Gefs8Format.logReserved
        putTerminator(.end)
    }

    /// Resumes appending to an existing block at data offset `logsz`.
    public init(block: [UInt8], logsz: Int) {
        self.block = block
        self.logsz = logsz
    }

    public var isFull: Bool { logsz >= Gefs8Format.logSpace - Gefs8Format.logSlop }

    /// Room left for entries, keeping one word for the terminator.
    public func fits(_ e: LogEntry) -> Bool { logsz + e.byteCount + 8 <= Gefs8Format.logSpace }

    /// Appends an entry and moves the LogEnd after it.
    public mutating func append(_ e: LogEntry) {
        precondition(fits(e), "log block overflow")
        for (i, w) in e.words.enumerated() { block.put(w, at: Gefs8Format.blockOffset(logsz + 8 * i)) }
        logsz += e.byteCount
        putTerminator(.end)
    }

    /// Replaces the terminator with a LogChain to `next`.
    public mutating func chain(to next: Int64) { putTerminator(.chain(next)) }

    mutating func putTerminator(_ e: LogEntry) {
        block.put(e.word, at: Gefs8Format.blockOffset(logsz))
        block.put(UInt16(logsz), at: 2)
    }

    /// The block with its loghash filled in.
    public func finished() -> [UInt8] {
        var b = block
        Gefs8Format().sealLogBlock(&b)
        return b
    }
}
