import GefsCore
#if canImport(Glibc)
import Glibc
#endif

/// The fuzz targets: what each does with the fuzzer's bytes. The block targets decode one
/// block and then put it in place in the small base image and read that image, so that the
/// bytes reach replay and the checker; the image targets take an `ImagePatch`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A superblock: decode, geometry, then sb0 of the small image, opened and replayed.
    case superblock
    /// An arena header: decode, well-formedness, then arena 0's header, opened and replayed.
    case arena
    /// A log block: its entries, then arena 0's head log block, replayed and dumped.
    case log
    /// A leaf (type forced to Tleaf): decode, round trip, then adm's root, checked.
    case leaf
    /// A pivot (type forced to Tpivot): decode, round trip, then adm's root, checked.
    case pivot
    /// A patched image: everything gefs-fsck -n does, its report as text and JSON.
    case fsck
    /// A patched image: gefs-fsck -y's check, repair and recheck.
    case repair
    /// A patched image: gefs-logdump (text, JSON, raw, block histories), gefs-replay's report
    /// and rewrite plan, gefs-arenadump's report.
    case logdump
    /// An undo file: read, checked against the small image and applied to it.
    case undo
    /// A gefs9.00 superblock: decode, round trip, then sb0 (and sb1) of the fresh genuine
    /// image, checked.
    case superblock9
    /// A gefs9.00 arena header: decode, well-formedness, then arena 0's header of the fresh
    /// genuine image, checked.
    case arena9
    /// A gefs9.00 log block: header, entries, then arena 0's head log block of the fresh
    /// genuine image, dumped and checked.
    case log9
    /// A gefs9.00 deadlist block: body hash, decode, round trip, then the head of the first
    /// Kdlist chain of a genuine image that has one, checked.
    case dlist9
    /// A patch of a genuine gefs9.00 image: everything gefs-fsck -n does. (The dump tools read
    /// gefs9.00 logs in `log9`: dumping the unsynced sample's 24 000 entries at every input would
    /// slow this target twentyfold.)
    case fsck9

    /// Whether inputs are image patches rather than one block.
    public var takesPatch: Bool { [.fsck, .repair, .logdump, .fsck9].contains(self) }
    /// Whether the target reads the genuine gefs9.00 bases (`FuzzHarness.bases9`).
    public var needsGefs9: Bool { [.superblock9, .arena9, .log9, .dlist9, .fsck9].contains(self) }
    /// The longest input worth trying (libFuzzer's -max_len).
    public var maxLength: Int { takesPatch ? 4096 : self == .undo ? 4 * Format.blockSize : Format.blockSize }
}

/// Output that is counted and thrown away: the renderers run in full, nothing is kept.
struct Sink: TextOutputStream {
    var bytes = 0
    mutating func write(_ s: String) { bytes &+= s.utf8.count }
}

/// Runs fuzz targets over a set of base images. Base 0 is always the small image
/// (`FuzzHarness.smallBase()`); the whole-image targets choose among all of them. The gefs9.00
/// targets read `bases9`, genuine images of the 9front gefs (`Fixtures/samples9`): the block
/// targets put their block in the first one (the fresh sample), `dlist9` in the first that has
/// a deadlist, and `fsck9` patches any of them.
public final class FuzzHarness {
    public let bases: [[UInt8]]
    public let bases9: [[UInt8]]
    /// Where things are in the small base.
    let loghd: Int64
    let admRoot: Int64
    /// Where things are in the gefs9.00 bases: arena 0's head log block of `bases9[0]`, and
    /// the base and address of the first Kdlist chain's head block.
    let loghd9: Int64
    let deadlist9: (base: Int, addr: Int64)?
    /// Print what the image targets find (for looking at one input, not for fuzzing).
    public var verbose = false

