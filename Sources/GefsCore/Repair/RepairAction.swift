/// One change a repair wrote, as gefs-fsck reports it (`description`: its line in the text
/// output and in the JSON report's `repairs`).
public enum RepairAction: Equatable, Sendable, CustomStringConvertible {
    /// An arena's copies read past nonzero bytes (`slots`), rewritten from the fields of
    /// `from`, giving the copy's new hash.
    case copyTailZeroed(arena: Int, slots: [ArenaSlot], from: ArenaSlot, hash: UInt64)
    /// Both superblocks written with the arenas' new hashes, keeping `qgen`.
    case superblocksRehashed(qgen: UInt64)
    /// A grown image's arena without a current copy: its header's hash recorded.
    case arenaHashRecorded(arena: Int, hash: UInt64)
    /// An arena's copies written with the replayed used.
    case usedRewritten(arena: Int, used: Int64, was: Int64)
    /// A superblock copy rewritten from the current one.
    case superblockRewritten(SuperblockSlot, from: SuperblockSlot, qgen: UInt64)
    /// An arena copy rewritten from the current one.
    case arenaCopyRewritten(arena: Int, ArenaSlot, from: ArenaSlot)
    /// An arena's free map rebuilt and written as a fresh log of `blocks` blocks at `at`.
    case freeMapRebuilt(arena: Int, blocks: Int, at: Int64, was: Int, used: Int64, usedBefore: Int64)
    /// The sync that committed a rebuild or a reclaim.
    case committed(qgen: UInt64)
    /// A deadlist's `dropped` addresses dropped with its record and chain, none being left.
    case deadlistRemoved(name: String, dropped: [Int64], chainBlocks: Int)
    /// A deadlist's `dropped` addresses dropped; its new chain of `blocks` blocks at `at`.
    case deadlistRechained(name: String, dropped: [Int64], blocks: Int, at: Int64, was: Int)
    /// The snapshot tree written anew (new nodes, root and height; old node count and root).
    case snapshotTreeRewritten(nodes: Int, root: Int64, height: Int, wasNodes: Int, wasRoot: Int64)
    /// Blocks freed by a reclaim and blocks it wrote.
    case reclaimed(freed: Int, written: Int)

    public var description: String {
        switch self {
        case let .copyTailZeroed(a, slots, from, hash):
            return "arena \(a) \(slots.map(\.rawValue).joined(separator: " and ")): nonzero bytes after the fields zeroed; both copies rewritten from the fields (\(from)), hash \(hex(hash))"
        case let .superblocksRehashed(qgen): return "sb0 and sb1 rewritten with the new arena hashes (qgen \(qgen))"
        case let .arenaHashRecorded(a, hash):
            return "arena \(a): the table's hash -1 beside identical, well-formed header and footer (a grown image): recorded \(hex(hash))"
        case let .usedRewritten(a, used, was): return "arena \(a): header and footer written with the replayed used \(used) (was \(was))"
        case let .superblockRewritten(slot, from, qgen): return "\(slot) rewritten from the current superblock (\(from), qgen \(qgen))"
        case let .arenaCopyRewritten(a, slot, from): return "arena \(a) \(slot) rewritten from the \(from)"
        case let .freeMapRebuilt(a, blocks, at, was, used, before):
            return "arena \(a): free map rebuilt from reachability; fresh log of \(plural(blocks, "block")) at \(hex(at)) (was \(was)); used \(before) -> \(used)"
        case let .committed(qgen): return "superblocks and arena copies written with qgen \(qgen)"
        case let .deadlistRemoved(name, dropped, chain):
            return "\(name): dropped \(Self.describe(dropped)), which no older snapshot reaches; the record goes with its chain of \(plural(chain, "block")), nothing being left"
        case let .deadlistRechained(name, dropped, blocks, at, was):
            return "\(name): dropped \(Self.describe(dropped)), which no older snapshot reaches; new chain of \(plural(blocks, "block")) at \(hex(at)) (was \(was))"
        case let .snapshotTreeRewritten(nodes, root, height, wasNodes, wasRoot):
            return "snapshot tree written anew: \(plural(nodes, "node")), root \(hex(root)), height \(height) (was \(plural(wasNodes, "node")) at \(hex(wasRoot)))"
        case let .reclaimed(freed, written):
            return "\(plural(freed, "block")) freed (old deadlist chains, old snapshot tree nodes, dropped addresses nothing else reaches); \(plural(written, "new block")) written"
        }
    }

    /// `0x8000` or `3 addresses (0x8000, 0xc000, ...)`.
    static func describe(_ addrs: [Int64]) -> String {
        if addrs.count == 1 { return hex(addrs[0]) }
        let shown = addrs.prefix(3).map { hex($0) }.joined(separator: ", ")
        return "\(addrs.count) addresses (\(shown)\(addrs.count > 3 ? ", ..." : ""))"
    }
}

/// `1 block`, `3 blocks`.
private func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// Something a repair says besides what it wrote: a repair it would not do, or what the check
/// of the repaired image still finds. `lines`: as gefs-fsck prints it.
public enum RepairNote: Equatable, Sendable, CustomStringConvertible {
    /// `repair` was not done, for `why`.
    case refused(ProblemRepair, why: String)
    /// The problems (not infos) the check after the repair still finds.
    case remaining([Problem])

    public var lines: [String] {
        switch self {
        case let .refused(repair, why):
            let what: String
            switch repair {
            case .deadlistReclaim: what = "deadlist entries not dropped"
            case .freeMapRebuild, .withOldLog: what = "free maps not rebuilt"
            case .copies, .recordArenaHash, .none: what = "copies not rewritten"
            }
            return ["\(what): \(why)"]
        case let .remaining(problems):
            return ["the check after the repair still finds \(plural(problems.count, "problem")):"]
                + Problem.lines(problems, limit: 3).map { "  " + $0 }
        }
    }

    public var description: String { lines.joined(separator: "\n") }
}
