/// What a reachable block is (FORMAT.md §12).
public enum BlockKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case log, pivot, leaf, data, deadlist, dead

    public var description: String {
        switch self {
        case .log: return "log block"
        case .pivot: return "pivot"
        case .leaf: return "leaf"
        case .data: return "data block"
        case .deadlist: return "deadlist block"
        case .dead: return "listed dead address"
        }
    }
    /// The short name reports and facts use: log, pivot, leaf, data, dlist, dead.
    public var shortName: String {
        switch self {
        case .log: return "log"
        case .pivot: return "pivot"
        case .leaf: return "leaf"
        case .data: return "data"
        case .deadlist: return "dlist"
        case .dead: return "dead"
        }
    }

    /// §12's classes for cross-links: log block, tree node, data block, deadlist block; nil for
    /// a listed dead address, which may coincide with a node or data block.
    var linkClass: Int? {
        switch self {
        case .log: return 0
        case .pivot, .leaf: return 1
        case .data: return 2
        case .deadlist: return 3
        case .dead: return nil
        }
    }
}

/// Every reachable block of an image by kind, and the comparison with the replayed free maps
/// (FORMAT.md §12). Memory is one bit per block of the image, plus a small table for the blocks
/// that are not plain data blocks: data blocks are nearly all reachable blocks, so a reached
/// block that the table does not list is a data block. Nodes, log and deadlist blocks, listed
/// dead addresses and cross-linked blocks are listed with every kind they are reached as.
public struct SpaceClassification: Sendable {
    /// Blocks reached as anything, over blocks `0 ..< blockCount`.
    var reached: BlockBitmap
    /// Kinds (bit `1 << kind.rawValue`) of the reached blocks other than plain data blocks, by
    /// block index.
    var others: [Int: UInt8] = [:]
    /// Distinct blocks reached per kind.
    var counts = Tally<BlockKind>()
    /// False when part of a tree or deadlist could not be read: blocks below it are unknown.
    public var complete = true
    /// Why the classification is incomplete, in words (one line per cause).
    public var incompleteReasons: [String] = []

    static let dataMask = UInt8(1) << UInt8(BlockKind.data.rawValue)

    public init(blockCount: Int) {
        reached = BlockBitmap(start: 0, count: blockCount)
    }

    /// A classification sized for `image` (its file system size).
    public init(image: Image) {
        self.init(blockCount: Int(image.format.claimedSize(image.superblock, deviceSize: image.device.size) / Format.blockSize64))
    }

    /// Blocks covered: `0 ..< blockCount`.
    public var blockCount: Int { reached.count }

    /// The kinds block `i` is reached as, as a bit mask.
    func mask(_ i: Int) -> UInt8 {
        guard reached[i] else { return 0 }
        return others[i] ?? SpaceClassification.dataMask
    }

    /// The kinds `addr` is reached as.
    public func kinds(at addr: Int64) -> [BlockKind] {
        guard let r = reached.indices(addr, Format.blockSize64) else { return [] }
        let m = mask(r.lowerBound)
        return BlockKind.allCases.filter { m & (1 << UInt8($0.rawValue)) != 0 }
    }

    public func isReachable(_ addr: Int64) -> Bool { reached.contains(addr) }

    /// Number of distinct blocks reached as `kind`.
    public func count(_ kind: BlockKind) -> Int { counts[kind] }

    /// Records that `addr` is reached as `kind` (from `from`, for messages). Returns whether it
    /// was new for that kind, and the problem it makes: a pointer outside every allocatable
    /// region, or a cross-link. Runs once per reachable block: `from` is only formatted for a
    /// problem, and a data block costs one bit.
    public mutating func mark(_ addr: Int64, _ kind: BlockKind, image: Image, from: @autoclosure () -> String) -> (new: Bool, problem: Problem?) {
        guard let arena = image.arena(containing: addr), addr % Format.blockSize64 == 0,
              let i = reached.indices(addr, Format.blockSize64)?.lowerBound else {
            return (false, Problem(.spaceOutside, "\(from()) names \(hex(addr)) as a \(kind), outside every arena's allocatable region",
                                   block: addr))
        }
        let bit = UInt8(1) << UInt8(kind.rawValue)
        let had = mask(i)
        guard had & bit == 0 else { return (false, nil) }
        var problem: Problem?
        for other in BlockKind.allCases where had & (1 << UInt8(other.rawValue)) != 0 && SpaceClassification.clash(kind, other) {
            problem = Problem(.spaceCrossLink, "block \(hex(addr)) is reached as a \(other) and, from \(from()), as a \(kind)",
                              arena: arena, block: addr)
            break
        }
        reached[i] = true
        if had | bit != SpaceClassification.dataMask { others[i] = had | bit }
        counts[kind] += 1
        return (true, problem)
    }

