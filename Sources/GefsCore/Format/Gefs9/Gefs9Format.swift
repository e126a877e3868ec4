/// The genuine 9front gefs format, `gefs9.00` (FORMAT-9FRONT.md). One concern per file:
/// constants and the hash here, then `+Superblock` (§6), `+Arena` (§5, §7), `+Log` (§8) and
/// `+Deadlist` (§9.6). A pure value: no I/O.
public struct Gefs9Format: DiskFormat {
    public init() {}

    // MARK: Constants (§1)

    public static let magicBytes: [UInt8] = Array("gefs9.00".utf8)
    public static let blockSize = Format.blockSize
    public static let blockSize64 = Format.blockSize64
    /// Bytes per arena-table entry in the superblock: header address, header block hash.
    public static let arenaEntrySize = 16
    /// Offset of the superblock's arena table (no `arenasz`/`fssize`, unlike gefs8.00's 120).
    public static let superblockTableOffset = 104
    /// Header of a log block and of a deadlist block: type, logsz, logh, logp.
    public static let logHeaderSize = 36
    /// Entry area of a log or deadlist block.
    public static let logSpace = blockSize - logHeaderSize
    /// The genuine writer starts a new block when `logsz >= logSpace − logSlop`.
    public static let logSlop = 40
    /// `logSpace − logSlop` = 16308: a block whose `logsz` reaches this is full.
    public static let logFullAt = logSpace - logSlop
    /// Addresses one deadlist block holds: the genuine writer starts a new one at `logFullAt`.
    public static let deadlistCapacity = (logFullAt + 7) / 8
    /// Ream refuses an image smaller than this (128 MiB + B).
    public static let minimumImageSize: Int64 = (128 << 20) + blockSize64
    /// Ream makes between 8 and 32 arenas; growing adds four at a time.
    public static let minReamArenas = 8
    public static let maxReamArenas = 32
    /// Most arenas a superblock may hold: the genuine loader aborts at 256.
    public static let maxArenas = 255
    /// Ream makes one arena per 4 TiB of device (clamped to 8 ... 32).
    public static let reamBytesPerArena: Int64 = 4 << 40
    /// Smallest `size` of an arena: its region plus the two tail blocks.
    public static let minArenaSize: Int64 = 3 * blockSize64
    /// Space the genuine allocator keeps back in an arena of `size` bytes (§1, §8.4).
    public static func reserve(arenaSize size: Int64) -> Int64 {
        min(max(size / 1024, 512 << 10), 8 << 20)
    }

    // MARK: Hash (§2)

    /// `H`: MetroHash64_1 with seed 0x6765.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 { MetroHash64.hash(bytes) }
    public static func hash(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> UInt64 { MetroHash64.hash(bytes, range) }

    public var magic: [UInt8] { Gefs9Format.magicBytes }
    public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 { MetroHash64.hash(bytes) }
    public var logHeaderSize: Int { Gefs9Format.logHeaderSize }
    public var lastLogsz: Int { Gefs9Format.logSpace / 8 * 8 }
    public var deadlistCapacity: Int { Gefs9Format.deadlistCapacity }
}
