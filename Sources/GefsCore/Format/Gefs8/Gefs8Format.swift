/// The format `gefs8.00` (FORMAT.md): every hash XXH3-64, a fixed arena geometry recorded in
/// the superblock (`arenasz`, `fssize`), log blocks chained by LogChain entries and ended by
/// LogEnd, deadlist blocks verified through their hashed pointers.
public struct Gefs8Format: DiskFormat {
    public init() {}

    public static let magic: [UInt8] = Array("gefs8.00".utf8)
    public var magic: [UInt8] { Gefs8Format.magic }

    /// Log block header: type, logsz, loghash (§8.1).
    public static let logHeaderSize = 12
    /// Reserved bytes at the start of the log data area: the first entry is at data offset 8.
    public static let logReserved = 8
    public static let logSpace = Format.blockSize - logHeaderSize
    /// Deadlist block header: type, deadsz, deadp (§4).
    public static let deadlistHeaderSize = 28
    /// Smallest arena span, in blocks (§5).
    public static let minArenaBlocks = 64
    public static let maxArenas = 256

    @inlinable public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 { XXH3.hash(bytes) }
}
