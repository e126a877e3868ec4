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

/// Which arena copy.
public enum ArenaSlot: String, Sendable { case header, footer }

/// The state of one arena copy against the current superblock.
public enum CopyStatus: Equatable, Sendable {
    /// Its block hash is the one the superblock records.
    case current
    /// Well formed, but not the recorded one.
    case stale
    /// Not a well-formed arena block (the reason), or unreadable.
    case corrupt(String)
}

/// An arena as opened: both copies, which one holds its state.
public struct Arena: Sendable {
    public var index: Int
    /// Address of the header; the allocatable region starts one block later.
    public var base: Int64
    public var arenasz: Int64
    public var header: ArenaCopy?
    public var footer: ArenaCopy?
    public var headerStatus: CopyStatus
    public var footerStatus: CopyStatus
    public var headerHash: UInt64
    public var footerHash: UInt64

    public var footerAddr: Int64 { base + arenasz - Format.blockSize64 }
    /// The allocatable region: `base + B ..< base + arenasz − B`.
    public var region: Range<Int64> { base + Format.blockSize64 ..< base + arenasz - Format.blockSize64 }
    public var size: Int64 { arenasz - 2 * Format.blockSize64 }

    /// The copy that holds the arena's state: the header when current, else the footer when current.
    public var currentSlot: ArenaSlot? {
        if headerStatus == .current { return .header }
        if footerStatus == .current { return .footer }
        return nil
    }
    public var current: ArenaCopy? {
        switch currentSlot {
        case .header: return header
        case .footer: return footer
        case nil: return nil
        }
    }
    public func addr(of slot: ArenaSlot) -> Int64 { slot == .header ? base : footerAddr }
}

/// Why an image cannot be opened at all.
public struct ImageError: Error, CustomStringConvertible {
    public var problems: [Problem]
    public var description: String { problems.filter { $0.severity == .error }.map(\.description).joined(separator: "\n") }
}

/// An opened gefs image: the current superblock and every arena's current copy (FORMAT.md §5–§7).
/// Opening never fails on a damaged arena: the problems are collected in `problems`.
public final class Image {
    public let device: BlockDevice
    public let sb0: SuperblockCopy
    public let sb1: SuperblockCopy
    /// The current superblock.
    public let superblock: Superblock
    public let currentSlot: SuperblockSlot
    public let arenas: [Arena]
    /// Problems found while opening, in the order found.
    public private(set) var problems: [Problem] = []

    public var name: String { device.name }
    public var qgen: UInt64 { superblock.qgen }

    /// Opens the image on `device`: chooses the superblock (§6) and each arena's copy (§7).
    /// Throws `ImageError` when no superblock copy is valid.
    public init(device: BlockDevice) throws {
        self.device = device
        var problems: [Problem] = []
        let s0 = Image.readSuperblock(device, slot: .sb0, at: 0)
        let sb1Addr = s0.superblock.map { $0.fssize - Format.blockSize64 } ?? (device.blockCount - 1) * Format.blockSize64
        let s1 = Image.readSuperblock(device, slot: .sb1, at: sb1Addr)
        sb0 = s0; sb1 = s1
        for c in [s0, s1] where !c.isValid {
            problems.append(Problem(.superblockInvalid, "\(c.slot): \(c.error ?? "invalid")", block: c.addr))
        }
        guard let (slot, sb) = Image.choose(s0, s1, &problems) else {
            problems.append(Problem(.superblockNone, "no valid superblock in \(device.name)"))
            throw ImageError(problems: problems)
        }
        currentSlot = slot; superblock = sb
        if device.size < sb.fssize {
            problems.append(Problem(.imageTruncated, "image is \(device.size) bytes, the file system needs \(sb.fssize)"))
        } else if device.blockCount * Format.blockSize64 > sb.fssize {
            problems.append(Problem(.imageGrown, "image is \(device.size) bytes, the file system covers \(sb.fssize)"))
        }
        arenas = (0..<sb.narena).map { Image.openArena(device, sb, $0, &problems) }
        self.problems = problems
    }

    /// Opens the image file at `path`. Writable, it takes the exclusive lock of gefs-tools
    /// writers and throws when another process holds a lock; read-only, it only looks whether a
    /// writer holds it (`FileDevice.busy`).
    public convenience init(path: String, writable: Bool = false) throws {
        let dev = try FileDevice(path: path, writable: writable)
        try dev.lock(writable ? .exclusive : .shared)
        try self.init(device: dev)
    }

    static func readSuperblock(_ dev: BlockDevice, slot: SuperblockSlot, at addr: Int64) -> SuperblockCopy {
        var c = SuperblockCopy(slot: slot, addr: addr)
        guard addr >= 0, addr + Format.blockSize64 <= dev.size else {
            c.error = "no block at \(hex(addr)) (image is \(dev.size) bytes)"; c.addr = nil
            return c
        }
        do {
            let b = try dev.read(at: addr)
            c.block = b
            c.fields = try? Superblock.decodeFields(b).0
            let sb = try Superblock.decode(b)
            if let g = sb.geometryError() { c.error = g; return c }
            if let why = Image.claimError(sb, dev) { c.error = why; return c }
            if slot == .sb1, addr != sb.fssize - Format.blockSize64 {
                c.error = "found at \(hex(addr)) but its fssize puts sb1 at \(hex(sb.fssize - Format.blockSize64))"
                return c
            }
            c.superblock = sb
        } catch {
            c.error = "\(error)"
        }
        return c
    }

