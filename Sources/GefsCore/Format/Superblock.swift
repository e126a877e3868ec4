/// The superblock (FORMAT.md §6). `sb0` and `sb1` hold identical contents.
public struct Superblock: Equatable, Sendable {
    /// One arena's entry in the superblock: its header address and block hash.
    public struct ArenaRef: Equatable, Sendable {
        public var addr: Int64
        public var hash: UInt64
        public init(addr: Int64, hash: UInt64) { self.addr = addr; self.hash = hash }
    }

    public var narena: Int
    /// Height of the snapshot tree.
    public var snapHeight: Int
    /// Root of the snapshot tree (no gen is stored: it reads as -1).
    public var snapRoot: BlockPointer
    /// Head and tail of the snapshot tree's own deadlist; addresses -1 when empty.
    public var snapdlHead: BlockPointer
    public var snapdlTail: BlockPointer
    public var flag: UInt64
    public var nextqid: UInt64
    public var nextgen: UInt64
    /// Generation of the last completed sync.
    public var qgen: UInt64
    public var arenasz: Int64
    public var fssize: Int64
    public var arenas: [ArenaRef]

    public init(narena: Int, snapHeight: Int, snapRoot: BlockPointer, snapdlHead: BlockPointer = .null,
                snapdlTail: BlockPointer = .null, flag: UInt64 = 0, nextqid: UInt64, nextgen: UInt64,
                qgen: UInt64, arenasz: Int64, fssize: Int64, arenas: [ArenaRef]) {
        self.narena = narena; self.snapHeight = snapHeight; self.snapRoot = snapRoot
        self.snapdlHead = snapdlHead; self.snapdlTail = snapdlTail; self.flag = flag
        self.nextqid = nextqid; self.nextgen = nextgen; self.qgen = qgen
        self.arenasz = arenasz; self.fssize = fssize; self.arenas = arenas
    }

    /// Bytes covered by the superblock hash.
    public var packedSize: Int { 120 + 16 * narena }

    /// The superblock's packed fields (without the trailing hash).
    public func packedFields() -> [UInt8] {
        var w = ByteWriter(capacity: packedSize + 8)
        w.bytes(Format.magic)
        w.u32(UInt32(Format.blockSize)); w.u32(UInt32(Format.bufferSpace))
        w.u32(UInt32(narena)); w.u32(UInt32(truncatingIfNeeded: snapHeight))
        w.s64(snapRoot.addr); w.u64(snapRoot.hash)
        w.s64(snapdlHead.addr); w.u64(snapdlHead.hash)
        w.s64(snapdlTail.addr); w.u64(snapdlTail.hash)
        w.u64(flag); w.u64(nextqid); w.u64(nextgen); w.u64(qgen)
        w.s64(arenasz); w.s64(fssize)
        for a in arenas { w.s64(a.addr); w.u64(a.hash) }
        return w.bytes
    }

    /// The whole 16 KiB block: fields, their hash, zeros.
    public func encodeBlock() -> [UInt8] {
        let fields = packedFields()
        var block = [UInt8].zeroBlock()
        block.replaceSubrange(0..<fields.count, with: fields)
        block.put(XXH3.hash(fields), at: fields.count)
        return block
    }

    /// The fields of a superblock block, with the stored and the computed hash, without judging
    /// them (for dumps of damaged copies). Throws only when the magic or narena make the block
    /// unreadable as a superblock.
    public static func decodeFields(_ block: [UInt8]) throws -> (Superblock, stored: UInt64, computed: UInt64) {
        var r = ByteReader(block, structure: "superblock")
        let magic = try r.bytes(8)
        guard magic == Format.magic else { throw FormatError.badMagic(magic) }
        _ = try r.u32(); _ = try r.u32()
        let narena = try r.u32()
        guard (1...UInt32(Format.maxArenas)).contains(narena) else {
            throw FormatError.invalid("superblock", "narena \(narena) outside 1...\(Format.maxArenas)")
        }
        let ht = try r.u32()
        let root = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlh = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let dlt = BlockPointer(addr: try r.s64(), hash: try r.u64())
        let flag = try r.u64(), nextqid = try r.u64(), nextgen = try r.u64(), qgen = try r.u64()
        let arenasz = try r.s64(), fssize = try r.s64()
        var arenas: [ArenaRef] = []
        for _ in 0..<Int(narena) { arenas.append(ArenaRef(addr: try r.s64(), hash: try r.u64())) }
        let end = r.offset
        let stored = try r.u64()
        let sb = Superblock(narena: Int(narena), snapHeight: Int(ht), snapRoot: root, snapdlHead: dlh, snapdlTail: dlt,
                            flag: flag, nextqid: nextqid, nextgen: nextgen, qgen: qgen, arenasz: arenasz,
                            fssize: fssize, arenas: arenas)
        return (sb, stored, XXH3.hash(block, 0..<end))
    }

    /// Decodes and validates one superblock copy: magic, blksz, bufspc, narena, hash, zero tail,
    /// feature bits. Geometry is checked separately by `geometryError()`.
    public static func decode(_ block: [UInt8]) throws -> Superblock {
        let (sb, stored, computed) = try decodeFields(block)
        let blksz = block.u32(at: 8), bufspc = block.u32(at: 12)
        guard blksz == Format.blockSize else { throw FormatError.invalid("superblock", "blksz \(blksz), expected \(Format.blockSize)") }
        guard bufspc == Format.bufferSpace else { throw FormatError.invalid("superblock", "bufspc \(bufspc), expected \(Format.bufferSpace)") }
        guard XXH3.accepts(stored: stored, computed: computed) else { throw FormatError.hashMismatch("superblock", stored: stored, computed: computed) }
        guard block.allZero(sb.packedSize + 8..<block.count) else { throw FormatError.invalid("superblock", "bytes past the hash are not zero") }
        guard sb.flag == 0 else { throw FormatError.invalid("superblock", "unknown feature bits \(hex(sb.flag))") }
        return sb
    }

    /// Address of arena `i`'s header.
    public func arenaBase(_ i: Int) -> Int64 { Format.blockSize64 + Int64(i) * arenasz }

    /// Why this superblock's geometry does not fit the format, or nil when it does (§6).
    public func geometryError() -> String? {
        let B = Format.blockSize64
        guard arenasz > 0, arenasz % B == 0 else { return "arenasz \(arenasz) is not a positive multiple of \(B)" }
        guard arenasz >= Int64(Format.minArenaBlocks) * B else { return "arenasz \(arenasz) is below \(Format.minArenaBlocks) blocks" }
        guard fssize > 0, fssize % B == 0 else { return "fssize \(fssize) is not a positive multiple of \(B)" }
        let (span, overflow) = arenasz.multipliedReportingOverflow(by: Int64(narena))
        let (end, past) = span.addingReportingOverflow(B)
        guard !overflow, !past, end <= fssize - B else { return "\(narena) arenas of \(arenasz) bytes do not fit in fssize \(fssize)" }
        let gap = (fssize - B) - (B + span)
        guard gap < Int64(narena) * B else { return "gap of \(gap / B) blocks after the arenas (must be fewer than \(narena))" }
        for (i, a) in arenas.enumerated() where a.addr != arenaBase(i) {
            return "arena \(i) header recorded at \(hex(a.addr)), expected \(hex(arenaBase(i)))"
        }
        return nil
    }
}
