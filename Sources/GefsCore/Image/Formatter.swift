#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an image cannot be formatted. Each case prints as one line naming the problem.
public enum FormatterError: Error, Equatable, CustomStringConvertible {
    case tooSmall(size: Int64, minimum: Int64)
    case arenas(String)
    case badSize(String)
    case badUser(String, String)
    case badTime(String)
    case target(String, String)
    case refused(String, String)
    case noRoom(path: String, needed: Int64, size: Int64)

    public var description: String {
        switch self {
        case let .tooSmall(size, minimum):
            return "a size of \(size) bytes is too small: gefs needs at least \(minimum) bytes (\(humanSize(minimum)))"
        case let .arenas(why): return why
        case let .badSize(s): return "bad size \"\(s)\": expected a number of bytes with an optional K, M, G or T suffix"
        case let .badUser(name, why): return "bad user name \"\(name)\": \(why)"
        case let .badTime(s): return "bad SOURCE_DATE_EPOCH \"\(s)\": expected whole seconds since 1970"
        case let .target(path, why): return "\(path): \(why)"
        case let .refused(path, why): return "\(path): \(why)"
        case let .noRoom(path, needed, size):
            return "\(path): the files do not fit in \(size) bytes (\(humanSize(size))); they need an image of at least \(needed) bytes (\(humanSize(needed)))"
        }
    }
}

/// `n` bytes in binary units, e.g. `16 MiB`, `1.5 GiB`.
public func humanSize(_ n: Int64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var u = 0
    var scale: Int64 = 1
    while u + 1 < units.count, n / 1024 >= scale { scale *= 1024; u += 1 }
    if u == 0 { return "\(n) bytes" }
    if n % scale == 0 { return "\(n / scale) \(units[u])" }
    // In parts that cannot overflow, whatever a hostile superblock claims.
    let tenths = n / scale * 10 + (n % scale * 10 + scale / 2) / scale
    return "\(tenths / 10).\(tenths % 10) \(units[u])"
}

// MARK: - Layout (FORMAT.md §5)

/// Where everything goes on a device of a given size (FORMAT.md §5).
public struct Layout: Equatable, Sendable {
    /// Whole blocks (`N`).
    public let blocks: Int64
    public let narena: Int
    public let arenasz: Int64

    /// Bytes the default picks one arena per.
    public static let arenaSpan: Int64 = 64 << 30
    public static let maxDefaultArenas = 128
    /// Smallest image: two superblocks and one arena of 64 blocks.
    public static let minimumSize = Int64(2 + Gefs8Format.minArenaBlocks) * Format.blockSize64

    /// The layout of an image of `size` bytes with `arenas` arenas, or §5's default:
    /// `clamp(ceil(N·B / 64 GiB), 1, 128)`, lowered while an arena would be under 64 blocks.
    public init(size: Int64, arenas: Int? = nil) throws {
        let B = Format.blockSize64
        guard size >= Layout.minimumSize else { throw FormatterError.tooSmall(size: size, minimum: Layout.minimumSize) }
        blocks = size / B
        let room = blocks - 2
        if let n = arenas {
            guard (1...Gefs8Format.maxArenas).contains(n) else {
                throw FormatterError.arenas("\(n) arenas: the format allows 1 to \(Gefs8Format.maxArenas)")
            }
            guard room / Int64(n) >= Int64(Gefs8Format.minArenaBlocks) else {
                let need = (Int64(n) * Int64(Gefs8Format.minArenaBlocks) + 2) * B
                throw FormatterError.arenas("\(n) arenas need an image of at least \(need) bytes (\(humanSize(need))): each arena must have \(Gefs8Format.minArenaBlocks) blocks")
            }
            narena = n
        } else {
            var n = Int(min(Int64(Layout.maxDefaultArenas), max(1, (blocks * B + Layout.arenaSpan - 1) / Layout.arenaSpan)))
            while n > 1, room / Int64(n) < Int64(Gefs8Format.minArenaBlocks) { n -= 1 }
            narena = n
        }
        arenasz = room / Int64(narena) * B
    }

