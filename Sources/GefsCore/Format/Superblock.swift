/// The superblock's fields (FORMAT.md §6, FORMAT-9FRONT.md §6), common to both formats; each
/// format's folder holds its codec. `sb0` and `sb1` hold identical contents.
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
    /// gefs8.00's fixed geometry: bytes per arena span and bytes the file system covers.
    /// gefs9.00 records neither (its geometry is the arena table and each arena's `size`):
    /// both are 0 there.
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
}

extension Superblock {
    /// Whether snapshot or block gen `gen` is one in use: not negative (as the u64 a key holds,
    /// a negative gen is above every nextgen) and below `nextgen` (FORMAT.md §9.5).
    public func inUse(gen: Int64) -> Bool { gen >= 0 && UInt64(gen) < nextgen }
}