    public init(bases: [[UInt8]], bases9: [[UInt8]] = []) throws {
        precondition(!bases.isEmpty)
        self.bases = bases
        self.bases9 = bases9
        let img = try Image(device: PatchedDevice(base: bases[0]))
        loghd = img.arenas[0].current!.loghd
        admRoot = try TreeReader(img).tree(label: "adm").root.addr
        var loghd9: Int64 = 0
        var deadlist9: (Int, Int64)?
        for (i, b) in bases9.enumerated() {
            let img9 = try Image(device: PatchedDevice(base: b))
            guard img9.format is Gefs9Format else { throw DeviceError(path: "base9 \(i)", message: "not a gefs9.00 image") }
            if i == 0 { loghd9 = img9.arenas[0].current!.loghd }
            if deadlist9 == nil, let d = try TreeReader(img9).snapshotContents().deadlists.first { deadlist9 = (i, d.ref.head.addr) }
        }
        self.loghd9 = loghd9
        self.deadlist9 = deadlist9
    }

    /// The small base: what `mkgefs -s 4M` writes with SOURCE_DATE_EPOCH=1700000000 (the base
    /// of most gefs-fsck corpus cases).
    public static func smallBase() throws -> [UInt8] {
        let dev = MemoryDevice(size: 4 << 20)
        _ = try Formatter.write(to: dev, layout: try Layout(size: 4 << 20),
                                options: FormatOptions(user: "glenda", time: 1_700_000_000 * 1_000_000_000),
                                census: nil, plan: nil)
        return dev.bytes
    }

    /// Runs one input. Returns normally for every input: a trap, a hang or a runaway
    /// allocation is the finding.
    public func run(_ target: FuzzTarget, _ input: [UInt8]) {
        switch target {
        case .superblock: superblock(input)
        case .arena: arena(input)
        case .log: log(input)
        case .leaf: node(input, type: .leaf)
        case .pivot: node(input, type: .pivot)
        case .fsck: fsck(ImagePatch(parsing: input).device(bases))
        case .repair: repair(ImagePatch(parsing: input).device(bases))
        case .logdump: logdump(ImagePatch(parsing: input).device(bases))
        case .undo: undo(input)
        case .superblock9: superblock9(input)
        case .arena9: arena9(input)
        case .log9: log9(input)
        case .dlist9: dlist9(input)
        case .fsck9:
            guard !bases9.isEmpty else { return }
            fsck(ImagePatch(parsing: input).device(bases9))
        }
    }

    /// The input as a block: cut or padded with zeros.
    static func block(_ input: [UInt8]) -> [UInt8] {
        var b = Array(input.prefix(Format.blockSize))
        b += [UInt8](repeating: 0, count: Format.blockSize - b.count)
        return b
    }

    /// The small image with one block replaced.
    func small(with block: [UInt8], at addr: Int64) -> PatchedDevice {
        let dev = PatchedDevice(base: bases[0])
        try? dev.write(block, at: addr)
        return dev
    }

    // MARK: Block targets

    func superblock(_ input: [UInt8]) {
        let b = FuzzHarness.block(input)
        for f in DiskFormats.all {
            _ = try? f.decodeSuperblockFields(b)
            if let sb = try? f.decodeSuperblock(b), f.superblockError(sb, slot: .sb0, at: 0, deviceSize: Int64(bases[0].count)) == nil {
                // What is decoded encodes, and reads back, to the same bytes. (Not to the same
                // fields: gefs9.00 writes an empty snapdl's hashes as −1 whatever was read.)
                let block = f.encodeSuperblock(sb)
                precondition((try? f.decodeSuperblock(block)).map(f.encodeSuperblock) == block, "superblock round trip")
            }
        }
        open(small(with: b, at: 0))
    }

    func arena(_ input: [UInt8]) {
        let b = FuzzHarness.block(input)
        if let c = try? ArenaCopy.decode(b) {
            precondition((try? ArenaCopy.decode(c.encodeBlock())) == c, "arena copy round trip")
        }
        open(small(with: b, at: Format.blockSize64))
    }

    func log(_ input: [UInt8]) {
        let b = FuzzHarness.block(input)
        for f in DiskFormats.all {
            _ = try? f.logHeader(b)
            f.walkLog(b) { _ in true }
        }
        logdump(small(with: b, at: loghd))
    }

