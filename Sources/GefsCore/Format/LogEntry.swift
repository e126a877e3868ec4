/// Allocation-log operations (FORMAT.md §8.2): the low 8 bits of an entry's first word.
public enum LogOp: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case nop = 0, alloc1 = 1, free1 = 2, sync = 3, chain = 4, end = 5, alloc = 6, free = 7

    /// Words the entry takes: two for the ranged forms.
    public var words: Int { self == .alloc || self == .free ? 2 : 1 }
    public var description: String {
        switch self {
        case .nop: return "nop"
        case .alloc1: return "alloc1"
        case .free1: return "free1"
        case .sync: return "sync"
        case .chain: return "chain"
        case .end: return "end"
        case .alloc: return "alloc"
        case .free: return "free"
        }
    }
}

/// One decoded log entry. `len` is B for the one-word forms and 0 where no range applies.
public struct LogEntry: Equatable, Hashable, Sendable {
    public var op: LogOp
    /// `word & ~0xff`; for LogSync, see `gen`.
    public var addr: Int64
    public var len: Int64
    /// The raw first word (and second, for two-word entries), for `--raw` dumps.
    public var word: UInt64
    public var word2: UInt64?

    public init(op: LogOp, addr: Int64, len: Int64, word: UInt64, word2: UInt64? = nil) {
        self.op = op; self.addr = addr; self.len = len; self.word = word; self.word2 = word2
    }

    /// Barrier generation of a LogSync.
    public var gen: UInt64 { word >> 8 }
    public var isAlloc: Bool { op == .alloc || op == .alloc1 }
    public var isFree: Bool { op == .free || op == .free1 }

    public static func alloc(_ addr: Int64, _ len: Int64 = Format.blockSize64) -> LogEntry {
        ranged(len == Format.blockSize64 ? .alloc1 : .alloc, addr, len)
    }
    public static func free(_ addr: Int64, _ len: Int64 = Format.blockSize64) -> LogEntry {
        ranged(len == Format.blockSize64 ? .free1 : .free, addr, len)
    }
    static func ranged(_ op: LogOp, _ addr: Int64, _ len: Int64) -> LogEntry {
        let w = UInt64(bitPattern: addr) | UInt64(op.rawValue)
        return LogEntry(op: op, addr: addr, len: len, word: w, word2: op.words == 2 ? UInt64(bitPattern: len) : nil)
    }
    /// The highest generation a LogSync word holds (the 56 bits above the op).
    public static let maxGen: UInt64 = (1 << 56) - 1

    public static func sync(_ gen: UInt64) -> LogEntry {
        LogEntry(op: .sync, addr: 0, len: 0, word: gen << 8 | UInt64(LogOp.sync.rawValue))
    }
    public static func chain(_ addr: Int64) -> LogEntry {
        LogEntry(op: .chain, addr: addr, len: 0, word: UInt64(bitPattern: addr) | UInt64(LogOp.chain.rawValue))
    }
    public static let end = LogEntry(op: .end, addr: 0, len: 0, word: UInt64(LogOp.end.rawValue))

    /// The entry's words as stored.
    public var words: [UInt64] { word2.map { [word, $0] } ?? [word] }
    public var byteCount: Int { op.words * 8 }
}

extension LogEntry: CustomStringConvertible {
    /// The one-line form tools print: `alloc1 0x…`, `free 0x…+0x…`, `sync 7`, `chain -> 0x…`, `end`.
    public var description: String {
        switch op {
        case .alloc1, .free1: return "\(op) \(hex(addr))"
        case .alloc, .free: return "\(op) \(hex(addr))+\(hex(len))"
        case .sync: return "sync \(gen)"
        case .chain: return "chain -> \(hex(addr))"
        case .end: return word == UInt64(LogOp.end.rawValue) ? "end" : "end (word \(hex(word)))"
        case .nop: return "nop"
        }
    }
}
