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

/// An arena as opened: both copies, which one holds its state, and where it lies.
public struct Arena: Sendable {
    public var index: Int
    /// Where its header, footer, region and tail blocks lie (the format decides).
    public var geometry: ArenaGeometry
    public var header: ArenaCopy?
    public var footer: ArenaCopy?
    public var headerStatus: CopyStatus
    public var footerStatus: CopyStatus
    public var headerHash: UInt64
    public var footerHash: UInt64
    /// The copies read for their fields past nonzero bytes (the rest of an arena block must be zero).
    public var tails: Set<ArenaSlot> = []

    /// Address of the header.
    public var base: Int64 { geometry.header }
    public var footerAddr: Int64 { geometry.footer }
    /// The allocatable region: every block the log describes lies here.
    public var region: Range<Int64> { geometry.region }
    /// `used` of a fully allocated arena: where replay starts.
    public var size: Int64 { geometry.size }

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
    public func addr(of slot: ArenaSlot) -> Int64 { slot == .header ? geometry.header : geometry.footer }
}

/// Why an image cannot be opened at all.
public struct ImageError: Error, CustomStringConvertible {
    public var problems: [Problem]
    public var description: String { problems.filter { $0.severity == .error }.map(\.description).joined(separator: "\n") }
}

/// An opened gefs image: its format, the current superblock and every arena's current copy
/// (FORMAT.md §5–§7, FORMAT-9FRONT.md §5–§7). Opening never fails on a damaged arena: the
/// problems are collected in `problems`.
public final class Image {
    public let device: BlockDevice
    /// The on-disk format the superblock's magic names (FORMAT-9FRONT.md §13).
    public let format: any DiskFormat
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

    /// Opens the image on `device`: picks the format from the magic of block 0, else of the last
    /// block, chooses the superblock (§6) and each arena's copy (§7). Throws `ImageError` when
    /// neither block names a known format or no superblock copy is valid.
    public init(device: BlockDevice) throws {
        self.device = device
        var problems: [Problem] = []
        guard let format = Image.detectFormat(device) else {
            // Neither copy names a known format: say why each is not a superblock.
            let any = DiskFormats.all[0]
            for (slot, addr) in [(SuperblockSlot.sb0, Int64(0)), (.sb1, any.backupSuperblockAddress(primary: nil, blockCount: device.blockCount))] {
                let c = Image.readSuperblock(device, any, slot: slot, at: addr)
                problems.append(Problem(.superblockInvalid, "\(slot): \(c.error ?? "invalid")", block: c.addr))
            }
            problems.append(Problem(.superblockNone, "no valid superblock in \(device.name)"))
            throw ImageError(problems: problems)
        }
        self.format = format
        let s0 = Image.readSuperblock(device, format, slot: .sb0, at: 0)
        let s1 = Image.readSuperblock(device, format, slot: .sb1,
                                      at: format.backupSuperblockAddress(primary: s0.superblock, blockCount: device.blockCount))
        sb0 = s0; sb1 = s1
        for c in [s0, s1] where !c.isValid {
            var code = s0.isValid || s1.isValid ? format.grading.copyInvalidBesideValid : .superblockInvalid
            var why = c.error ?? "invalid"
            if format.grading.unknownSuperblockTypeRefused, let b = c.block, BlockType(rawValue: b.u16(at: 0)) == nil {
                code = .superblockInvalid
                why += "; its first two bytes \(hex(b.u16(at: 0))) are no block type: the genuine gefs refuses to load the image"
            }
            problems.append(Problem(code, "\(c.slot): \(why)", block: c.addr))
        }
        guard let (slot, sb) = format.chooseSuperblock(s0, s1, &problems) else {
            problems.append(Problem(.superblockNone, "no valid superblock in \(device.name)"))
            throw ImageError(problems: problems)
        }
        currentSlot = slot; superblock = sb
        problems += format.imageSizeProblems(sb, deviceSize: device.size)
        arenas = (0..<sb.narena).map { Image.openArena(device, format, sb, $0, &problems) }
        problems += format.layoutProblems(sb, arenas.map { $0.currentSlot == nil ? nil : $0.geometry }, blockCount: device.blockCount)
        self.problems = problems
    }

    /// The format named by the magic of block 0, else of the image's last whole block.
    static func detectFormat(_ dev: BlockDevice) -> (any DiskFormat)? {
        for addr in [0, (dev.blockCount - 1) * Format.blockSize64] where addr >= 0 && addr + Format.blockSize64 <= dev.size {
            if let b = try? dev.read(at: addr), let f = DiskFormats.named(byMagicOf: b) { return f }
        }
        return nil
    }

    /// Opens the image file at `path`. Writable, it takes the exclusive lock of gefs-tools
    /// writers and throws when another process holds a lock; read-only, it only looks whether a
    /// writer holds it (`FileDevice.busy`).
    public convenience init(path: String, writable: Bool = false) throws {
        let dev = try FileDevice(path: path, writable: writable)
        try dev.lock(writable ? .exclusive : .shared)
        try self.init(device: dev)
    }

    static func readSuperblock(_ dev: BlockDevice, _ format: any DiskFormat, slot: SuperblockSlot, at addr: Int64) -> SuperblockCopy {
        var c = SuperblockCopy(slot: slot, addr: addr)
        guard addr >= 0, addr + Format.blockSize64 <= dev.size else {
            c.error = "no block at \(hex(addr)) (image is \(dev.size) bytes)"; c.addr = nil
            return c
        }
        do {
            let b = try dev.read(at: addr)
            c.block = b
            c.fields = try? format.decodeSuperblockFields(b).0
            let sb = try format.decodeSuperblock(b)
            if let why = format.superblockError(sb, slot: slot, at: addr, deviceSize: dev.size) { c.error = why; return c }
            c.superblock = sb
        } catch {
            c.error = "\(error)"
        }
        return c
    }

