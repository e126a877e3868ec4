/// The gefs9.00 superblock (FORMAT-9FRONT.md §6), in the common `Superblock` struct.
///
/// gefs9.00 has **no `arenasz` and no `fssize`**: the arena table starts at byte 104 and the
/// geometry comes from the table and each arena's `size` (§5). Decoding sets both fields of the
/// struct to 0; encoding ignores them. An empty `snapdl` is written with addresses and hashes −1.
extension Gefs9Format {
    /// Bytes covered by the superblock hash: `104 + 16·narena`.
    public static func superblockPackedSize(narena: Int) -> Int { superblockTableOffset + arenaEntrySize * narena }

    public func decodeSuperblockFields(_ block: [UInt8]) throws -> (Superblock, stored: UInt64, computed: UInt64) {
        var r = ByteReader(block, structure: "superblock")
        let magic = try r.bytes(8)
        guard magic == Gefs9Format.magicBytes else { throw FormatError.badMagic(magic, expected: name) }
        _ = try r.u32(); _ = try r.u32()
        let narena = try r.u32()
        guard (1...UInt32(Gefs9Format.maxArenas)).contains(narena) else {
            throw FormatError.invalid("superblock", "narena \(narena) outside 1...\(Gefs9Format.maxArenas)")
        }
        let ht = try r.u32()
        let root = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlh = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlt = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let flag = try r.u64(), nextqid = try r.u64(), nextgen = try r.u64(), qgen = try r.u64()
        var arenas: [Superblock.ArenaRef] = []
        arenas.reserveCapacity(Int(narena))
        for _ in 0..<Int(narena) { arenas.append(.init(addr: try r.s64(), hash: try r.u64())) }
        let end = r.offset
        let stored = try r.u64()
        let sb = Superblock(narena: Int(narena), snapHeight: Int(ht), snapRoot: root, snapdlHead: dlh, snapdlTail: dlt,
                            flag: flag, nextqid: nextqid, nextgen: nextgen, qgen: qgen, arenasz: 0, fssize: 0,
                            arenas: arenas)
        return (sb, stored, Gefs9Format.hash(block, 0..<end))
    }

    /// Valid on its own (§6): magic, blksz, bufspc, `1 <= narena <= 255`, hash, zero rest. A
    /// non-zero `flag` is not invalid here (the genuine gefs ignores it; a checker warns). The
    /// arena table is `superblockError`'s.
    public func decodeSuperblock(_ block: [UInt8]) throws -> Superblock {
        let (sb, stored, computed) = try decodeSuperblockFields(block)
        let blksz = block.u32(at: 8), bufspc = block.u32(at: 12)
        guard blksz == Gefs9Format.blockSize else { throw FormatError.invalid("superblock", "blksz \(blksz), expected \(Gefs9Format.blockSize)") }
        guard bufspc == Format.bufferSpace else { throw FormatError.invalid("superblock", "bufspc \(bufspc), expected \(Format.bufferSpace)") }
        guard accepts(stored: stored, computed: computed) else { throw FormatError.hashMismatch("superblock", stored: stored, computed: computed) }
        let end = Gefs9Format.superblockPackedSize(narena: sb.narena) + 8
        guard block.allZero(end..<block.count) else { throw FormatError.invalid("superblock", "bytes past the hash are not zero") }
        return sb
    }

    /// The whole block: fields, their hash, zeros. `arenasz` and `fssize` are not part of
    /// gefs9.00 and are ignored; `narena` is the table's length. A `snapdl` pointer whose
    /// address is −1 is written with hash −1, as the genuine writer does.
    public func encodeSuperblock(_ sb: Superblock) -> [UInt8] {
        precondition(sb.narena == sb.arenas.count, "narena \(sb.narena) but \(sb.arenas.count) table entries")
        precondition((1...Gefs9Format.maxArenas).contains(sb.arenas.count), "narena \(sb.arenas.count) outside 1...\(Gefs9Format.maxArenas)")
        let size = Gefs9Format.superblockPackedSize(narena: sb.arenas.count)
        var w = ByteWriter(capacity: size + 8)
        w.bytes(Gefs9Format.magicBytes)
        w.u32(UInt32(Gefs9Format.blockSize)); w.u32(UInt32(Format.bufferSpace))
        w.u32(UInt32(sb.arenas.count)); w.u32(UInt32(truncatingIfNeeded: sb.snapHeight))
        w.s64(sb.snapRoot.addr); w.u64(sb.snapRoot.hash)
        for p in [sb.snapdlHead, sb.snapdlTail] {
            w.s64(p.addr); w.u64(p.isNull ? UInt64.max : p.hash)
        }
        w.u64(sb.flag); w.u64(sb.nextqid); w.u64(sb.nextgen); w.u64(sb.qgen)
        for a in sb.arenas { w.s64(a.addr); w.u64(a.hash) }
        var block = [UInt8].zeroBlock()
        block.replaceSubrange(0..<size, with: w.bytes)
        block.put(Gefs9Format.hash(block, 0..<size), at: size)
        return block
    }

