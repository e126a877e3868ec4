/// Plan 9 mode bits carried in Xdir `mode` (FORMAT.md §9.5).
public enum Mode {
    public static let dir: UInt32 = 0x8000_0000
    public static let append: UInt32 = 0x4000_0000
    public static let excl: UInt32 = 0x2000_0000
    public static let tmp: UInt32 = 0x0400_0000
    /// Qid type bit of a directory.
    public static let qtdir: UInt8 = 0x80
}

/// A directory entry (Kent value, 61 bytes).
public struct Xdir: Equatable, Sendable {
    public static let size = 61
    public var flag: UInt64 = 0
    public var qidPath: UInt64
    public var qidVers: UInt32 = 0
    public var qidType: UInt8
    public var mode: UInt32
    public var atime: Int64
    public var mtime: Int64
    public var length: UInt64
    public var uid: Int32
    public var gid: Int32
    public var muid: Int32

    public init(qidPath: UInt64, mode: UInt32, atime: Int64, mtime: Int64, length: UInt64 = 0,
                uid: Int32, gid: Int32, muid: Int32, qidVers: UInt32 = 0, flag: UInt64 = 0) {
        self.flag = flag; self.qidPath = qidPath; self.qidVers = qidVers; self.qidType = UInt8(mode >> 24)
        self.mode = mode; self.atime = atime; self.mtime = mtime; self.length = length
        self.uid = uid; self.gid = gid; self.muid = muid
    }

    public var isDirectory: Bool { mode & Mode.dir != 0 }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Xdir.size)
        w.u64(flag); w.u64(qidPath); w.u32(qidVers); w.u8(qidType); w.u32(mode)
        w.s64(atime); w.s64(mtime); w.u64(length)
        w.u32(UInt32(bitPattern: uid)); w.u32(UInt32(bitPattern: gid)); w.u32(UInt32(bitPattern: muid))
        return w.bytes
    }

    public static func decode(_ v: [UInt8]) throws -> Xdir {
        guard v.count == size else { throw FormatError.invalid("Xdir", "\(v.count) bytes, expected \(size)") }
        var r = ByteReader(v, structure: "Xdir")
        let flag = try r.u64(), path = try r.u64(), vers = try r.u32(), type = try r.u8(), mode = try r.u32()
        var x = Xdir(qidPath: path, mode: mode, atime: Int64(bitPattern: try r.u64()), mtime: Int64(bitPattern: try r.u64()),
                     length: try r.u64(), uid: Int32(bitPattern: try r.u32()), gid: Int32(bitPattern: try r.u32()),
                     muid: Int32(bitPattern: try r.u32()), qidVers: vers, flag: flag)
        x.qidType = type
        return x
    }

    /// Applies an Owstat message value: flags, then each present field in bit order (§9.4).
    public mutating func apply(wstat v: [UInt8]) throws {
        var r = ByteReader(v, structure: "Owstat")
        let flags = try r.u8()
        guard flags & 0x80 == 0 else { throw FormatError.invalid("Owstat", "unknown flag bits \(hex(flags))") }
        if flags & 0x01 != 0 { length = try r.u64() }
        if flags & 0x02 != 0 { mode = try r.u32(); qidType = UInt8(mode >> 24) }
        if flags & 0x04 != 0 { mtime = try r.s64() }
        if flags & 0x08 != 0 { atime = try r.s64() }
        if flags & 0x10 != 0 { uid = Int32(bitPattern: try r.u32()) }
        if flags & 0x20 != 0 { gid = Int32(bitPattern: try r.u32()) }
        if flags & 0x40 != 0 { muid = Int32(bitPattern: try r.u32()) }
        try r.expectEnd()
        qidVers &+= 1
    }
}

/// A snapshot record (Ksnap value, 72 bytes).
public struct TreeRecord: Equatable, Sendable {
    public static let size = 72
    public var nref: UInt32
    public var nlbl: UInt32
    public var height: UInt32
    public var flag: UInt32 = 0
    public var gen: Int64
    public var pred: Int64
    public var succ: Int64
    public var base: Int64
    public var root: BlockPointer