    func node(_ input: [UInt8], type: BlockType) {
        var b = FuzzHarness.block(input)
        b.put(type.rawValue, at: 0)
        if let n = try? Node.decode(b) {
            _ = n.orderError(); _ = n.fill
            if n.kind == .pivot { _ = try? n.children() }
            // A decoded node fits its block and, with its table in key order, packs back to
            // itself.
            precondition(n.fits, "decoded node does not fit")
            let sorted = n.messages.indices.dropFirst().allSatisfy { compareKeys(n.messages[$0 - 1].key, n.messages[$0].key) <= 0 }
            if sorted { precondition((try? Node.decode(n.encodeBlock())) == n, "node round trip") }
        }
        fsck(small(with: b, at: admRoot))
    }

    // MARK: gefs9.00 block targets

    /// Genuine gefs9.00 base `i` with one block replaced.
    func genuine(_ i: Int, with block: [UInt8], at addr: Int64) -> PatchedDevice {
        let dev = PatchedDevice(base: bases9[i])
        try? dev.write(block, at: addr)
        return dev
    }

    func superblock9(_ input: [UInt8]) {
        guard !bases9.isEmpty else { return }
        let b = FuzzHarness.block(input)
        let f = Gefs9Format()
        let size = Int64(bases9[0].count)
        if let sb = try? f.decodeSuperblock(b) {
            // Encoding normalizes what gefs9.00 does not keep (an empty snapdl's hashes are
            // written −1): what is encoded once decodes and encodes to the same bytes.
            let e = f.encodeSuperblock(sb)
            precondition((try? f.decodeSuperblock(e)).map(f.encodeSuperblock) == e, "gefs9.00 superblock round trip")
            _ = f.superblockError(sb, slot: .sb0, at: 0, deviceSize: size)
        }
        fsck(genuine(0, with: b, at: 0))
        fsck(genuine(0, with: b, at: (size / Format.blockSize64 - 1) * Format.blockSize64))
    }

    func arena9(_ input: [UInt8]) {
        guard !bases9.isEmpty else { return }
        let b = FuzzHarness.block(input)
        let f = Gefs9Format()
        if let c = try? ArenaCopy.decode(b) {
            precondition((try? ArenaCopy.decode(c.encodeBlock())) == c, "arena copy round trip")
            if let img = try? Image(device: PatchedDevice(base: bases9[0])) {
                _ = f.arenaCopyError(c, img.superblock, 0)
                _ = f.arenaGeometry(img.superblock, 0, copy: c)
            }
        }
        fsck(genuine(0, with: b, at: Format.blockSize64))
    }

    func log9(_ input: [UInt8]) {
        guard !bases9.isEmpty else { return }
        let b = FuzzHarness.block(input)
        let f = Gefs9Format()
        _ = try? f.logHeader(b)
        f.walkLog(b) { _ in true }
        _ = f.looksLike(b)
        let dev = genuine(0, with: b, at: loghd9)
        logdump(dev)
        fsck(dev)
    }

    func dlist9(_ input: [UInt8]) {
        guard let (base, addr) = deadlist9 else { return }
        let b = FuzzHarness.block(input)
        let f = Gefs9Format()
        _ = try? f.verifyDeadlistBlock(b, pointer: BlockPointer(addr: addr, hash: UInt64.max, gen: 0))
        if let d = try? f.decodeDeadlistBlock(b), d.addresses.count <= f.deadlistCapacity {
            precondition((try? f.decodeDeadlistBlock(f.encodeDeadlistBlock(d)))?.addresses == d.addresses, "deadlist block round trip")
        }
        _ = f.looksLike(b)
        fsck(genuine(base, with: b, at: addr))
    }

    /// Opens an image and replays every arena, as the dump tools do first.
    func open(_ dev: BlockDevice) {
        guard let img = try? Image(device: dev) else { return }
        _ = Replay.all(img)
    }

    /// Where the undo target puts its input: UndoFile reads files.
    static let undoScratch = "/tmp/gefs-fuzz-undo-\(getpid())"

    func undo(_ input: [UInt8]) {
        guard (try? Files.write(FuzzHarness.undoScratch, input)) != nil,
              let u = try? UndoFile.read(path: FuzzHarness.undoScratch) else { return }
        _ = try? u.apply(to: PatchedDevice(base: bases[0]))
    }