    public var fssize: Int64 { blocks * Format.blockSize64 }
    /// Address of `sb1`.
    public var sb1: Int64 { fssize - Format.blockSize64 }
    /// Blocks after the last arena and before `sb1`, never allocated.
    public var gapBlocks: Int64 { blocks - 2 - Int64(narena) * (arenasz / Format.blockSize64) }
    /// Address of arena `i`'s header.
    public func base(_ i: Int) -> Int64 { Format.blockSize64 + Int64(i) * arenasz }
    public func footer(_ i: Int) -> Int64 { base(i) + arenasz - Format.blockSize64 }
    /// Arena `i`'s allocatable region.
    public func region(_ i: Int) -> Range<Int64> { base(i) + Format.blockSize64 ..< footer(i) }

    /// Parses a size: bytes, or a number with a binary K, M, G or T suffix (`iB` or `B` may follow).
    public static func parseSize(_ text: String) throws -> Int64 {
        var s = Substring(text.lowercased())
        for suffix in ["ib", "b"] where s.hasSuffix(suffix) && s.count > suffix.count {
            s = s.dropLast(suffix.count); break
        }
        var shift: Int64 = 0
        if let last = s.last, let i = "kmgt".firstIndex(of: last) {
            shift = Int64(10 * ("kmgt".distance(from: "kmgt".startIndex, to: i) + 1))
            s = s.dropLast()
        }
        guard let n = Int64(s), n >= 0 else { throw FormatterError.badSize(text) }
        let (v, o) = n.multipliedReportingOverflow(by: 1 << shift)
        guard !o else { throw FormatterError.badSize(text) }
        return v
    }
}

// MARK: - Options

/// What goes into a new image besides its size.
public struct FormatOptions: Equatable, Sendable {
    /// The user of the users file (id 1), who owns populated files.
    public var user: String
    /// Format time, nanoseconds since 1970: atime and mtime of everything mkgefs makes.
    public var time: Int64
    /// Arenas, or nil for §5's default.
    public var arenas: Int?

    public init(user: String = "glenda", time: Int64, arenas: Int? = nil) {
        self.user = user; self.time = time; self.arenas = arenas
    }

    /// The format time: `SOURCE_DATE_EPOCH` (whole seconds) when set, else now.
    public static func time(sourceDateEpoch: String?) throws -> Int64 {
        if let s = sourceDateEpoch {
            guard let secs = Int64(s), secs >= 0, secs <= Int64.max / 1_000_000_000 else { throw FormatterError.badTime(s) }
            return secs * 1_000_000_000
        }
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// Why `name` cannot be the user of a users file, or nil.
    public static func userError(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name == "adm" || name == "none" { return "\(name) is already in the users file" }
        if name.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") || $0 < 0x20 || $0 == 0x7f }) {
            return "it must not contain ':', '/' or control characters"
        }
        if name.utf8.count > Format.nameMax { return "longer than \(Format.nameMax) bytes" }
        return nil
    }

    /// The users file (§11): `id:name:leader:members`, one line each.
    public var usersFile: [UInt8] { Array("-1:adm::\(user)\n0:none::\n1:\(user):\(user):\n".utf8) }
}

// MARK: - Building the image (FORMAT.md §11)

/// What a populate put into main.
public struct PopulateSummary: Equatable, Sendable {
    public var directories = 0
    public var files = 0
    public var dataBlocks = 0
    /// All-zero blocks left as holes.
    public var holes = 0
    public var skipped = 0
    public var tree = BuiltTree(root: .null, height: 1, nodesPerLevel: [1])
}

/// What a format wrote (or, for a dry run, would write).
public struct FormatResult: Equatable, Sendable {
    public var layout: Layout
    public var options: FormatOptions
    /// Every arena's header (and footer) contents.
    public var arenas: [ArenaCopy]
    /// The log blocks of each arena, in chain order.
    public var logBlocks: [[Int64]]
    public var superblock: Superblock
    public var populate: PopulateSummary?
    public var dryRun = false

