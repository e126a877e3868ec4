/// The history of one block in its arena's log: every entry whose range contains it, in log
/// order, each with the barrier that commits it. It answers "who freed this block".
public struct BlockHistory: Sendable {
    /// One entry that names the block.
    public struct Hit: Sendable {
        /// The log block holding the entry, and the entry's data-area offset in it.
        public var logBlock: Int64
        public var offset: Int
        public var entry: LogEntry
        /// Before the committed barrier.
        public var committed: Bool
        /// False for an entry of a block replay rejected (its loghash fails).
        public var replayed: Bool
        /// The generation of the first barrier after the entry: the sync that made it durable.
        /// Nil when no barrier follows it, and for uncommitted or unreplayed entries.
        public var sync: UInt64?
    }

    public let block: Int64
    public let arena: Int
    public var hits: [Hit] = []
    /// The block's position (0-based) in the log chain, when it is one of the log's blocks.
    public var chainIndex: Int?
    /// The arena's replay (free map, problems).
    public var replay: ArenaReplay

    /// Whether the block is free as of the committed barrier.
    public var isFree: Bool { replay.free.contains(block) }

    /// Replays the arena holding `block` and collects its history; nil when no arena's
    /// allocatable region holds it.
    public init?(image: Image, block: Int64) {
        guard let a = image.arena(containing: block), block % Format.blockSize64 == 0 else { return nil }
        self.block = block
        arena = a
        var hits: [Hit] = []
        var pending: [Int] = []
        var chainIndex: Int?
        replay = Replay.arena(image, a) { event in
            switch event {
            case let .block(addr, index, _, _):
                if addr == block { chainIndex = index }
            case let .entry(b, offset, e, committed, _):
                if e.op == .sync {
                    guard committed else { return }
                    for i in pending { hits[i].sync = e.gen }
                    pending.removeAll()
                } else if BlockHistory.names(e, block) {
                    if committed { pending.append(hits.count) }
                    hits.append(Hit(logBlock: b, offset: offset, entry: e, committed: committed, replayed: true))
                }
            case let .ignored(b, offset, e):
                if BlockHistory.names(e, block) {
                    hits.append(Hit(logBlock: b, offset: offset, entry: e, committed: false, replayed: false))
                }
            case .problem:
                break
            }
        }
        self.hits = hits
        self.chainIndex = chainIndex
    }

    /// Whether the entry's range contains `block` (or, for LogChain, names it).
    static func names(_ e: LogEntry, _ block: Int64) -> Bool {
        switch e.op {
        case .alloc, .alloc1, .free, .free1:
            // In words that cannot overflow: hostile entries carry any address and length.
            let (d, o) = block.subtractingReportingOverflow(e.addr)
            return !o && d >= 0 && d < e.len
        case .chain:
            return e.addr == block
        default:
            return false
        }
    }
}
