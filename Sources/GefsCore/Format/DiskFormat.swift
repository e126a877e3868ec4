/// One on-disk format of gefs: everything below the tree layer that differs between `gefs8.00`
/// (FORMAT.md) and `gefs9.00` (FORMAT-9FRONT.md). An `Image` carries the format its magic named,
/// and the core asks it — never a static namespace — how to hash, where arenas lie, how a
/// superblock, a log block or a deadlist block is laid out, and how a checker grades what the
/// format's own writer normally leaves behind.
///
/// A format is a pure value: it does no I/O. Each one lives in its own folder
/// (`Format/Gefs8/`, `Format/Gefs9/`), one concern per file.
public protocol DiskFormat: Sendable {
    /// The magic at the start of a superblock, which is also the format's name: `gefs8.00`.
    var magic: [UInt8] { get }

    // MARK: Hash (§2)

    /// The block hash `H` over `bytes`.
    func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64

    // MARK: Superblock (§6)

    /// The fields of a superblock block with the stored and computed hash, without judging them
    /// (for dumps of damaged copies). Throws only when the magic or narena make the block
    /// unreadable as a superblock.
    func decodeSuperblockFields(_ block: [UInt8]) throws -> (Superblock, stored: UInt64, computed: UInt64)
    /// Decodes and validates one copy on its own: magic, constants, hash, zero tail, flag.
    func decodeSuperblock(_ block: [UInt8]) throws -> Superblock
    /// The whole block of a superblock copy: fields, their hash, zeros.
    func encodeSuperblock(_ sb: Superblock) -> [UInt8]
    /// Why a copy that decodes does not fit the image it was read from (geometry, the size it
    /// claims, its place), or nil.
    func superblockError(_ sb: Superblock, slot: SuperblockSlot, at addr: Int64, deviceSize: Int64) -> String?
    /// Where `sb1` is looked for, given a valid `sb0` (if any) and the image's whole blocks.
    func backupSuperblockAddress(primary: Superblock?, blockCount: Int64) -> Int64
    /// Where a writer puts `sb1` for this superblock on a device of `blockCount` blocks.
    func backupSuperblockAddress(for sb: Superblock, blockCount: Int64) -> Int64
    /// Chooses the current copy among the valid ones (the format's rule), reporting stale or
    /// mismatched copies. Nil when neither is valid.
    func chooseSuperblock(_ s0: SuperblockCopy, _ s1: SuperblockCopy, _ problems: inout [Problem]) -> (SuperblockSlot, Superblock)?
    /// Problems of the image's size against what the current superblock describes.
    func imageSizeProblems(_ sb: Superblock, deviceSize: Int64) -> [Problem]
    /// The bytes an image must span for this file system (for bitmaps sized by the claim).
    func claimedSize(_ sb: Superblock, deviceSize: Int64) -> Int64

    // MARK: Arenas (§5, §7)

    /// Where arena `i`'s header and footer lie.
    func arenaCopyAddresses(_ sb: Superblock, _ i: Int) -> (header: Int64, footer: Int64)
    /// Arena `i`'s geometry, given the copy that holds its state (gefs9.00 reads `size` from it).
    func arenaGeometry(_ sb: Superblock, _ i: Int, copy: ArenaCopy?) -> ArenaGeometry
    /// Why a decoded copy is not well formed for arena `i`, or nil.
    func arenaCopyError(_ copy: ArenaCopy, _ sb: Superblock, _ i: Int) -> String?

    // MARK: Allocation log (§8)

