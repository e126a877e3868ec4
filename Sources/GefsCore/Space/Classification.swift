/// What a reachable block is (FORMAT.md §12).
public enum BlockKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case log, pivot, leaf, data, deadlist, dead

    public var description: String {
        ["log block", "pivot", "leaf", "data block", "deadlist block", "listed dead address"][rawValue]
    }
    /// The short name reports and facts use: log, pivot, leaf, data, dlist, dead.
    public var shortName: String { ["log", "pivot", "leaf", "data", "dlist", "dead"][rawValue] }

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

/// Every reachable block of an image by kind, one bitmap per kind over the whole image, and
/// the comparison with the replayed free maps (FORMAT.md §12). Memory is a few bits per block.
public struct SpaceClassification: Sendable {
    /// One bitmap per `BlockKind`, each covering blocks `0 ..< blockCount`.
    public private(set) var bitmaps: [BlockBitmap]
    /// False when part of a tree or deadlist could not be read: blocks below it are unknown.
    public var complete = true
    /// Why the classification is incomplete, in words (one line per cause).
    public var incompleteReasons: [String] = []

    public init(blockCount: Int) {
        bitmaps = BlockKind.allCases.map { _ in BlockBitmap(start: 0, count: blockCount) }
    }

    /// A classification sized for `image` (its file system size).
    public init(image: Image) {
        self.init(blockCount: Int(max(image.superblock.fssize, image.device.size) / Format.blockSize64))
    }

    /// The kinds `addr` is reached as.
    public func kinds(at addr: Int64) -> [BlockKind] {
        BlockKind.allCases.filter { bitmaps[$0.rawValue].contains(addr) }
    }

    public func isReachable(_ addr: Int64) -> Bool { BlockKind.allCases.contains { bitmaps[$0.rawValue].contains(addr) } }

    /// Number of distinct blocks reached as `kind`.
    public func count(_ kind: BlockKind) -> Int { bitmaps[kind.rawValue].setCount }

    /// Records that `addr` is reached as `kind` (from `from`, for messages). Returns whether it
    /// was new for that kind, and the problem it makes: a pointer outside every allocatable
    /// region, or a cross-link.
    /// Runs once per reachable block: `from` is only formatted for a problem, and nothing is
    /// allocated otherwise.
    public mutating func mark(_ addr: Int64, _ kind: BlockKind, image: Image, from: @autoclosure () -> String) -> (new: Bool, problem: Problem?) {
        guard let arena = image.arena(containing: addr), addr % Format.blockSize64 == 0,
              let i = bitmaps[kind.rawValue].indices(addr, Format.blockSize64)?.lowerBound else {
            return (false, Problem(.spaceOutside, "\(from()) names \(hex(addr)) as a \(kind), outside every arena's allocatable region",
                                   block: addr))
        }
        guard !bitmaps[kind.rawValue][i] else { return (false, nil) }
        var problem: Problem?
        for other in BlockKind.allCases where other != kind && bitmaps[other.rawValue][i] && SpaceClassification.clash(kind, other) {
            problem = Problem(.spaceCrossLink, "block \(hex(addr)) is reached as a \(other) and, from \(from()), as a \(kind)",
                              arena: arena, block: addr)
            break
        }
        bitmaps[kind.rawValue][i] = true
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
        var out = BlockBitmap(covering: arena.region)
        let first = Int(arena.region.lowerBound / Format.blockSize64)
        for b in bitmaps {
            var i = b.nextSet(from: first)
            while i < first + out.count {
                out[i - first] = true
                i = b.nextSet(from: i + 1)
            }
        }
        return out
    }

    /// The free map reachability gives an arena: its region less every reachable block. With
    /// `logsFree`, the blocks of the arena's current log count as free too (an offline rewrite
    /// replaces them, §8.4).
    public func freeMap(for arena: Arena, logsFree: Bool = false) -> BlockBitmap {
        var free = BlockBitmap(covering: arena.region, filled: true)
        let used = reachable(in: arena)
        for i in 0..<used.count where used[i] { free[i] = false }
        if logsFree {
            let first = Int(arena.region.lowerBound / Format.blockSize64)
            let logs = bitmaps[BlockKind.log.rawValue]
            var i = logs.nextSet(from: first)
            while i < first + free.count {
                if !BlockKind.allCases.contains(where: { $0 != .log && bitmaps[$0.rawValue][i] }) { free[i - first] = true }
                i = logs.nextSet(from: i + 1)
            }
        }
        return free
    }

    /// Compares an arena's replayed free map with reachability: leaks (allocated, unreachable)
    /// and uses after free (reachable, free), each as runs of blocks. Leaks are only reported
    /// when the classification is complete.
    public func compare(_ replay: ArenaReplay, arena: Arena) -> [Problem] {
        let used = reachable(in: arena)
        var leaks = BlockBitmap(covering: arena.region), uaf = BlockBitmap(covering: arena.region)
        for i in 0..<used.count {
            if used[i] && replay.free[i] { uaf[i] = true }
            if !used[i] && !replay.free[i] { leaks[i] = true }
        }
        var out: [Problem] = []
        for (addr, len) in uaf.extents {
            let kinds = Set((0..<Int(len / Format.blockSize64)).flatMap { self.kinds(at: addr + Int64($0) * Format.blockSize64) })
            let what = BlockKind.allCases.filter { kinds.contains($0) }.map(\.description).joined(separator: ", ")
            out.append(Problem(.spaceUseAfterFree, "\(SpaceClassification.run(addr, len)) reachable (\(what)) but free in the log",
                               arena: arena.index, block: addr))
        }
        if complete {
            for (addr, len) in leaks.extents {
                out.append(Problem(.spaceLeak, "\(SpaceClassification.run(addr, len)) allocated but unreachable",
                                   arena: arena.index, block: addr))
            }
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
