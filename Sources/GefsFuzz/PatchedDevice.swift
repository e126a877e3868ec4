import GefsCore

/// A block device over a base image's bytes with some blocks replaced, so that a fuzz input
/// costs what it changes rather than a copy of the whole base. Writes go to the overlay too.
public final class PatchedDevice: BlockDevice {
    public let name: String
    public let size: Int64
    let base: [UInt8]
    /// Replaced blocks, by address.
    public private(set) var overlay: [Int64: [UInt8]] = [:]

    /// `size` may differ from the base's: blocks past the base read as zeros.
    public init(name: String = "fuzz", base: [UInt8], size: Int64? = nil) {
        self.name = name
        self.base = base
        self.size = size ?? Int64(base.count)
    }

    func check(_ addr: Int64) throws {
        guard addr >= 0, addr % Format.blockSize64 == 0, addr <= size - Format.blockSize64 else {
            throw DeviceError(path: name, message: "no block at \(hex(addr)) (image of \(size) bytes)")
        }
    }

    public func read(at addr: Int64) throws -> [UInt8] {
        try check(addr)
        if let b = overlay[addr] { return b }
        let o = Int(addr)
        guard o + Format.blockSize <= base.count else { return .zeroBlock() }
        return Array(base[o..<o + Format.blockSize])
    }

    public func write(_ block: [UInt8], at addr: Int64) throws {
        precondition(block.count == Format.blockSize)
        try check(addr)
        overlay[addr] = block
    }

    public func flush() throws {}

    /// Replaces `bytes.count` bytes at `offset` of the block at `addr`, clipped to the block.
    public func patch(_ addr: Int64, offset: Int, _ bytes: ArraySlice<UInt8>) {
        guard var b = try? read(at: addr) else { return }
        let n = min(bytes.count, Format.blockSize - offset)
        guard n > 0 else { return }
        b.replaceSubrange(offset..<offset + n, with: bytes.prefix(n))
        overlay[addr] = b
    }
}
