/// gefs8.00's superblock (FORMAT.md §6): the fields, `arenasz` and `fssize`, the arena table at
/// byte 120, the XXH3 hash of all of them.
extension Gefs8Format {
    /// Bytes covered by the superblock hash.
    static func packedSize(narena: Int) -> Int { 120 + 16 * narena }

    static func packedFields(_ sb: Superblock) -> [UInt8] {
        var w = ByteWriter(capacity: packedSize(narena: sb.narena) + 8)
        w.bytes(magic)
        w.u32(UInt32(Format.blockSize)); w.u32(UInt32(Format.bufferSpace))
        w.u32(UInt32(sb.narena)); w.u32(UInt32(truncatingIfNeeded: sb.snapHeight))
        w.s64(sb.snapRoot.addr); w.u64(sb.snapRoot.hash)
        w.s64(sb.snapdlHead.addr); w.u64(sb.snapdlHead.hash)
        w.s64(sb.snapdlTail.addr); w.u64(sb.snapdlTail.hash)
        w.u64(sb.flag); w.u64(sb.nextqid); w.u64(sb.nextgen); w.u64(sb.qgen)
        w.s64(sb.arenasz); w.s64(sb.fssize)
        for a in sb.arenas { w.s64(a.addr); w.u64(a.hash) }
        return w.bytes
    }

    public func encodeSuperblock(_ sb: Superblock) -> [UInt8] {
        let fields = Gefs8Format.packedFields(sb)
        var block = [UInt8].zeroBlock()
        block.replaceSubrange(0..<fields.count, with: fields)
        block.put(hash(fields), at: fields.count)
        return block
    }

    public func decodeSuperblockFields(_ block: [UInt8]) throws -> (Superblock, stored: UInt64, computed: UInt64) {
        var r = ByteReader(block, structure: "superblock")
        let magic = try r.bytes(8)
        guard magic == Gefs8Format.magic else { throw FormatError.badMagic(magic, expected: name) }
        _ = try r.u32(); _ = try r.u32()
        let narena = try r.u32()
        guard (1...UInt32(Gefs8Format.maxArenas)).contains(narena) else {
            throw FormatError.invalid("superblock", "narena \(narena) outside 1...\(Gefs8Format.maxArenas)")
        }
        let ht = try r.u32()
        let root = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlh = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlt = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let flag = try r.u64(), nextqid = try r.u64(), nextgen = try r.u64(), qgen = try r.u64()
        let arenasz = try r.s64(), fssize = try r.s64()
        var arenas: [Superblock.ArenaRef] = []
        for _ in 0..<Int(narena) { arenas.append(.init(addr: try r.s64(), hash: try r.u64())) }
        let end = r.offset
        let stored = try r.u64()
        let sb = Superblock(narena: Int(narena), snapHeight: Int(ht), snapRoot: root, snapdlHead: dlh, snapdlTail: dlt,
                            flag: flag, nextqid: nextqid, nextgen: nextgen, qgen: qgen, arenasz: arenasz,
                            fssize: fssize, arenas: arenas)
        return (sb, stored, hash(block, 0..<end))
    }

    /// Decodes and validates one copy: magic, blksz, bufspc, narena, hash, zero tail, feature
    /// bits. Geometry is `superblockError`'s job.
    public func decodeSuperblock(_ block: [UInt8]) throws -> Superblock {
        let (sb, stored, computed) = try decodeSuperblockFields(block)
        let blksz = block.u32(at: 8), bufspc = block.u32(at: 12)
        guard blksz == Format.blockSize else { throw FormatError.invalid("superblock", "blksz \(blksz), expected \(Format.blockSize)") }
        guard bufspc == Format.bufferSpace else { throw FormatError.invalid("superblock", "bufspc \(bufspc), expected \(Format.bufferSpace)") }
        guard accepts(stored: stored, computed: computed) else { throw FormatError.hashMismatch("superblock", stored: stored, computed: computed) }
        guard block.allZero(Gefs8Format.packedSize(narena: sb.narena) + 8..<block.count) else {
            throw FormatError.invalid("superblock", "bytes past the hash are not zero")
        }
        guard sb.flag == 0 else { throw FormatError.invalid("superblock", "unknown feature bits \(hex(sb.flag))") }
        return sb
    }

    public func superblockError(_ sb: Superblock, slot: SuperblockSlot, at addr: Int64, deviceSize: Int64) -> String? {
        if let g = Gefs8Format.geometryError(sb) { return g }
        if let why = Gefs8Format.claimError(sb, deviceSize: deviceSize) { return why }
        if slot == .sb1, addr != sb.fssize - Format.blockSize64 {
            return "found at \(hex(addr)) but its fssize puts sb1 at \(hex(sb.fssize - Format.blockSize64))"
        }
        return nil
    }