    /// The summary mkgefs prints: one fact per line, no timestamps, addresses in hex.
    public var summary: [String] {
        let B = Format.blockSize64
        var out = [
            "size       \(layout.fssize) bytes (\(humanSize(layout.fssize))), \(layout.blocks) blocks of \(B) bytes",
            "arenas     \(layout.narena) of \(layout.arenasz) bytes (\(layout.arenasz / B) blocks), gap \(layout.gapBlocks) blocks",
            "sb0        \(hex(0))",
            "sb1        \(hex(layout.sb1))",
        ]
        for (i, a) in arenas.enumerated() {
            let logs = logBlocks[i].count == 1 ? "" : " (\(logBlocks[i].count) log blocks)"
            out.append(column("arena \(i)") + "header \(hex(layout.base(i))) footer \(hex(layout.footer(i))) log \(hex(a.loghd))\(logs) used \(a.used) of \(a.size)")
        }
        out.append("user       \(options.user)")
        out.append("snapshots  empty (gen 0), adm (gen 1), main (gen 2)")
        if let p = populate {
            out.append("populated  \(p.directories) directories, \(p.files) files, \(p.dataBlocks) data blocks, \(p.holes) holes, \(p.skipped) skipped")
            out.append("main tree  height \(p.tree.height), \(p.tree.nodes) nodes (\(p.tree.nodesPerLevel[0]) leaves)")
        }
        out.append("nextqid    \(superblock.nextqid)")
        out.append("qgen       \(superblock.qgen)")
        if dryRun { out.append("dry run: nothing was written") }
        return out
    }
}

/// `label` padded to the summary's value column.
private func column(_ label: String) -> String {
    label.count >= 11 ? label + " " : label + String(repeating: " ", count: 11 - label.count)
}

/// Builds a fresh gefs image (FORMAT.md §11) and writes it through the §10 sync writer.
///
/// Without a device it only plans: every allocation and tree is made as for real, nothing is
/// read from the files beyond what the `DataPlan` says, and nothing is written. Data blocks of
/// a populate are written straight to the device as they are read (pass 0, before anything the
/// superblocks point to); every other block is queued for the sync.
public final class Formatter {
    public let layout: Layout
    public let options: FormatOptions
    let device: BlockDevice?
    public private(set) var allocator: Allocator
    var queued: [Int64: [UInt8]] = [:]
    /// Generation of the last barrier appended (the superblock's qgen).
    var qgen: UInt64 = 0
    var nextqid: UInt64 = 3
    var admRoot = BlockPointer.null
    var emptyRoot = BlockPointer.null
    var snapRoot = BlockPointer.null
    var populated: PopulateSummary?

    /// Generations of the three snapshots of a fresh image.
    public static let emptyGen: Int64 = 0, admGen: Int64 = 1, mainGen: Int64 = 2
    public static let nextgen: UInt64 = 3
    /// The users file's qid, the adm root's, and the first qid of populated files.
    /// The format this formatter writes.
    public static let format = Gefs8Format()
    public static let usersQid: UInt64 = 2, admRootQid: UInt64 = 1, firstQid: UInt64 = 3
    /// A populate compresses an arena's log that grew longer than this many blocks.
    public static let compressAbove = 8

    public init(layout: Layout, options: FormatOptions, device: BlockDevice?) {
        self.layout = layout
        self.options = options
        self.device = device
        allocator = Allocator(arenas: (0..<layout.narena).map { ArenaLog(format: Formatter.format, index: $0, region: layout.region($0)) })
    }

    /// Allocates a block for `block` and queues it; returns the pointer to it.
    func place(_ block: [UInt8], gen: Int64) throws -> BlockPointer {
        let addr = try allocator.alloc()
        if device != nil { queued[addr] = block }
        return BlockPointer(addr: addr, hash: Formatter.format.hash(block), gen: gen)
    }

    func rootEntry(qid: UInt64) -> Record {
        let x = Xdir(qidPath: qid, mode: Mode.dir | 0o775, atime: options.time, mtime: options.time,
                     uid: -1, gid: -1, muid: 0)
        return Record(key: Key.root.encode(), value: x.encode())
    }

    static func up(_ qid: UInt64, _ key: Key) -> Record { Record(key: Key.up(qid: qid).encode(), value: key.encode()) }

