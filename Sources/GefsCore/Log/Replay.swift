/// Why replay of an arena's log stopped.
public enum ReplayStop: String, Sendable {
    /// At a barrier `>= qgen` (or `>= until`): the normal end.
    case barrier = "sync"
    /// At LogEnd, without meeting such a barrier.
    case end
    /// Replay could not go on (bad op, unreadable or corrupt block, broken chain).
    case aborted = "error"
}

/// What a replay meets, in log order, for dump tools. Entries after the stop are reported too,
/// with `committed == false`, as far as the log can be read.
public enum ReplayEvent {
    /// A log block about to be read: its position in the chain and its header (with the hash
    /// computed over what the format covers) if it is a Tlog block.
    case block(addr: Int64, index: Int, header: LogBlockHeader?, committed: Bool)
    /// An entry at `offset` (data-area offset) of `block`; `barrier` is the last barrier met
    /// before it (nil before the first).
    case entry(block: Int64, offset: Int, entry: LogEntry, committed: Bool, barrier: UInt64?)
    /// An entry of a block that replay rejected (its loghash fails): shown by dumps as far as
    /// its words can be read, never applied.
    case ignored(block: Int64, offset: Int, entry: LogEntry)
    /// A problem, reported where it occurs.
    case problem(Problem)
}

/// The result of replaying one arena's log (FORMAT.md §8.3).
public struct ArenaReplay: Sendable {
    public let arena: Int
    /// Free blocks of the allocatable region as of the committed barrier (a set bit is free).
    public var free: BlockBitmap
    /// Allocated bytes as replayed.
    public var used: Int64
    /// `used` as the arena's current copy records it (nil without a current copy).
    public var usedHeader: Int64?
    /// The generation replay was asked to stop at: the superblock's qgen, or `until`.
    public var stopGen: UInt64
    /// The barrier replay stopped at, when it stopped at one.
    public var committedGen: UInt64?
    public var stop: ReplayStop
    /// The log blocks read before the stop, in chain order.
    public var logBlocks: [Int64] = []
    /// Every block the chain reached and read, the uncommitted tail's included.
    public var blocksRead = 0
    /// Entries (of any op, terminators excluded) after the committed barrier.
    public var discardedEntries = 0
    /// Where a writer resumes appending (FORMAT.md §8.4): the log block and data offset right
    /// after the committed barrier, or of the LogEnd when the log ends without one. Nil when
    /// replay aborted.
    public var resume: (block: Int64, offset: Int)?
    /// Committed entries per op.
    public var opCounts = Tally<LogOp>()
    /// Bytes allocated and freed by the committed entries that applied.
    public var allocatedBytes: Int64 = 0
    public var freedBytes: Int64 = 0
    public var problems: [Problem] = []

    public var freeBytes: Int64 { Int64(free.setCount) * Format.blockSize64 }
    public var hasErrors: Bool { problems.contains { $0.severity == .error } }
    /// Whether the replayed state agrees with the arena copy.
    public var agrees: Bool { usedHeader == used }
    /// Whether replay stopped at exactly the barrier it was asked for. False for an older
    /// `until` generation whose barrier the log no longer holds (it was compressed since).
    public var reachedStopGen: Bool { committedGen == stopGen }
    /// Committed entries, terminators excluded.
    public var committedEntries: Int { opCounts.total }
}

/// Strict replay of the allocation logs (FORMAT.md §8.3). Every rejection rule becomes a typed
/// problem carrying the arena, the log block and the entry's data-area offset; replay skips an
/// entry it cannot apply and goes on, so one run reports every problem.
public enum Replay {
    /// Replays arena `index` up to the first barrier `>= until` (default: the superblock's qgen).
    public static func arena(_ image: Image, _ index: Int, until: UInt64? = nil) -> ArenaReplay {
        run(image, index, until: until, visit: nil)
    }

    /// Replays as above, calling `visit` for every block, entry and problem in log order.
    public static func arena(_ image: Image, _ index: Int, until: UInt64? = nil,
                             visit: (ReplayEvent) -> Void) -> ArenaReplay {
        withoutActuallyEscaping(visit) { run(image, index, until: until, visit: $0) }
    }

    static func run(_ image: Image, _ index: Int, until: UInt64?, visit: ((ReplayEvent) -> Void)?) -> ArenaReplay {
        let current = until == nil || until == image.qgen
        var r = Replayer(image: image, arena: image.arenas[index], stopGen: until ?? image.qgen, visit: visit)
        r.run(current: current)
        if current { r.checkUsed() }
        return r.result
    }

