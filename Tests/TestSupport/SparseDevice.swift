import Foundation
import GefsCore

/// An in-memory image that stores only the blocks written (every other block reads as zeros),
/// for tests of images of hundreds of MiB. Like `MemoryDevice`, it can simulate a crash: after
/// `crashAfter` writes, every later write is silently lost.
public final class SparseDevice: BlockDevice {
    public let name: String
    public let size: Int64
    public private(set) var blocks: [Int64: [UInt8]]
    public private(set) var writesDone = 0
    public private(set) var writesAttempted = 0
    public var crashAfter: Int?

    public init(name: String = "sparse", size: Int64, blocks: [Int64: [UInt8]] = [:], crashAfter: Int? = nil) {
        self.name = name; self.size = size; self.blocks = blocks; self.crashAfter = crashAfter
    }

    public func read(at addr: Int64) throws -> [UInt8] {
        guard addr >= 0, addr % Format.blockSize64 == 0, addr <= size - Format.blockSize64 else {
            throw DeviceError(path: name, message: "block \(hex(addr)) is not a block of the image")
        }
        return blocks[addr] ?? .zeroBlock()
    }

    public func write(_ block: [UInt8], at addr: Int64) throws {
        precondition(block.count == Format.blockSize)
        guard addr >= 0, addr % Format.blockSize64 == 0, addr <= size - Format.blockSize64 else {
            throw DeviceError(path: name, message: "block \(hex(addr)) is not a block of the image")
        }
        writesAttempted += 1
        if let c = crashAfter, writesDone >= c { return }
        writesDone += 1
        blocks[addr] = block
    }

    public func flush() throws {}

    /// Writes the image to a sparse file at `path`.
    public func save(to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)  // opening it below says why, if it failed
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.truncate(atOffset: UInt64(size))
        for (addr, b) in blocks where !b.allSatisfy({ $0 == 0 }) {
            try h.seek(toOffset: UInt64(addr))
            h.write(Data(b))
        }
    }
}
