/// The chosen arenas of an image replayed for a dump tool: to the committed barrier and, with
/// `until`, to an older barrier as well (gefs-replay's `--until-gen`). Built before anything is
/// shown; the reports of Render/ only show it.
public struct ReplayedArenas: Sendable {
    /// The arenas, in the order shown.
    public let arenas: [Int]
    /// The older barrier, when given.
    public let until: UInt64?
    /// The replays to the committed barrier, by position in `arenas`.
    public let current: [ArenaReplay]
    /// The replays to `until`, when given, by position in `arenas`.
    public let older: [ArenaReplay]?

    public init(image: Image, arenas: [Int], until: UInt64? = nil) {
        self.arenas = arenas
        self.until = until
        current = arenas.map { Replay.arena(image, $0) }
        older = until.map { g in arenas.map { Replay.arena(image, $0, until: g) } }
    }

    /// The replays a report is about (to `until` when given).
    public var shown: [ArenaReplay] { older ?? current }

    /// Arenas whose log no longer holds the `until` barrier (nothing to report for them).
    public var unreachable: [Int] { older?.filter { !$0.reachedStopGen }.map(\.arena) ?? [] }
}

/// One arena's log as gefs-logdump streams it: every block, entry and problem handed over in
/// log order while the log is replayed, so that a log of millions of entries is never held in
/// memory.
public struct LogStream {
    public let image: Image
    public let arena: Int

    public init(image: Image, arena: Int) { self.image = image; self.arena = arena }

    /// The log streams of `arenas`, in that order.
    public static func of(_ image: Image, _ arenas: [Int]) -> [LogStream] {
        arenas.map { LogStream(image: image, arena: $0) }
    }

    /// Blocks the chain reaches, the uncommitted tail's included: the `n` of a dump's "(k/n)".
    /// Streaming output cannot wait for the end of the chain to number its first block, so this
    /// costs a replay of its own, without events (text dumps only; JSON needs no count).
    public func chainLength() -> Int { Replay.arena(image, arena).blocksRead }

    /// Replays the log, handing every event to `visit` in log order; returns the result.
    public func replay(_ visit: (ReplayEvent) -> Void) -> ArenaReplay {
        Replay.arena(image, arena, visit: visit)
    }
}

extension ArenaReplay {
    /// Where replay stopped, in words: `LogSync 13`, `LogEnd (no barrier >= 13)`.
    public var stopText: String {
        switch stop {
        case .barrier: return "LogSync \(committedGen ?? stopGen)"
        case .end: return "LogEnd (no barrier >= \(stopGen))"
        case .aborted: return "the error that stopped replay"
        }
    }
}