    /// Whether reaching one block as both kinds is a cross-link.
    static func clash(_ a: BlockKind, _ b: BlockKind) -> Bool {
        switch (a.linkClass, b.linkClass) {
        case let (x?, y?): return x != y
        case (nil, nil): return false
        case let (x?, nil), let (nil, x?): return x == 0 || x == 3
        }
    }

    /// Reachable blocks of an arena's allocatable region, as a bitmap over that region.
    public func reachable(in arena: Arena) -> BlockBitmap {
        reached.slice(from: Int(arena.region.lowerBound / Format.blockSize64), covering: arena.region)
    }

    /// The free map reachability gives an arena: its region less every reachable block. With
    /// `logsFree`, the blocks of the arena's current log count as free too (an offline rewrite
    /// replaces them, §8.4).
    public func freeMap(for arena: Arena, logsFree: Bool = false) -> BlockBitmap {
        var free = BlockBitmap(covering: arena.region, filled: true).subtracting(reachable(in: arena))
        if logsFree {
            let logOnly = UInt8(1) << UInt8(BlockKind.log.rawValue)
            for (i, m) in others where m == logOnly { free.insert(Int64(i) * Format.blockSize64) }
        }
        return free
    }

    /// Compares an arena's replayed free map (`free`, over its region) with reachability: leaks
    /// (allocated, unreachable) and uses after free (reachable, free), each as runs of blocks.
    /// Leaks are only reported when the classification is complete.
    /// Unreachable blocks are graded by `grading`; with `look`, each run is split by what its
    /// blocks' bytes suggest they were (FORMAT-9FRONT.md §14).
    public func compare(free: BlockBitmap, arena: Arena, grading: Grading,
                        look: ((Int64) -> BlockLook)? = nil) -> [Problem] {
        let used = reachable(in: arena)
        let uaf = used.intersection(free)
        let leaks = BlockBitmap(covering: arena.region, filled: true).subtracting(used).subtracting(free)
        var out: [Problem] = []
        for (addr, len) in uaf.extents {
            let kinds = Set((0..<Int(len / Format.blockSize64)).flatMap { self.kinds(at: addr + Int64($0) * Format.blockSize64) })
            let what = BlockKind.allCases.filter { kinds.contains($0) }.map(\.description).joined(separator: ", ")
            out.append(Problem(.spaceUseAfterFree, "\(SpaceClassification.run(addr, len)) reachable (\(what)) but free in the log",
                               arena: arena.index, block: addr))
        }
        if complete {
            for (addr, len) in leaks.extents {
                for (at, n, what) in SpaceClassification.runs(addr, len, look) {
                    let probably = what.map { ": probably \($0.rawValue)" } ?? ""
                    out.append(Problem(grading.unreachable, "\(SpaceClassification.run(at, n)) allocated but unreachable\(probably)",
                                       arena: arena.index, block: at))
                }
            }
        }
        return out
    }

    /// An extent split into runs of blocks that look alike (one run when there is no `look`).
    static func runs(_ addr: Int64, _ len: Int64, _ look: ((Int64) -> BlockLook)?) -> [(Int64, Int64, BlockLook?)] {
        guard let look else { return [(addr, len, nil)] }
        let B = Format.blockSize64
        var out: [(Int64, Int64, BlockLook?)] = []
        for a in stride(from: addr, to: addr + len, by: Int(B)) {
            let l = look(a)
            if let last = out.last, last.2 == l, last.0 + last.1 == a { out[out.count - 1].1 += B } else { out.append((a, B, l)) }
        }
        return out
    }

    /// `block 0x8000` or `blocks 0x8000..<0x10000 (2)`.
    static func run(_ addr: Int64, _ len: Int64) -> String {
        let n = len / Format.blockSize64
        return n == 1 ? "block \(hex(addr))" : "blocks \(hex(addr))..<\(hex(addr + len)) (\(n))"
    }
}

extension BlockBitmap {
    /// Sets every bit set in `other`, which must cover the same span.
    public mutating func formUnion(_ other: BlockBitmap) {
        precondition(start == other.start && count == other.count)
        for i in words.indices { words[i] |= other.words[i] }
    }
}