    public func backupSuperblockAddress(primary: Superblock?, blockCount: Int64) -> Int64 {
        primary.map { $0.fssize - Format.blockSize64 } ?? (blockCount - 1) * Format.blockSize64
    }

    public func backupSuperblockAddress(for sb: Superblock, blockCount: Int64) -> Int64 { sb.fssize - Format.blockSize64 }

    /// §6: the valid copy with the larger qgen; on equal qgen and different bytes, sb0.
    public func chooseSuperblock(_ s0: SuperblockCopy, _ s1: SuperblockCopy, _ problems: inout [Problem]) -> (SuperblockSlot, Superblock)? {
        switch (s0.superblock, s1.superblock) {
        case let (a?, b?):
            if a.qgen == b.qgen {
                if s0.block != s1.block {
                    problems.append(Problem(.superblockMismatch, "sb0 and sb1 both have qgen \(a.qgen) but differ", block: s1.addr))
                }
                return (.sb0, a)
            }
            let (newer, older, olderCopy) = a.qgen > b.qgen ? (SuperblockSlot.sb0, b, s1) : (.sb1, a, s0)
            problems.append(Problem(.superblockStale, "\(olderCopy.slot) has qgen \(older.qgen), the current copy \(max(a.qgen, b.qgen))",
                                    block: olderCopy.addr))
            return (newer, newer == .sb0 ? a : b)
        case let (a?, nil): return (.sb0, a)
        case let (nil, b?): return (.sb1, b)
        case (nil, nil): return nil
        }
    }

    public func imageSizeProblems(_ sb: Superblock, deviceSize: Int64) -> [Problem] {
        let B = Format.blockSize64
        if deviceSize < sb.fssize {
            return [Problem(.imageTruncated, "image is \(deviceSize) bytes, the file system needs \(sb.fssize)")]
        }
        if deviceSize / B * B > sb.fssize {
            return [Problem(.imageGrown, "image is \(deviceSize) bytes, the file system covers \(sb.fssize)")]
        }
        return []
    }

    public func claimedSize(_ sb: Superblock, deviceSize: Int64) -> Int64 { max(sb.fssize, deviceSize) }

    /// A truncated image may be checked (its bitmaps cover the size the superblock claims),
    /// but a claim beyond twice the image plus 64 GiB is not believed: a hostile superblock
    /// would otherwise make every reader allocate for a file system that is not there.
    public static let believableExcess: Int64 = 64 << 30

    static func claimError(_ sb: Superblock, deviceSize: Int64) -> String? {
        let limit = deviceSize.multipliedReportingOverflow(by: 2).partialValue.addingReportingOverflow(believableExcess)
        guard sb.fssize > deviceSize, limit.overflow || sb.fssize > limit.partialValue else { return nil }
        return "claims fssize \(sb.fssize) (\(humanSize(sb.fssize))) on an image of \(deviceSize) bytes: a truncation that large is not believable"
    }

    /// Why a superblock's geometry does not fit the format, or nil when it does (§6).
    static func geometryError(_ sb: Superblock) -> String? {
        let B = Format.blockSize64, arenasz = sb.arenasz, fssize = sb.fssize, narena = sb.narena
        guard arenasz > 0, arenasz % B == 0 else { return "arenasz \(arenasz) is not a positive multiple of \(B)" }
        guard arenasz >= Int64(minArenaBlocks) * B else { return "arenasz \(arenasz) is below \(minArenaBlocks) blocks" }
        guard fssize > 0, fssize % B == 0 else { return "fssize \(fssize) is not a positive multiple of \(B)" }
        let (span, overflow) = arenasz.multipliedReportingOverflow(by: Int64(narena))
        let (end, past) = span.addingReportingOverflow(B)
        guard !overflow, !past, end <= fssize - B else { return "\(narena) arenas of \(arenasz) bytes do not fit in fssize \(fssize)" }
        let gap = (fssize - B) - (B + span)
        guard gap < Int64(narena) * B else { return "gap of \(gap / B) blocks after the arenas (must be fewer than \(narena))" }
        for (i, a) in sb.arenas.enumerated() where a.addr != arenaBase(sb, i) {
            return "arena \(i) header recorded at \(hex(a.addr)), expected \(hex(arenaBase(sb, i)))"
        }
        return nil
    }
}