    /// Replays every arena.
    public static func all(_ image: Image, until: UInt64? = nil) -> [ArenaReplay] {
        image.arenas.indices.map { arena(image, $0, until: until) }
    }
}

/// The state of one replay in progress.
struct Replayer {
    let image: Image
    let arena: Arena
    let stopGen: UInt64
    let visit: ((ReplayEvent) -> Void)?
    var result: ArenaReplay
    /// Log blocks already read (chain loops).
    var visited: BlockBitmap
    var committed = true
    var lastBarrier: UInt64?
    var block: Int64 = 0
    var chainIndex = 0
    /// The `logsz` of the block being read (checked by `checkLogsz`).
    var logsz = 0

    init(image: Image, arena: Arena, stopGen: UInt64, visit: ((ReplayEvent) -> Void)?) {
        self.image = image; self.arena = arena; self.stopGen = stopGen; self.visit = visit
        // Step 1: the whole region allocated.
        result = ArenaReplay(arena: arena.index, free: BlockBitmap(covering: arena.region), used: arena.size,
                             usedHeader: arena.current?.used, stopGen: stopGen, stop: .aborted)
        visited = BlockBitmap(covering: arena.region)
    }

    /// Reports a problem at the current log block (or `block`), unless replay is past the
    /// committed barrier: the uncommitted tail is not the committed state's business.
    mutating func problem(_ code: ProblemCode, _ message: String, block: Int64? = nil, offset: Int? = nil) {
        guard committed else { return }
        report(Problem(code, message, arena: arena.index, block: block ?? self.block, offset: offset))
    }

    mutating func report(_ p: Problem) {
        result.problems.append(p)
        visit?(.problem(p))
    }

    /// `current`: replaying to the superblock's qgen, where entries past the stop are uncommitted.
    mutating func run(current: Bool) {
        guard let copy = arena.current else { return }
        var next: Int64? = copy.loghd
        while let addr = next {
            next = nil
            guard enter(addr) else { break }
            guard let b = readLogBlock(addr) else { break }
            switch walk(b) {
            case let .chain(to): next = to
            case .stop: break
            }
        }
        checkLogBlocksAllocated(current: current)
    }

    /// Checks a chain target before reading it: in the arena, not seen before.
    mutating func enter(_ addr: Int64) -> Bool {
        let what = chainIndex == 0 ? "loghd" : "LogChain"
        guard let i = visited.indices(addr, Format.blockSize64) else {
            problem(.logChainOutside, "\(what) \(hex(addr)) is outside the arena's allocatable region")
            return false
        }
        guard !visited[i.lowerBound] else {
            problem(.logChainLoop, "\(what) \(hex(addr)) leads back to a log block already read")
            return false
        }
        visited[i.lowerBound] = true
        return true
    }

    /// Reads and verifies one log block; nil (after reporting why) when replay cannot go on.
    mutating func readLogBlock(_ addr: Int64) -> [UInt8]? {
        block = addr
        defer { chainIndex += 1 }
        guard let b = try? image.device.read(at: addr) else {
            problem(.logUnreadable, "cannot read log block \(hex(addr))")
            return nil
        }
        let header = try? image.format.logHeader(b)
        result.blocksRead += 1
        visit?(.block(addr: addr, index: chainIndex, header: header, committed: committed))
        guard let header else {
            problem(.logNotLogBlock, "block \(hex(addr)) has type \(b.u16(at: 0)), not Tlog (3)")
            return nil
        }
        guard image.format.accepts(stored: header.storedHash, computed: header.computedHash) else {
            problem(.logHashMismatch, "loghash \(hex(header.storedHash)) stored, \(hex(header.computedHash)) computed")
            if let visit {
                image.format.walkLog(b) { step in
                    if case let .entry(o, e) = step { visit(.ignored(block: addr, offset: o, entry: e)) }
                    return true
                }
            }
            return nil
        }
        if committed { result.logBlocks.append(addr) }
        logsz = header.logsz
        return b
    }

    enum Next { case chain(Int64), stop }

