/// gefs9.00 grades what the genuine gefs normally leaves on disk as FORMAT-9FRONT.md §14 says:
/// a fresh image's missing barrier, halt leftovers, ream's snapshot records, Kconf, `Xdir.flag`.
extension Gefs9Format {
    public var grading: Grading {
        Grading(copyInvalidBesideValid: .superblockCopyInvalid, neverSynced: .logNeverSynced,
                usedMismatchAtBarrier: .arenaUsedStale, usedMismatchWithoutBarrier: .arenaUsedUnsynced,
                unreachable: .spaceUnreachable, namesUnreachable: true,
                nrefTooHigh: .snapNrefHigh, genZeroSelfPred: true, xdirFlagDefined: false, confKeys: true,
                labelFlags: LabelValue.mutable, labelFlagsDeprecated: 0x6, labelFlagDeprecated: .labelFlagDeprecated,
                labelFlagUnknown: .labelFlagUnknown, controlByteName: .dirNameControl, deadlistGen: .deadlistGenStray,
                emptySnapdlHash: nil, unknownSuperblockTypeRefused: true)
    }

    /// Repairs and log rewrites write gefs9.00 in the genuine log layout (§8.5) and sync order
    /// (§10), checked against the genuine gefs (Tests/ToolTests/Gefs9RepairToolTests.swift).
    public var repairable: Bool { true }
    /// §5, §14 item 19: a grown image's old arenas.
    public var recordsMissingArenaHash: Bool { true }

    /// §14: a block that passes a log or deadlist block's body hash was one; a node header that
    /// decodes was a tree node; anything else data or an uncommitted allocation.
    public func looksLike(_ block: [UInt8]) -> BlockLook {
        switch block.u16(at: 0) {
        case BlockType.log.rawValue:
            if let h = try? logHeader(block), h.storedHash == h.computedHash { return .log }
        case BlockType.deadlist.rawValue:
            if (try? verifyDeadlistBlock(block, pointer: .null)) != nil { return .deadlist }
        case BlockType.leaf.rawValue, BlockType.pivot.rawValue:
            if (try? Node.decode(block)) != nil { return .treeNode }
        default: break
        }
        return .other
    }

    /// §5's strict reading of the arena table (each header where the previous arena ends, the
    /// last arena before the last block, the gap), §6's flag and non-empty snapdl.
    public func layoutProblems(_ sb: Superblock, _ arenas: [ArenaGeometry?], blockCount: Int64) -> [Problem] {
        let B = Format.blockSize64
        var out: [Problem] = []
        for i in arenas.indices.dropLast() {
            guard let a = arenas[i], a.span.upperBound != sb.arenas[i + 1].addr else { continue }
            out.append(Problem(.arenaTableChain, "arena \(i + 1)'s header is recorded at \(hex(sb.arenas[i + 1].addr)), arena \(i) ends at \(hex(a.span.upperBound))",
                               arena: i + 1, block: sb.arenas[i + 1].addr))
        }
        if let last = arenas.last ?? nil {
            let sb1 = (blockCount - 1) * B
            if last.span.upperBound > sb1 {
                out.append(Problem(.imageTruncated, "the last arena ends at \(hex(last.span.upperBound)), past the last block \(hex(sb1)) of the image"))
            } else if sb1 - last.span.upperBound >= Int64(sb.narena) * B {
                out.append(Problem(.arenaTableGap, "\((sb1 - last.span.upperBound) / B) blocks between the last arena and the last block"))
            }
        }
        if sb.flag != 0 { out.append(Problem(.superblockFlag, "flag is \(hex(sb.flag))")) }
        if !sb.snapdlHead.isNull || !sb.snapdlTail.isNull {
            out.append(Problem(.snapdlNonEmpty, "snapdl head \(hex(sb.snapdlHead.addr)), tail \(hex(sb.snapdlTail.addr))"))
        }
        return out
    }
}
