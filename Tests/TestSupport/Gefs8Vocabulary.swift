import GefsCore

// The gefs8.00 codecs under the names the tests were written with: most tests build and edit
// gefs8.00 images byte by byte, and read better in the format's own terms than through the
// `DiskFormat` seam. Nothing here is used by the tools.

/// The gefs8.00 format, for tests.
public let gefs8 = Gefs8Format()

public typealias LogBlockBuilder = Gefs8LogBlockWriter

/// gefs8.00 log block offsets and hashes (FORMAT.md §8.1).
public enum LogBlock {
    public static let firstEntry = Gefs8Format.logReserved
    public static let lastWord = Gefs8Format.logSpace - 8
    public static func blockOffset(_ o: Int) -> Int { Gefs8Format.logHeaderSize + o }
    public static func computedHash(_ b: [UInt8]) -> UInt64 { gefs8.hash(b, Gefs8Format.logHeaderSize..<Format.blockSize) }
    public static func header(_ b: [UInt8]) throws -> (logsz: Int, loghash: UInt64) {
        let h = try gefs8.logHeader(b)
        return (h.logsz, h.storedHash)
    }
}

/// gefs8.00's entries of one log block up to and including its terminator (without the
/// `.next`/`.last` steps the seam adds).
public struct LogCursor: Sequence {
    let steps: [LogStep]
    public init(_ block: [UInt8]) {
        steps = gefs8.logSteps(block).filter {
            switch $0 {
            case .next, .last: return false
            default: return true
            }
        }
    }
    public func makeIterator() -> IndexingIterator<[LogStep]> { steps.makeIterator() }
}

extension Superblock {
    public func encodeBlock() -> [UInt8] { gefs8.encodeSuperblock(self) }
    public static func decode(_ b: [UInt8]) throws -> Superblock { try gefs8.decodeSuperblock(b) }
    public static func decodeFields(_ b: [UInt8]) throws -> (Superblock, stored: UInt64, computed: UInt64) {
        try gefs8.decodeSuperblockFields(b)
    }
    public func geometryError() -> String? { gefs8.superblockError(self, slot: .sb0, at: 0, deviceSize: fssize) }
    public var packedSize: Int { 120 + 16 * narena }
}

extension DeadlistBlock {
    public static var capacity: Int { gefs8.deadlistCapacity }
    public static func decode(_ b: [UInt8]) throws -> DeadlistBlock { try gefs8.decodeDeadlistBlock(b) }
    public func encodeBlock() -> [UInt8] { gefs8.encodeDeadlistBlock(self) }
}

extension ArenaCopy {
    public func wellFormedError(base: Int64, arenasz: Int64) -> String? {
        let B = Format.blockSize64
        let narena = Int((base - B) / arenasz) + 1
        let sb = Superblock(narena: narena, snapHeight: 1, snapRoot: .null, nextqid: 0, nextgen: 0, qgen: 0,
                            arenasz: arenasz, fssize: B + Int64(narena) * arenasz + B, arenas: [])
        return gefs8.arenaCopyError(self, sb, narena - 1)
    }
}

extension Format {
    public static let logHeaderSize = Gefs8Format.logHeaderSize
    public static let logSpace = Gefs8Format.logSpace
}

/// XXH3-64, gefs8.00's hash.
public enum XXH3Hash {
    public static func hash(_ b: [UInt8], _ r: Range<Int>? = nil) -> UInt64 { gefs8.hash(b, r) }
}