    /// The fresh image of §11, up to and including `LogSync 1`: the users file, adm's and
    /// main's root leaves, and the snapshot tree.
    public func formatFresh() throws {
        let users = options.usersFile
        var usersBlock = [UInt8].zeroBlock()
        usersBlock.replaceSubrange(0..<users.count, with: users)
        let usersBp = try place(usersBlock, gen: 0)
        let usersName = Key.ent(parent: Formatter.admRootQid, name: Array("users".utf8))
        let usersEntry = Xdir(qidPath: Formatter.usersQid, mode: 0o664, atime: options.time, mtime: options.time,
                              length: UInt64(users.count), uid: -1, gid: -1, muid: 0)
        var usersPtr = ByteWriter(capacity: Format.pointerSize)
        usersBp.encode(into: &usersPtr)
        let adm = [
            Record(key: Key.dat(qid: Formatter.usersQid, offset: 0).encode(), value: usersPtr.bytes),
            Record(key: usersName.encode(), value: usersEntry.encode()),
            rootEntry(qid: Formatter.admRootQid),
            Formatter.up(Formatter.admRootQid, .root),
        ]
        admRoot = try place(Node(kind: .leaf, records: adm).encodeBlock(), gen: 0)
        emptyRoot = try place(Node(kind: .leaf, records: [rootEntry(qid: 0), Formatter.up(0, .root)]).encodeBlock(), gen: 0)
        snapRoot = try place(snapshotLeaf(main: emptyRoot, mainHeight: 1, deadlist: nil).encodeBlock(), gen: 0)
        try sync()
    }

    /// The snapshot tree's one leaf: the three labels and snapshots of §11, and main's
    /// deadlist when main has a tree of its own.
    func snapshotLeaf(main: BlockPointer, mainHeight: Int, deadlist: BlockPointer?) -> Node {
        func label(_ name: String, _ gen: Int64, _ flags: UInt32) -> Record {
            Record(key: Key.label(name: Array(name.utf8)).encode(), value: LabelValue(gen: UInt64(gen), flags: flags).encode())
        }
        func snap(_ gen: Int64, nref: UInt32, pred: Int64, succ: Int64, height: Int, root: BlockPointer) -> Record {
            let t = TreeRecord(nref: nref, nlbl: 1, height: UInt32(height), gen: gen, pred: pred, succ: succ,
                               base: Format.none, root: root)
            return Record(key: Key.snap(gen: UInt64(gen)).encode(), value: t.encode())
        }
        var records = [
            label("adm", Formatter.admGen, LabelValue.mutable),
            label("empty", Formatter.emptyGen, 0),
            label("main", Formatter.mainGen, LabelValue.mutable),
            snap(Formatter.emptyGen, nref: 1, pred: Format.none, succ: Formatter.mainGen, height: 1, root: emptyRoot),
            snap(Formatter.admGen, nref: 0, pred: Format.none, succ: Format.none, height: 1, root: admRoot),
            snap(Formatter.mainGen, nref: 0, pred: Formatter.emptyGen, succ: Format.none, height: mainHeight, root: main),
        ]
        if let dl = deadlist {
            let key = Key.dlist(gen: UInt64(Formatter.mainGen), bgen: UInt64(Formatter.emptyGen))
            records.append(Record(key: key.encode(), value: DeadlistRef(head: dl, tail: dl).encode()))
        }
        return Node(kind: .leaf, records: records)
    }