    // MARK: Image targets

    func fsck(_ dev: BlockDevice) {
        let img: Image
        do { img = try Image(device: dev) } catch {
            if verbose { print("does not open: \(error)") }
            return
        }
        let c = Checker(image: img)
        c.run()
        var report = FsckReport(image: img.name)
        report.problems = c.problems
        report.summary = c.summary
        var out = Sink()
        if verbose { Problem.lines(c.problems).forEach { print($0) } }
        Problem.lines(c.problems).forEach { out.write($0) }
        report.summaryLines.forEach { out.write($0) }
        out.write(report.json.serialized(pretty: true))
        _ = SpaceMap(image: img, freeMaps: c.replays.map { ($0.arena, $0.free) }, space: c.space, width: 64).text()
    }

    func repair(_ dev: BlockDevice) {
        guard let img = try? Image(device: dev) else { return }
        let c = Checker(image: img)
        c.run()
        _ = try? Repairer(checker: c, mode: .all).repair()
    }

    func logdump(_ dev: BlockDevice) {
        guard let img = try? Image(device: dev) else { return }
        let all = Array(img.arenas.indices)
        var out = Sink()
        var dump = LogDump(image: img, logs: LogStream.of(img, all))
        dump.raw = true
        _ = dump.text(&out)
        _ = dump.json(&out)
        dump.statsOnly = true
        _ = dump.text(&out)
        for a in img.arenas {
            for addr in [a.current?.loghd ?? a.region.lowerBound, a.region.lowerBound] {
                if let h = BlockHistory(image: img, block: addr) { _ = dump.historyText(h, &out); _ = dump.historyJSON(h, &out) }
            }
        }
        var replay = ReplayReport(image: img, replayed: ReplayedArenas(image: img, arenas: all, until: img.qgen > 0 ? img.qgen - 1 : nil))
        replay.ranges = true
        replay.text(&out)
        replay.json(&out)
        if let plan = try? LogRewrite.plan(image: img, arenas: all) {
            out.write(plan.text())
            out.write(plan.json.serialized(pretty: false))
        }
        var arenas = ArenaDump(image: img, replays: ReplayedArenas(image: img, arenas: all).current)
        arenas.showRanges = true
        out.write(arenas.superblockText())
        out.write(arenas.superblockJSON().serialized(pretty: false))
        for r in arenas.replays { out.write(arenas.arenaText(r)); out.write(arenas.arenaJSON(r).serialized(pretty: false)) }
    }
}

extension FuzzHarness {
    /// The small base, then every `*.img` file of `directory`, by name.
    public static func bases(directory: String?) throws -> [[UInt8]] {
        var out = [try smallBase()]
        if let d = directory {
            for f in Files.list(d) where f.hasSuffix(".img") { out.append(try Files.read(f)) }
        }
        return out
    }

    /// Every `*.img` file of `directory`, by name: the genuine gefs9.00 bases.
    public static func bases9(directory: String?) throws -> [[UInt8]] {
        guard let d = directory else { return [] }
        return try Files.list(d).filter { $0.hasSuffix(".img") }.map(Files.read)
    }

    /// Writes the seed corpus of every target to `out/TARGET/NAME`, from the bases and the
    /// damaged images `corpus/*.img`. Returns the number of seeds per target.
    public func writeSeeds(corpus: String, to out: String) throws -> [FuzzTarget: Int] {
        var images: [(String, [UInt8])] = []
        for f in Files.list(corpus) where f.hasSuffix(".img") {
            let name = String(f.split(separator: "/").last!.dropLast(4))
            images.append((name, try Files.read(f)))
        }
        var counts: [FuzzTarget: Int] = [:]
        var all = FuzzSeeds.make(bases: bases, corpus: images)
        for (t, seeds) in FuzzSeeds.make9(bases9: bases9) { all[t] = seeds }
        for (t, seeds) in all {
            let dir = out + "/" + t.rawValue
            Files.makeDirectory(dir)
            for s in seeds { try Files.write(dir + "/" + s.name, s.bytes) }
            counts[t] = seeds.count
        }
        return counts
    }
}
