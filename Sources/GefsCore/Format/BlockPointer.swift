/// A block pointer (FORMAT.md §3): where a block is, its block hash, and its birth generation.
public struct BlockPointer: Hashable, Sendable, CustomStringConvertible {
    /// Byte address of the block; `-1` means no block.
    public var addr: Int64
    /// Block hash of the target (XXH3 of the whole block).
    public var hash: UInt64
    /// Birth generation of the target; `-1` = unknown.
    public var gen: Int64

    public init(addr: Int64, hash: UInt64, gen: Int64 = Format.none) {
        self.addr = addr; self.hash = hash; self.gen = gen
    }

    public static let null = BlockPointer(addr: Format.none, hash: 0, gen: Format.none)
    public var isNull: Bool { addr == Format.none }

    public static func decode(_ r: inout ByteReader) throws -> BlockPointer {
        BlockPointer(addr: try r.s64(), hash: try r.u64(), gen: try r.s64())
    }
    public func encode(into w: inout ByteWriter) {
        w.s64(addr); w.u64(hash); w.s64(gen)
    }
    public var description: String {
        isNull ? "nil" : "\(hex(addr))#\(hex(hash))@\(gen)"
    }
}