    /// Gives main a tree of its own holding the scanned host directory (§11, `mkgefs -d`), in
    /// the next sync. Data blocks come from the files when there is a device, else from `plan`.
    /// main's old root leaf, shared with `empty`, is deadlisted under `Kdlist(2, 0)`; the old
    /// snapshot tree leaf is freed.
    public func populate(_ scan: HostScan, plan: DataPlan) throws {
        var summary = PopulateSummary()
        summary.skipped = scan.warnings.count
        let gen = Formatter.mainGen
        var data: [Record] = []
        var entries: [Record] = [rootEntry(qid: 0)]
        var ups: [Record] = [Formatter.up(0, .root)]
        for (i, e) in scan.entries.enumerated() {
            let key = Key.ent(parent: e.parent, name: e.name)
            let x = Xdir(qidPath: e.qid, mode: (e.isDirectory ? Mode.dir : 0) | e.permissions, atime: e.mtime,
                         mtime: e.mtime, length: UInt64(e.length), uid: 1, gid: 1, muid: 1)
            entries.append(Record(key: key.encode(), value: x.encode()))
            if e.isDirectory {
                summary.directories += 1
                ups.append(Formatter.up(e.qid, key))
                continue
            }
            summary.files += 1
            let before = data.count
            try forEachDataBlock(i, e, plan) { off, block in
                let addr = try allocator.alloc()
                try device?.write(block, at: addr)
                var w = ByteWriter(capacity: Format.pointerSize)
                BlockPointer(addr: addr, hash: device == nil ? 0 : Formatter.format.hash(block), gen: gen).encode(into: &w)
                data.append(Record(key: Key.dat(qid: e.qid, offset: UInt64(off)).encode(), value: w.bytes))
            }
            summary.holes += e.blockCount - (data.count - before)
        }
        summary.dataBlocks = data.count
        entries.sort { compareKeys($0.key, $1.key) < 0 }
        // Kdat < Kent < Kup; each list is already in key order.
        summary.tree = try TreeBuilder.build(data + entries + ups) { try place($0.encodeBlock(), gen: gen) }
        let dead = DeadlistBlock(next: .null, addresses: [emptyRoot.addr])
        let dl = try place(Formatter.format.encodeDeadlistBlock(dead), gen: gen)
        let oldSnap = snapRoot
        let leaf = snapshotLeaf(main: summary.tree.root, mainHeight: summary.tree.height, deadlist: dl)
        snapRoot = try place(leaf.encodeBlock(), gen: gen)
        try allocator.free(oldSnap.addr)
        try allocator.compressLogs(longerThan: Formatter.compressAbove)
        nextqid = scan.nextqid
        populated = summary
        try sync()
    }

    /// The non-hole blocks of entry `i`: read from the file when writing, else as planned.
    func forEachDataBlock(_ i: Int, _ e: HostEntry, _ plan: DataPlan, _ body: (Int64, [UInt8]) throws -> Void) throws {
        if device != nil {
            guard e.length > 0 else { return }
            let f = try HostFile(e.path)
            defer { f.close() }
            try f.forEachDataBlock(length: e.length, body)
        } else {
            let empty = [UInt8]()
            for b in plan.dataBlocks(of: i, e) { try body(Int64(b) * Format.blockSize64, empty) }
        }
    }

    /// Appends the next barrier to every log.
    func sync() throws {
        qgen += 1
        try allocator.sync(qgen)
    }

    /// The superblock for the state built so far (arena entries filled in by the sync writer).
    func superblock() -> Superblock {
        Superblock(narena: layout.narena, snapHeight: 1, snapRoot: BlockPointer(addr: snapRoot.addr, hash: snapRoot.hash),
                   nextqid: nextqid, nextgen: Formatter.nextgen, qgen: qgen, arenasz: layout.arenasz,
                   fssize: layout.fssize, arenas: [])
    }

    /// Writes everything in §10's order (log blocks and queued blocks, headers, sb0, sb1,
    /// footers); without a device only reports what would be written.
    public func finish() throws -> FormatResult {
        let copies = allocator.arenas.map { $0.copy() }
        var sb = superblock()
        if let device {
            var writer = SyncWriter(device: device, format: Formatter.format)
            for (addr, block) in queued { writer.queue(block, at: addr) }
            for a in allocator.arenas { for (addr, block) in a.logBlockContents() { writer.queue(block, at: addr) } }
            sb = try writer.commit(superblock: sb, arenas: copies)
        } else {
            sb.arenas = copies.indices.map { Superblock.ArenaRef(addr: layout.base($0), hash: Formatter.format.hash(copies[$0].encodeBlock())) }
        }
        return FormatResult(layout: layout, options: options, arenas: copies, logBlocks: allocator.arenas.map(\.chain),
                            superblock: sb, populate: populated, dryRun: device == nil)
    }