    public init(nref: UInt32, nlbl: UInt32, height: UInt32, flag: UInt32 = 0, gen: Int64, pred: Int64,
                succ: Int64, base: Int64, root: BlockPointer) {
        self.nref = nref; self.nlbl = nlbl; self.height = height; self.flag = flag
        self.gen = gen; self.pred = pred; self.succ = succ; self.base = base; self.root = root
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: TreeRecord.size)
        w.u32(nref); w.u32(nlbl); w.u32(height); w.u32(flag)
        w.s64(gen); w.s64(pred); w.s64(succ); w.s64(base)
        root.encode(into: &w)
        return w.bytes
    }

    public static func decode(_ v: [UInt8]) throws -> TreeRecord {
        guard v.count == size else { throw FormatError.invalid("Tree", "\(v.count) bytes, expected \(size)") }
        var r = ByteReader(v, structure: "Tree")
        return TreeRecord(nref: try r.u32(), nlbl: try r.u32(), height: try r.u32(), flag: try r.u32(),
                          gen: try r.s64(), pred: try r.s64(), succ: try r.s64(), base: try r.s64(),
                          root: try .decode(&r))
    }

    /// Applies an Orelink (`succ`) or Oreprev (`pred`) message value: link[8] dlbl[1] dref[1].
    public mutating func apply(_ op: MessageOp, _ v: [UInt8]) throws {
        var r = ByteReader(v, structure: "\(op)")
        let link = try r.s64(), dlbl = try r.s8(), dref = try r.s8()
        try r.expectEnd()
        if op == .relink { succ = link } else { pred = link }
        nlbl = UInt32(truncatingIfNeeded: Int64(nlbl) + Int64(dlbl))
        nref = UInt32(truncatingIfNeeded: Int64(nref) + Int64(dref))
    }
}

/// A label's value (Klabel value, 13 bytes): the Ksnap key of the snapshot it names, and flags.
public struct LabelValue: Equatable, Sendable {
    public static let size = 13
    /// The label may be written through.
    public static let mutable: UInt32 = 0x1
    public var gen: UInt64
    public var flags: UInt32
    public init(gen: UInt64, flags: UInt32) { self.gen = gen; self.flags = flags }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: LabelValue.size)
        w.u8(KeyKind.snap.rawValue); w.u64(gen); w.u32(flags)
        return w.bytes
    }
    public static func decode(_ v: [UInt8]) throws -> LabelValue {
        guard v.count == size else { throw FormatError.invalid("label value", "\(v.count) bytes, expected \(size)") }
        guard v[0] == KeyKind.snap.rawValue else { throw FormatError.invalid("label value", "does not start with a Ksnap key") }
        return LabelValue(gen: v.u64(at: 1), flags: v.u32(at: 9))
    }
}

/// A deadlist head and tail (Kdlist value, 48 bytes).
public struct DeadlistRef: Equatable, Sendable {
    public static let size = 48
    /// Newest block of the chain.
    public var head: BlockPointer
    /// Oldest block of the chain.
    public var tail: BlockPointer
    public init(head: BlockPointer, tail: BlockPointer) { self.head = head; self.tail = tail }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: DeadlistRef.size)
        head.encode(into: &w); tail.encode(into: &w)
        return w.bytes
    }
    public static func decode(_ v: [UInt8]) throws -> DeadlistRef {
        guard v.count == size else { throw FormatError.invalid("Kdlist value", "\(v.count) bytes, expected \(size)") }
        var r = ByteReader(v, structure: "Kdlist value")
        return DeadlistRef(head: try .decode(&r), tail: try .decode(&r))
    }
}

/// A deadlist block (FORMAT.md §9.6, FORMAT-9FRONT.md §9.6): addresses of dead blocks, and the
/// next older block. Each format's folder holds its codec.
public struct DeadlistBlock: Equatable, Sendable {
    public var next: BlockPointer
    public var addresses: [Int64]

    public init(next: BlockPointer, addresses: [Int64]) { self.next = next; self.addresses = addresses }
}
