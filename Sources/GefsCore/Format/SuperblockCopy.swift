/// Which superblock copy.
public enum SuperblockSlot: String, Sendable { case sb0, sb1 }

/// One superblock copy as found on disk.
public struct SuperblockCopy: Sendable {
    public var slot: SuperblockSlot
    /// Where it was looked for; nil when the image has no room for it.
    public var addr: Int64?
    /// The raw block, when it could be read.
    public var block: [UInt8]?
    /// The decoded superblock when the copy is valid (fields, hash and geometry).
    public var superblock: Superblock?
    /// Why the copy is invalid, when it is.
    public var error: String?
    /// The fields, decoded even when the geometry is wrong (for dumps).
    public var fields: Superblock?

    public var isValid: Bool { superblock != nil }
}