    /// Writes a whole image to `device`. Before anything else it zeroes `sb0`, the new `sb1`
    /// and every old superblock location given, and flushes, so that an interrupted format
    /// leaves no image that claims to be valid; the image itself follows in §10's order.
    public static func write(to device: BlockDevice, layout: Layout, options: FormatOptions, scan: HostScan?,
                             plan: DataPlan?, oldSuperblocks: [Int64] = []) throws -> FormatResult {
        let zero = [UInt8].zeroBlock()
        for a in Set([0, layout.sb1] + oldSuperblocks).sorted() where a >= 0 && a + Format.blockSize64 <= device.size {
            try device.write(zero, at: a)
        }
        try device.flush()
        return try build(layout: layout, options: options, device: device, scan: scan, plan: plan)
    }

    /// Plans or writes a whole image: the fresh format, then the populate when there is a scan.
    public static func build(layout: Layout, options: FormatOptions, device: BlockDevice?,
                             scan: HostScan?, plan: DataPlan?) throws -> FormatResult {
        let f = Formatter(layout: layout, options: options, device: device)
        try f.formatFresh()
        if let scan { try f.populate(scan, plan: plan ?? .upperBound(scan)) }
        return try f.finish()
    }
}

// MARK: - The image file

/// The file or block device to format, as found before anything is written.
public struct FormatTarget: Sendable {
    public enum Kind: Sendable { case missing, regular, blockDevice }
    /// What the image holds now.
    public enum Contents: Equatable, Sendable {
        /// Nothing: missing, empty, or zeros where superblocks would be.
        case empty
        /// A gefs8.00 superblock; the addresses of every superblock copy found or recorded.
        case gefs(superblocks: [Int64])
        /// Data that is not a gefs image.
        case other
    }

    public let path: String
    public let kind: Kind
    /// Current size in bytes (0 when missing).
    public let size: Int64

    /// Looks at `path` (following symbolic links) without changing anything.
    public static func inspect(_ path: String) throws -> FormatTarget {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return FormatTarget(path: path, kind: .missing, size: 0) }
            throw FormatterError.target(path, errnoText())
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return FormatTarget(path: path, kind: .regular, size: Int64(st.st_size))
        case S_IFBLK:
            let dev = try FileDevice(path: path)
            return FormatTarget(path: path, kind: .blockDevice, size: dev.size)
        case S_IFDIR: throw FormatterError.target(path, DeviceError.isDirectoryMessage)
        default: throw FormatterError.target(path, "not a regular file or a block device")
        }
    }

    /// Reads the first and the last whole block for superblocks or other data.
    public func contents() throws -> Contents {
        guard kind != .missing, size > 0 else { return .empty }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatterError.target(path, "cannot open: \(errnoText())") }
        defer { close(fd) }
        func block(_ addr: Int64) -> [UInt8] {
            var b = [UInt8](repeating: 0, count: Int(min(Format.blockSize64, size - addr)))
            let n = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(addr)) }
            return Array(b.prefix(max(0, n)))
        }
        let last = size / Format.blockSize64 * Format.blockSize64 - Format.blockSize64
        var found: [Int64] = []
        var other = false
        for addr in last > 0 ? [0, last] : [0] {
            let b = block(addr)
            if let format = DiskFormats.named(byMagicOf: b) {
                found.append(addr)
                let whole = b + [UInt8](repeating: 0, count: Format.blockSize - b.count)
                if addr == 0, let (sb, _, _) = try? format.decodeSuperblockFields(whole),
                   sb.fssize > Format.blockSize64, sb.fssize % Format.blockSize64 == 0 {
                    found.append(sb.fssize - Format.blockSize64)
                }
            } else if !b.allZero(0..<b.count) {
                other = true
            }
        }
        if !found.isEmpty { return .gefs(superblocks: Array(Set(found)).sorted()) }
        return other ? .other : .empty
    }

    /// Opens the image for writing under the exclusive lock of gefs-tools writers (throwing when
    /// another process holds a lock), creating a missing file, then sets a regular file's size to
    /// `size` bytes (sparse; growing adds zeros). A block device is never resized.
    public func open(size: Int64?) throws -> FileDevice {
        if kind == .missing {
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw FormatterError.target(path, "cannot create: \(errnoText())") }
            close(fd)
        }
        do {
            let dev = try FileDevice(path: path, writable: true)
            try dev.lock(.exclusive)
            if kind != .blockDevice, let size, size != dev.size { try dev.resize(to: size) }
            return dev
        } catch let e as DeviceError {
            throw FormatterError.target(path, e.message)
        }
    }
}