    static func openArena(_ dev: BlockDevice, _ format: any DiskFormat, _ sb: Superblock, _ i: Int, _ problems: inout [Problem]) -> Arena {
        let at = format.arenaCopyAddresses(sb, i)
        let (hd, hdStatus, hdHash, hdTail) = readCopy(dev, format, sb, i, at: at.header)
        let (tl, tlStatus, tlHash, tlTail) = readCopy(dev, format, sb, i, at: at.footer)
        var arena = Arena(index: i, geometry: format.arenaGeometry(sb, i, copy: nil), header: hd, footer: tl,
                          headerStatus: hdStatus, footerStatus: tlStatus, headerHash: hdHash, footerHash: tlHash)
        if hdTail { arena.tails.insert(.header) }
        if tlTail { arena.tails.insert(.footer) }
        arena.geometry = format.arenaGeometry(sb, i, copy: arena.current)
        // A hostile `size` must not make readers allocate for space the image does not have, nor
        // count one block in two arenas: the region is cut at the next arena's header and where
        // the size the format claims for the image ends (gefs9.00: the device; a gefs8.00 region
        // never reaches past either). What lies beyond is reported with the arena table (an
        // arena that does not chain, a truncated image).
        var limit = format.claimedSize(sb, deviceSize: dev.size) / Format.blockSize64 * Format.blockSize64
        if i + 1 < sb.arenas.count, sb.arenas[i + 1].addr > arena.geometry.region.lowerBound { limit = min(limit, sb.arenas[i + 1].addr) }
        if arena.geometry.region.upperBound > limit {
            let g = arena.geometry
            arena.geometry = ArenaGeometry(header: g.header, footer: g.footer, region: g.region.lowerBound..<max(g.region.lowerBound, limit),
                                           tailBlocks: g.tailBlocks, span: g.span)
        }
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
            var why = "neither header nor footer has the recorded hash \(hex(sb.arenas[i].hash))"
            // FORMAT-9FRONT.md §5: what `gefs -g` at 86dc77e8 records for the old arenas.
            if sb.arenas[i].hash == UInt64.max, hdStatus == .stale, tlStatus == .stale, hdHash == tlHash {
                why += " (as a grown image's old arenas have); header and footer are identical and well formed, with hash \(hex(hdHash))"
            }
            problems.append(Problem(.arenaNoCurrentCopy, why, arena: i, block: at.header))
        }
        return arena
    }

    /// One arena copy: its fields, status and block hash, and whether it was read past a tail.
    static func readCopy(_ dev: BlockDevice, _ format: any DiskFormat, _ sb: Superblock, _ i: Int,
                         at addr: Int64) -> (ArenaCopy?, CopyStatus, UInt64, Bool) {
        guard let b = try? dev.read(at: addr) else { return (nil, .corrupt("cannot read block \(hex(addr))"), 0, false) }
        let h = format.hash(b)
        let copy: ArenaCopy
        var tail = false
        do { copy = try ArenaCopy.decode(b) } catch {
            // Intact fields before nonzero bytes: the hash says whether it is current or stale,
            // and openArena reports the bytes (arena_copy_tail).
            guard let c = ArenaCopy.fieldsBeforeTail(b) else { return (nil, .corrupt("\(error)"), h, false) }
            copy = c
            tail = true
        }
        if let why = format.arenaCopyError(copy, sb, i) { return (copy, .corrupt(why), h, tail) }
        return (copy, format.accepts(stored: sb.arenas[i].hash, computed: h) ? .current : .stale, h, tail)
    }

    /// The arena whose allocatable region holds `addr`, if any.
    public func arena(containing addr: Int64) -> Int? {
        // Arenas lie in address order: the last whose span starts at or below `addr`.
        var lo = 0, hi = arenas.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if arenas[mid].geometry.span.lowerBound <= addr { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, arenas[lo - 1].region.contains(addr) else { return nil }
        return lo - 1
    }

    /// Reads a block through a hashed pointer and checks it against the pointer's hash: the one
    /// way every reader verifies a tree node or data block.
    public func readVerified(_ bp: BlockPointer) -> Result<[UInt8], BlockReadFailure> {
        let b: [UInt8]
        do { b = try device.read(at: bp.addr) } catch { return .failure(.unreadable(error)) }
        let h = format.hash(b)
        guard format.accepts(stored: bp.hash, computed: h) else { return .failure(.hashMismatch(stored: bp.hash, computed: h)) }
        return .success(b)
    }

    /// `readVerified`, throwing: a hash failure as `FormatError.hashMismatch`.
    public func read(_ bp: BlockPointer) throws -> [UInt8] {
        switch readVerified(bp) {
        case let .success(b): return b
        case let .failure(.unreadable(e)): throw e
        case let .failure(.hashMismatch(stored, computed)):
            throw FormatError.hashMismatch("block \(hex(bp.addr))", stored: stored, computed: computed)
        }
    }
}

/// Why a block could not be read through its pointer.
public enum BlockReadFailure: Error {
    case unreadable(any Error)
    case hashMismatch(stored: UInt64, computed: UInt64)
}