    /// Size of a log block's header: entries start at this block offset.
    var logHeaderSize: Int { get }
    /// The largest `logsz` a log block may hold (gefs8.00: the offset of the last word, where
    /// its terminator may stand; gefs9.00: the entries' whole length).
    var lastLogsz: Int { get }
    /// Reads a log block's header; throws when the block is not a Tlog block.
    func logHeader(_ block: [UInt8]) throws -> LogBlockHeader
    /// Calls `visit` with each step of a log block in order — its entries, then the step that
    /// ends the block — until `visit` returns false. (A callback rather than a sequence: replay
    /// runs through tens of millions of entries a second.)
    func walkLog(_ block: [UInt8], _ visit: (LogStep) -> Bool)
    /// An empty log block to append to.
    func newLogBlock() -> any LogBlockWriter
    /// Resumes appending to `block` at entry offset `logsz` (over whatever follows).
    func resumeLogBlock(_ block: [UInt8], at logsz: Int) -> any LogBlockWriter
    /// Stores in a log block's header the hash of what the header covers now (writers, and
    /// tests that edit a block's words).
    func sealLogBlock(_ block: inout [UInt8])
    /// The words an entry is stored as.
    func encode(_ e: LogEntry) -> [UInt64]
    /// The entry an offline rewrite writes for one free extent of its final free map (gefs8.00:
    /// LogFree1 for one block, LogFree otherwise; gefs9.00: always the two-wide LogFree, as the
    /// genuine compression writes it, FORMAT-9FRONT.md §8.4, §8.5).
    func compactFree(_ addr: Int64, _ len: Int64) -> LogEntry
    /// `loghd.hash` of an arena copy whose log starts with `head`: `previous` is the hash the
    /// current copy holds when the log keeps its head, nil when the log was rewritten (gefs8.00:
    /// the head's block hash; gefs9.00: −1 after a rewrite, else the previous value, §7).
    func logHeadHash(_ head: [UInt8], previous: UInt64?) -> UInt64

    // MARK: Deadlists (§9.6)

    /// Addresses one deadlist block holds.
    var deadlistCapacity: Int { get }
    /// Checks a deadlist block read through `pointer`: gefs8.00 by the pointer's hash, gefs9.00
    /// by the block's body hash. Throws `FormatError.hashMismatch` when it fails.
    func verifyDeadlistBlock(_ block: [UInt8], pointer: BlockPointer) throws
    func decodeDeadlistBlock(_ block: [UInt8]) throws -> DeadlistBlock
    func encodeDeadlistBlock(_ d: DeadlistBlock) -> [UInt8]
    /// The pointer a writer stores to a new deadlist block `block` at `addr` (a Kdlist end, a
    /// chained block's `logp`) for a chain of generation `gen` (gefs8.00: the block hash and
    /// `gen`; gefs9.00: hash −1 and gen 0, FORMAT-9FRONT.md §3, §9.6).
    func deadlistPointer(_ addr: Int64, _ block: [UInt8], gen: Int64) -> BlockPointer
    /// The birth generation of a new snapshot-tree node, given the newest generation in use
    /// (gefs8.00: that one; gefs9.00: 0, the snapshot tree's own, which never advances, §9.5).
    func snapshotTreeGen(newest: Int64) -> Int64

    /// Whether this toolkit's repairs and log rewrites write this format (checked against its
    /// genuine reader); a format without them is only read and checked.
    var repairable: Bool { get }
    /// Whether an arena-table hash of −1 beside an identical, well-formed header and footer is
    /// repaired by recording the header's block hash (gefs9.00: what `gefs -g` leaves,
    /// FORMAT-9FRONT.md §5, §14 item 19).
    var recordsMissingArenaHash: Bool { get }

    // MARK: Checking (FORMAT-9FRONT.md §14)

    /// How a checker grades the states where the formats differ.
    var grading: Grading { get }
    /// What an unreachable block's bytes suggest it was.
    func looksLike(_ block: [UInt8]) -> BlockLook
    /// Problems of the arena table that need the arenas' own sizes (FORMAT-9FRONT.md §5), and of
    /// superblock fields the format only warns about.
    /// `arenas[i]` is nil for an arena without a current copy.
    func layoutProblems(_ sb: Superblock, _ arenas: [ArenaGeometry?], blockCount: Int64) -> [Problem]
}

extension DiskFormat {
    /// The format's name, as tools print it: `gefs8.00`.
    public var name: String { String(decoding: magic, as: UTF8.self) }

