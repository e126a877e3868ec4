/// Constants both on-disk formats share (FORMAT.md §1, FORMAT-9FRONT.md §1): the block size and
/// the tree layer. What differs lives in each format's folder.
public enum Format {
    /// Block size: every block address is a multiple of it.
    public static let blockSize = 16384
    public static let blockSize64 = Int64(blockSize)
    public static let pointerSize = 24
    /// A block pointer plus the child's fill, as stored in pivots.
    public static let pivotPointerSize = 26
    public static let leafHeaderSize = 6
    public static let pivotHeaderSize = 10
    public static let leafSpace = blockSize - leafHeaderSize
    public static let bufferSpace = (blockSize - pivotHeaderSize) / 2
    public static let pivotSpace = blockSize - pivotHeaderSize - bufferSpace
    /// A writer starts a new log block when `logsz >= logSpace - logSlop` (both formats).
    public static let logSlop = 40
    public static let keyMax = 256
    public static let inlineMax = 512
    public static let nameMax = 244
    public static let maxTreeHeight = 16
    /// The value of `-1` in an `s64` field: "none".
    public static let none: Int64 = -1
}

/// The type word at the start of every non-data block (FORMAT.md §4).
public enum BlockType: UInt16, Sendable, CustomStringConvertible {
    case data = 0, pivot = 1, leaf = 2, log = 3, deadlist = 4, arena = 5
    case superblock = 0x6765

    public var description: String {
        switch self {
        case .data: return "Tdat"
        case .pivot: return "Tpivot"
        case .leaf: return "Tleaf"
        case .log: return "Tlog"
        case .deadlist: return "Tdlist"
        case .arena: return "Tarena"
        case .superblock: return "Tsuper"
        }
    }
}