    /// Applies the entries of one block; returns where the log goes on.
    mutating func walk(_ b: [UInt8]) -> Next {
        var next = Next.stop
        image.format.walkLog(b) { step in
            switch step {
            case let .entry(offset, e):
                visit?(.entry(block: block, offset: offset, entry: e, committed: committed, barrier: lastBarrier))
                if e.op == .chain || e.op == .end { checkLogsz(terminator: offset, e) }
                if e.op == .end, e.word != UInt64(LogOp.end.rawValue) {
                    problem(.logEndWord, "LogEnd word is \(hex(e.word)), not 5", offset: offset)
                }
                apply(e, offset)
            case let .next(addr):
                next = .chain(addr)
            case let .last(offset):
                if committed {
                    noBarrier(offset)
                    result.stop = .end
                    result.resume = (block, offset)
                }
            case let .badOp(offset, word):
                problem(.logBadOp, "entry word \(hex(word)) has op \(word & 0xff): not a valid log op", offset: offset)
            case let .straddle(offset, word):
                problem(.logEntryStraddles, "two-word entry \(hex(word)) runs past the data area", offset: offset)
            case let .badLogsz(logsz):
                problem(.logNotLogBlock, "logsz \(logsz) is not a multiple of 8 within the entry area: not a valid log block")
            case .noTerminator:
                problem(.logNoTerminator, "no LogEnd or LogChain before the end of the data area")
            }
            return true
        }
        return next
    }

    /// The log ended without a barrier `>= stopGen`. Where the format says so, a log never
    /// synced since the format (qgen 0) is one note for the image, not a warning per arena.
    mutating func noBarrier(_ offset: Int) {
        if stopGen == 0, let code = image.format.grading.neverSynced {
            report(Problem(code, "qgen 0 and no barrier in the logs: never synced since the format"))
        } else {
            problem(.logNoBarrier, "log ends without a barrier >= \(stopGen)", offset: offset)
        }
    }

    /// Applies one alloc, free or barrier entry.
    mutating func apply(_ e: LogEntry, _ offset: Int) {
        guard e.op != .chain, e.op != .end else { return }
        guard committed else { result.discardedEntries += 1; return }
        result.opCounts[e.op] += 1
        if e.op == .sync {
            let g = e.gen
            if let last = lastBarrier, g < last {
                problem(.logBarrierDecreasing, "barrier \(g) follows barrier \(last)", offset: offset)
            }
            lastBarrier = g
            if g >= stopGen {
                result.committedGen = g
                committed = false
                result.stop = .barrier
                result.resume = (block, offset + 8)
                checkLogsz(barrierEnd: offset + 8)
            }
            return
        }
        guard e.len > 0, e.len % Format.blockSize64 == 0 else {
            problem(.logBadLength, "\(e): length \(e.len) is not a positive multiple of \(Format.blockSize)", offset: offset)
            return
        }
        guard let r = result.free.indices(e.addr, e.len) else {
            problem(.logAddressOutside, "\(e) lies outside the allocatable region \(hex(arena.region.lowerBound))..<\(hex(arena.region.upperBound))",
                    offset: offset)
            return
        }
        if e.isAlloc {
            let freeBlocks = result.free.countSet(r)
            guard freeBlocks == r.count else {
                problem(.logAllocNotFree, "\(e): \(r.count - freeBlocks) of its \(r.count) blocks are already allocated", offset: offset)
                return
            }
            result.free.clear(r)
            result.used += e.len
            result.allocatedBytes += e.len
        } else {
            let freeBlocks = result.free.countSet(r)
            guard freeBlocks == 0 else {
                problem(.logFreeNotAllocated, "\(e): \(freeBlocks) of its \(r.count) blocks are already free", offset: offset)
                return
            }
            result.free.set(r)
            result.used -= e.len
            result.freedBytes += e.len
        }
    }

    /// Every log block read before the stop must still be allocated.
    mutating func checkLogBlocksAllocated(current: Bool) {
        committed = true
        for addr in result.logBlocks where result.free.contains(addr) {
            problem(.logBlockFree, "log block \(hex(addr)) is free at the end of replay", block: addr)
        }
        // Past an older `until` barrier the entries are committed, only later: nothing to say.
        if current, result.discardedEntries > 0, let g = result.committedGen {
            report(Problem(.logDiscardedEntries, "\(result.discardedEntries) entries after LogSync \(g) discarded (uncommitted)",
                           arena: arena.index))
        }
    }

    mutating func checkUsed() {
        guard let h = result.usedHeader, result.used != h else { return }
        committed = true
        let grading = image.format.grading
        let code: ProblemCode?
        switch result.stop {
        case .barrier: code = grading.usedMismatchAtBarrier
        case .end: code = grading.usedMismatchWithoutBarrier
        case .aborted: code = grading.usedMismatchAfterAbort
        }
        guard let code else { return }
        problem(code, "replay gives used \(result.used), the arena's \(arena.currentSlot?.rawValue ?? "copy") says \(h)",
                block: arena.addr(of: arena.currentSlot ?? .header))
    }
}