    /// A truncated image may be checked (its bitmaps cover the size the superblock claims),
    /// but a claim beyond twice the image plus 64 GiB is not believed: a hostile superblock
    /// would otherwise make every reader allocate for a file system that is not there.
    public static let believableExcess: Int64 = 64 << 30

    static func claimError(_ sb: Superblock, _ dev: BlockDevice) -> String? {
        let limit = dev.size.multipliedReportingOverflow(by: 2).partialValue.addingReportingOverflow(believableExcess)
        guard sb.fssize > dev.size, limit.overflow || sb.fssize > limit.partialValue else { return nil }
        return "claims fssize \(sb.fssize) (\(humanSize(sb.fssize))) on an image of \(dev.size) bytes: a truncation that large is not believable"
    }

    /// §6: the valid copy with the larger qgen; on equal qgen and different bytes, sb0.
    static func choose(_ s0: SuperblockCopy, _ s1: SuperblockCopy, _ problems: inout [Problem]) -> (SuperblockSlot, Superblock)? {
        switch (s0.superblock, s1.superblock) {
        case let (a?, b?):
            if a.qgen == b.qgen {
                if s0.block != s1.block {
                    problems.append(Problem(.superblockMismatch, "sb0 and sb1 both have qgen \(a.qgen) but differ", block: s1.addr))
                }
                return (.sb0, a)
            }
            let (newer, older, olderCopy) = a.qgen > b.qgen ? (SuperblockSlot.sb0, b, s1) : (.sb1, a, s0)
            problems.append(Problem(.superblockStale, "\(olderCopy.slot) has qgen \(older.qgen), the current copy \(max(a.qgen, b.qgen))",
                                    block: olderCopy.addr))
            return (newer, newer == .sb0 ? a : b)
        case let (a?, nil): return (.sb0, a)
        case let (nil, b?): return (.sb1, b)
        case (nil, nil): return nil
        }
    }

    static func openArena(_ dev: BlockDevice, _ sb: Superblock, _ i: Int, _ problems: inout [Problem]) -> Arena {
        let base = sb.arenaBase(i)
        let (hd, hdStatus, hdHash) = readCopy(dev, sb, i, at: base)
        let (tl, tlStatus, tlHash) = readCopy(dev, sb, i, at: base + sb.arenasz - Format.blockSize64)
        let arena = Arena(index: i, base: base, arenasz: sb.arenasz, header: hd, footer: tl,
                          headerStatus: hdStatus, footerStatus: tlStatus, headerHash: hdHash, footerHash: tlHash)
        for slot in [ArenaSlot.header, .footer] {
            let status = slot == .header ? hdStatus : tlStatus
            let addr = arena.addr(of: slot)
            if let p = arena.tailProblem(slot) { problems.append(p) }
            switch status {
            case .current: break
            case .stale:
                guard arena.currentSlot != nil else { break }
                let using = arena.currentSlot == .footer ? "; using the footer" : ""
                problems.append(Problem(slot == .header ? .arenaHeaderStale : .arenaFooterStale,
                                        "\(slot) does not match the superblock\(using)", arena: i, block: addr))
            case let .corrupt(why):
                problems.append(Problem(.arenaCopyCorrupt, "\(slot): \(why)", arena: i, block: addr))
            }
        }
        if arena.currentSlot == nil {
            problems.append(Problem(.arenaNoCurrentCopy,
                                    "neither header nor footer has the recorded hash \(hex(sb.arenas[i].hash))",
                                    arena: i, block: base))
        }
        return arena
    }

    static func readCopy(_ dev: BlockDevice, _ sb: Superblock, _ i: Int, at addr: Int64) -> (ArenaCopy?, CopyStatus, UInt64) {
        guard let b = try? dev.read(at: addr) else { return (nil, .corrupt("cannot read block \(hex(addr))"), 0) }
        let h = XXH3.hash(b)
        let copy: ArenaCopy
        do { copy = try ArenaCopy.decode(b) } catch {
            // Intact fields before nonzero bytes: the hash says whether it is current or stale,
            // and openArena reports the bytes (arena_copy_tail).
            guard let c = ArenaCopy.fieldsBeforeTail(b) else { return (nil, .corrupt("\(error)"), h) }
            copy = c
        }
        if let why = copy.wellFormedError(base: sb.arenaBase(i), arenasz: sb.arenasz) { return (copy, .corrupt(why), h) }
        return (copy, XXH3.accepts(stored: sb.arenas[i].hash, computed: h) ? .current : .stale, h)
    }

    /// The arena whose allocatable region holds `addr`, if any.
    public func arena(containing addr: Int64) -> Int? {
        guard addr >= Format.blockSize64 else { return nil }
        let i = Int((addr - Format.blockSize64) / superblock.arenasz)
        guard i < arenas.count, arenas[i].region.contains(addr) else { return nil }
        return i
    }

    /// Reads a block and checks it against a hashed pointer's hash.
    public func read(_ bp: BlockPointer) throws -> [UInt8] {
        let b = try device.read(at: bp.addr)
        let h = XXH3.hash(b)
        guard XXH3.accepts(stored: bp.hash, computed: h) else { throw FormatError.hashMismatch("block \(hex(bp.addr))", stored: bp.hash, computed: h) }
        return b
    }
}