// MARK: - A whole format

/// Everything mkgefs is asked to do.
public struct FormatRequest: Sendable {
    public var path: String
    /// New size; nil keeps the file's or device's size.
    public var size: Int64?
    public var options: FormatOptions
    /// Host directory to copy into main.
    public var root: String?
    public var force = false
    public var dryRun = false

    public init(path: String, size: Int64? = nil, options: FormatOptions, root: String? = nil,
                force: Bool = false, dryRun: Bool = false) {
        self.path = path; self.size = size; self.options = options; self.root = root
        self.force = force; self.dryRun = dryRun
    }

    /// Checks everything, plans the whole image, then (unless a dry run) invalidates any old
    /// superblocks and writes the image. Every check that can fail does so before the first
    /// write. `warn` gets one line per host file skipped.
    public func run(warn: (String) -> Void = { _ in }) throws -> FormatResult {
        if let why = FormatOptions.userError(options.user) { throw FormatterError.badUser(options.user, why) }
        let target = try FormatTarget.inspect(path)
        let size: Int64
        switch (target.kind, self.size) {
        case (.missing, nil): throw FormatterError.target(path, "does not exist (give a size to create it)")
        case let (.blockDevice, s?) where s > target.size:
            throw FormatterError.target(path, "the device holds \(target.size) bytes, fewer than the \(s) asked for")
        case let (_, s?): size = s
        case (_, nil): size = target.size
        }
        let layout = try Layout(size: size, arenas: options.arenas)
        let contents = try target.contents()
        if !force {
            switch contents {
            case .gefs: throw FormatterError.refused(path, "already holds a gefs8.00 file system (use -f to format over it)")
            case .other: throw FormatterError.refused(path, "holds data that is not a gefs image (use -f to overwrite it)")
            case .empty: break
            }
        }
        let scan = try root.map { try Populate.scan($0, firstQid: Formatter.firstQid) }
        scan?.warnings.forEach(warn)
        let plan = try self.plan(layout, scan)
        if dryRun { return plan.result }
        let device = try target.open(size: self.size)
        var old: [Int64] = []
        if case let .gefs(found) = contents { old = found }
        return try Formatter.write(to: device, layout: layout, options: options, scan: scan, plan: plan.data,
                                   oldSuperblocks: old)
    }

    /// Plans the image, reading the files for holes only when the most they can need does not
    /// fit (or for a dry run, which reports exactly). Throws `noRoom` with the smallest size
    /// that would do.
    func plan(_ layout: Layout, _ scan: HostScan?) throws -> (result: FormatResult, data: DataPlan?) {
        guard let scan else {
            return (try Formatter.build(layout: layout, options: options, device: nil, scan: nil, plan: nil), nil)
        }
        var data = dryRun ? try DataPlan.read(scan) : DataPlan.upperBound(scan)
        if let r = try attempt(layout, scan, data) { return (r, data) }
        if !dryRun {
            data = try DataPlan.read(scan)
            if let r = try attempt(layout, scan, data) { return (r, data) }
        }
        throw FormatterError.noRoom(path: path, needed: try smallestSize(scan, data, above: layout.fssize), size: layout.fssize)
    }

    /// A plan of the image, or nil when it runs out of blocks.
    func attempt(_ layout: Layout, _ scan: HostScan, _ data: DataPlan) throws -> FormatResult? {
        do {
            return try Formatter.build(layout: layout, options: options, device: nil, scan: scan, plan: data)
        } catch is AllocationError {
            return nil
        }
    }

    /// The smallest size, in whole MiB, whose image holds the planned populate.
    func smallestSize(_ scan: HostScan, _ data: DataPlan, above: Int64) throws -> Int64 {
        let mib: Int64 = 1 << 20
        func fits(_ size: Int64) throws -> Bool {
            guard let l = try? Layout(size: size, arenas: options.arenas) else { return false }
            return try attempt(l, scan, data) != nil
        }
        var lo = above / mib, hi = max(lo + 1, 2 * lo)
        while try !fits(hi * mib) { lo = hi; hi *= 2 }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if try fits(mid * mib) { hi = mid } else { lo = mid }
        }
        return hi * mib
    }
}