    /// What the superblock alone says about its arena table against the device (§5): the first
    /// header is at B, every header address is a multiple of B, they ascend (by at least the
    /// smallest span, 5 blocks), and the last header lies before the last whole block, where
    /// `sb1` goes. Whether each next header is the previous arena's end needs the arenas' `size`
    /// and is the Image's check, as is truncation of the last arena. The copy's place is not
    /// judged here: `sb1` is wherever the last whole block is.
    public func superblockError(_ sb: Superblock, slot: SuperblockSlot, at addr: Int64, deviceSize: Int64) -> String? {
        let B = Gefs9Format.blockSize64
        guard let first = sb.arenas.first else { return "no arenas" }
        guard first.addr == B else { return "arena 0 header recorded at \(hex(first.addr)), expected \(hex(B))" }
        let minSpan = Gefs9Format.minArenaSize + 2 * B
        var prev: Int64?
        for (i, a) in sb.arenas.enumerated() {
            guard a.addr % B == 0 else { return "arena \(i) header address \(hex(a.addr)) is not a multiple of \(B)" }
            if let p = prev {
                let (least, overflow) = p.addingReportingOverflow(minSpan)
                guard !overflow, a.addr >= least else {
                    return "arena \(i) header at \(hex(a.addr)) is less than \(minSpan / B) blocks after arena \(i - 1)'s at \(hex(p))"
                }
            }
            prev = a.addr
        }
        let last = sb.arenas[sb.arenas.count - 1].addr
        let sb1 = (deviceSize / B - 1) * B
        guard last < sb1 else {
            return "arena \(sb.arenas.count - 1) header at \(hex(last)) is not before the image's last block \(hex(sb1))"
        }
        return nil
    }

    /// `sb1` is the image's last whole block (§6), whatever `sb0` says.
    public func backupSuperblockAddress(primary: Superblock?, blockCount: Int64) -> Int64 {
        (blockCount - 1) * Gefs9Format.blockSize64
    }

    public func backupSuperblockAddress(for sb: Superblock, blockCount: Int64) -> Int64 {
        (blockCount - 1) * Gefs9Format.blockSize64
    }

    /// §6: `sb0` when it is valid, else `sb1`; `qgen` is never compared. When both are valid
    /// and their bytes differ, `sb1` is stale (a warning), and the message says so when its
    /// `qgen` is the larger (a disk that reordered writes): `sb0` is still the one used, as the
    /// genuine loader does.
    public func chooseSuperblock(_ s0: SuperblockCopy, _ s1: SuperblockCopy, _ problems: inout [Problem]) -> (SuperblockSlot, Superblock)? {
        switch (s0.superblock, s1.superblock) {
        case let (a?, b?):
            if s0.block != s1.block {
                let why = b.qgen > a.qgen
                    ? "sb1 differs from sb0 and has the larger qgen (\(b.qgen) > \(a.qgen)): the disk reordered writes; sb0 is used, as the genuine gefs does"
                    : "sb1 differs from sb0 (qgen \(b.qgen), sb0 \(a.qgen)); sb0 is used"
                problems.append(Problem(.superblockStale, why, block: s1.addr))
            }
            return (.sb0, a)
        case let (a?, nil): return (.sb0, a)
        case let (nil, b?): return (.sb1, b)
        case (nil, nil): return nil
        }
    }

    /// Nothing about the image's size can be said from a gefs9.00 superblock alone: it records
    /// no `fssize`, and truncation (an image shorter than the last arena's end plus one block)
    /// and an extended gap need the arenas' `size`, which the Image checks once it has read them.
    public func imageSizeProblems(_ sb: Superblock, deviceSize: Int64) -> [Problem] { [] }

    /// The device's size: a superblock that passes `superblockError` has every arena header
    /// inside the device, and the arenas' extent beyond that is only known from their copies.
    public func claimedSize(_ sb: Superblock, deviceSize: Int64) -> Int64 { deviceSize }
}