    /// `H(bytes[range])`.
    @inlinable public func hash(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            hash(UnsafeRawBufferPointer(rebasing: raw[range ?? 0..<raw.count]))
        }
    }

    /// Every step of a log block, for tools that show them (replay uses `walkLog`).
    public func logSteps(_ block: [UInt8]) -> [LogStep] {
        var out: [LogStep] = []
        walkLog(block) { out.append($0); return true }
        return out
    }

    /// Whether a hash stored on disk accepts the one computed over the bytes. Only the fuzzing
    /// build (`-D GEFS_FUZZ`, scripts/fuzz.sh) accepts every hash, so that a fuzzer's bytes reach
    /// the checks behind the hashes; a normal build never defines GEFS_FUZZ.
    @inlinable public func accepts(stored: UInt64, computed: UInt64) -> Bool {
        #if GEFS_FUZZ
        return true
        #else
        return stored == computed
        #endif
    }
}

/// Where one arena lies (FORMAT.md §5, FORMAT-9FRONT.md §5): the only place arena arithmetic
/// is done outside a format's own folder.
public struct ArenaGeometry: Equatable, Sendable {
    public var header: Int64
    public var footer: Int64
    /// The allocatable region: every block the log describes lies here.
    public var region: Range<Int64>
    /// Blocks that are allocated by construction, belong to no structure and are never logged
    /// (gefs9.00's two tail blocks; none in gefs8.00).
    public var tailBlocks: [Int64]
    /// `used` of a fully allocated arena: where replay starts (region bytes plus tail blocks).
    public var size: Int64
    /// Every byte of the arena: header to the end of its last block.
    public var span: Range<Int64>

    public init(header: Int64, footer: Int64, region: Range<Int64>, tailBlocks: [Int64] = [], span: Range<Int64>) {
        self.header = header; self.footer = footer; self.region = region; self.tailBlocks = tailBlocks
        self.size = region.upperBound - region.lowerBound + Int64(tailBlocks.count) * Int64(Format.blockSize)
        self.span = span
    }
}

/// A log block's header as both formats have it: the byte length of its entries and the stored
/// hash, with the hash computed over what the format covers, and the chain pointer when the
/// header holds it (gefs9.00's `logp`).
public struct LogBlockHeader: Equatable, Sendable {
    /// gefs8.00: data-area offset of the terminator; gefs9.00: byte length of the entries.
    public var logsz: Int
    public var storedHash: UInt64
    public var computedHash: UInt64
    /// gefs9.00: the next block's address, −1 at the end; nil in gefs8.00 (the chain is an entry).
    public var next: Int64?

    public init(logsz: Int, storedHash: UInt64, computedHash: UInt64, next: Int64? = nil) {
        self.logsz = logsz; self.storedHash = storedHash; self.computedHash = computedHash; self.next = next
    }
}

/// What a walk over one log block meets, in order. Offsets are the format's entry offsets
/// (gefs8.00: within the data area, the first at 8; gefs9.00: within the entry area, from 0).
public enum LogStep: Equatable, Sendable {
    /// A well-formed entry. gefs8.00's LogChain and LogEnd words are entries too (dumps show
    /// them); `.next` or `.last` follows them.
    case entry(offset: Int, LogEntry)
    /// The log continues in the block at `addr`.
    case next(Int64)
    /// The log ends in this block; a writer would append at `offset`.
    case last(offset: Int)
    /// LogNop or an unknown op: the rest of the block cannot be read.
    case badOp(offset: Int, word: UInt64)
    /// A two-word entry whose second word would fall past the entries.
    case straddle(offset: Int, word: UInt64)
    /// The header's `logsz` is not one the format allows (gefs9.00: above 16348 or not a
    /// multiple of 8): where the entries end is unknown, so the block is not a valid log block
    /// and nothing of it is read.
    case badLogsz(Int)
    /// The data area ended with no LogEnd or LogChain (gefs8.00).
    case noTerminator
}


/// Lays out one log block as the format's writers do (§8.4).
public protocol LogBlockWriter {
    /// Where the next entry goes (the format's entry offset).
    var logsz: Int { get }
    /// Whether a writer must start a new block before the next append (§8.4).
    var isFull: Bool { get }
    func fits(_ e: LogEntry) -> Bool
    mutating func append(_ e: LogEntry)
    /// Links this block to the next one of the chain.
    mutating func chain(to next: Int64)
    /// The block with its hash filled in.
    func finished() -> [UInt8]
}
