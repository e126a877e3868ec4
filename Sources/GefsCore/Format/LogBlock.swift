/// Allocation-log blocks (FORMAT.md §8.1): the header codec, a cursor over the entries, and a
/// builder that lays entries out as writers do.
public enum LogBlock {
    /// Offset of the first entry within the data area (after the reserved hash slot).
    public static let firstEntry = Format.logReserved
    /// Data offset of the last word that fits.
    public static let lastWord = Format.logSpace - 8

    public struct Header: Equatable, Sendable {
        public var logsz: Int
        public var loghash: UInt64
    }

    /// Reads the type and header; throws if the block is not a Tlog block.
    public static func header(_ b: [UInt8]) throws -> Header {
        guard b.count == Format.blockSize else { throw FormatError.truncated("log block", needed: Format.blockSize, available: b.count) }
        let t = b.u16(at: 0)
        guard t == BlockType.log.rawValue else { throw FormatError.wrongType(expected: .log, found: t) }
        return Header(logsz: Int(b.u16(at: 2)), loghash: b.u64(at: 4))
    }

    /// The log hash of a block: XXH3 of bytes 12 ..< 16384.
    public static func computedHash(_ b: [UInt8]) -> UInt64 {
        XXH3.hash(b, Format.logHeaderSize..<Format.blockSize)
    }

    /// The data-area offset `o` as a block offset.
    @inlinable public static func blockOffset(_ o: Int) -> Int { Format.logHeaderSize + o }
}

/// What a walk over one log block's words meets, in order.
public enum Gefs8LogStep: Equatable, Sendable {
    /// A well-formed entry at data offset `offset`.
    case entry(offset: Int, LogEntry)
    /// LogNop or an op above 7: the rest of the block cannot be read.
    case badOp(offset: Int, word: UInt64)
    /// A two-word entry whose second word would fall past the data area.
    case straddle(offset: Int, word: UInt64)
    /// The data area ended with no LogEnd or LogChain.
    case noTerminator
}

/// Iterates the entries of a log block from data offset 8 up to and including its terminator.
/// Pure: it interprets words, it does not judge addresses (that is replay's job).
public struct LogCursor: IteratorProtocol, Sequence {
    let block: [UInt8]
    public private(set) var offset = LogBlock.firstEntry
    var done = false

    public init(_ block: [UInt8]) { self.block = block }

    public mutating func next() -> Gefs8LogStep? {
        guard !done else { return nil }
        guard offset <= LogBlock.lastWord else { done = true; return .noTerminator }
        let at = offset
        let w = block.u64(at: LogBlock.blockOffset(at))
        let addr = Int64(bitPattern: w & ~0xff)
        guard let op = LogOp(rawValue: UInt8(w & 0xff)), op != .nop else {
            done = true; return .badOp(offset: at, word: w)
        }
        switch op {
        case .alloc, .free:
            guard at + 8 <= LogBlock.lastWord else { done = true; return .straddle(offset: at, word: w) }
            let w2 = block.u64(at: LogBlock.blockOffset(at + 8))
            offset += 16
            return .entry(offset: at, LogEntry(op: op, addr: addr, len: Int64(bitPattern: w2), word: w, word2: w2))
        case .alloc1, .free1:
            offset += 8
            return .entry(offset: at, LogEntry(op: op, addr: addr, len: Format.blockSize64, word: w))
        case .sync:
            offset += 8
            return .entry(offset: at, LogEntry(op: op, addr: 0, len: 0, word: w))
        case .chain, .end:
            done = true
            return .entry(offset: at, LogEntry(op: op, addr: op == .chain ? addr : 0, len: 0, word: w))
        case .nop:
            done = true; return .badOp(offset: at, word: w)
        }
    }
}

/// Lays out one log block the way writers do (§8.4): entries appended at `logsz`, a LogEnd
/// word (or a LogChain) at `logsz`, not counted in it.
public struct LogBlockBuilder {
    public private(set) var block: [UInt8]
    /// Data-area offset of the terminator.
    public private(set) var logsz: Int

    /// An empty log block: `logsz = 8`, a LogEnd at data offset 8.
    public init() {
        block = .zeroBlock()
        block.put(BlockType.log.rawValue, at: 0)
        logsz = LogBlock.firstEntry
        putTerminator(.end)
    }

    /// Resumes appending to an existing block at data offset `logsz`.
    public init(block: [UInt8], logsz: Int) {
        self.block = block
        self.logsz = logsz
    }

    /// Whether a writer must start a new block before the next append (§8.4).
    public var isFull: Bool { logsz >= Format.logSpace - Format.logSlop }

    /// Room left for entries, keeping one word for the terminator.
    public func fits(_ e: LogEntry) -> Bool { logsz + e.byteCount + 8 <= Format.logSpace }

    /// Appends an entry and moves the LogEnd after it.
    public mutating func append(_ e: LogEntry) {
        precondition(fits(e), "log block overflow")
        for (i, w) in e.words.enumerated() { block.put(w, at: LogBlock.blockOffset(logsz + 8 * i)) }
        logsz += e.byteCount
        putTerminator(.end)
    }

    /// Replaces the terminator with a LogChain to `next`.
    public mutating func chain(to next: Int64) { putTerminator(.chain(next)) }

    mutating func putTerminator(_ e: LogEntry) {
        block.put(e.word, at: LogBlock.blockOffset(logsz))
        block.put(UInt16(logsz), at: 2)
    }

    /// The block with its loghash filled in.
    public func finished() -> [UInt8] {
        var b = block
        b.put(LogBlock.computedHash(b), at: 4)
        return b
    }
}
