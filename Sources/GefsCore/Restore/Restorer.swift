#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
#if canImport(Dispatch)
import Dispatch
#endif

/// What gefs-restore is asked to do (its options, minus the output ones).
public struct RestoreOptions: Sendable {
    /// `--snap LABEL` (nil: `main`) or `--gen G`.
    public var label: String?
    public var gen: Int64?
    /// PATH... and `--include GLOB`: only these (nothing: everything).
    public var paths: [String] = []
    public var globs: [String] = []
    /// `-m`: permission bits and times.
    public var metadata = false
    /// `-o`: replace what DEST already holds.
    public var overwrite = false
    /// `-i`: go on past damage.
    public var ignoreErrors = false
    /// `--keep-bad`: write data blocks whose hash does not match.
    public var keepBad = false
    /// `--scan`: find tree nodes by structure when a tree cannot be read.
    public var scan = false
    /// Keep every entry's outcome in the report (for --json); else they are only handed to
    /// `RestoreEvents.entry`, and memory holds no per-entry report.
    public var recordEntries = false
    public init() {}
}

/// The tree being restored and how it was found.
public struct ChosenTree: Sendable {
    public var tree: TreeRoot
    /// A root found by scan has no pointer to check it against: it is read as found.
    public var unverifiedRoot = false
    /// How it was found, when not through the snapshot tree.
    public var how: String?
}

/// What the tool shows while a restore runs.
public struct RestoreEvents {
    /// Each entry as it is done (-v, --dry-run).
    public var entry: ((EntryOutcome) -> Void)?
    /// Each loss, bad block kept or existing entry skipped, as a line, when it happens.
    public var note: ((String) -> Void)?
    /// `phase`, bytes or blocks done, and the total.
    public var progress: ((String, Int64, Int64) -> Void)?
    public init() {}
}

/// gefs-restore's engine: opens an image read-only (never writes it), chooses a snapshot, and
/// restores its files into a host directory, or lists it, or writes one file to standard
/// output. Everything is streamed: directory entries are held in memory (they are what is
/// restored), file contents never more than a few batches of blocks.
///
/// Order: entries are restored by qid; a restore without -i stops at the first file that
/// cannot be restored whole, having restored every entry before it, and removes the file it
/// was writing. Damage to directory entries is listed and does not stop it: what the lost
/// entries held is put in lost+found.
public final class Restorer {
    public let imagePath: String
    public let options: RestoreOptions
    public var events = RestoreEvents()
    public internal(set) var report: RestoreReport
    public private(set) var source: RestoreSource?
    public private(set) var catalog: SnapshotCatalog?
    var structure: StructureScan?
    var users = UserTable()

    public init(image: String, options: RestoreOptions) {
        imagePath = image; self.options = options
        report = RestoreReport(image: image)
    }

    // MARK: Opening

    /// Opens the image and reads its snapshot tree. False (with the reason in the report)
    /// when nothing can be read: no valid superblock and no --scan. Throws when the file
    /// cannot be opened at all (a host error).
    public func open() throws -> Bool {
        do {
            let img = try Image(path: imagePath)
            report.problems += img.problems.filter { $0.severity != .info }
            let s = RestoreSource(image: img)
            source = s
            var c = try SnapshotCatalog.read(s, tree: TreeReader(img).snapshotTree)
            c.problems = c.problems.filter { $0.severity == .error }
            report.problems += c.lost.map(\.problem) + c.problems
            catalog = c
            users = UserTable.read(s, catalog: c)
            return true
        } catch let e as ImageError {
            report.problems += e.problems.filter { $0.severity == .error }
            guard options.scan else { return false }
            source = RestoreSource(unopened: try FileDevice(path: imagePath))
            return true
        }
    }

    /// The scan, run once when first needed.
    func scanned() -> StructureScan? {
        guard options.scan, let source else { return nil }
        if let structure { return structure }
        let s = StructureScan(source: source) { [events] done, total in events.progress?("scan", done, total) }
        structure = s
        report.scannedBlocks = s.blocksScanned
        return s
    }

    /// Every tree of the snapshot tree, with counts; with --scan and a snapshot tree that
    /// cannot be read whole, the records the scan finds instead.
    public func list() throws -> [SnapshotListing] {
        guard let source else { return [] }
        if let catalog, catalog.complete || !options.scan { return try catalog.listing(source) }
        guard let s = scanned() else { return [] }
        var c = SnapshotCatalog()
        c.contents = s.snapshots
        var out = try c.listing(source)
        // The tree --scan would restore as main when no record of it is current.
        if case let .success((tree, how)) = s.choose(label: nil, gen: nil, staleRecords: catalog != nil), tree.gen == nil {
            var l = SnapshotListing(record: TreeRecord(nref: 0, nlbl: 0, height: UInt32(tree.height), gen: tree.root.gen, pred: -1, succ: -1, base: -1, root: tree.root),
                                    labels: [], note: how)
            try SnapshotCatalog.count(source, tree, uncheckedRoot: true, into: &l)
            out.append(l)
        }
        return out
    }

    /// The tree `--snap`/`--gen` names: from the snapshot tree, or, when that cannot say and
    /// --scan is given, from what the scan finds. Nil when none (the reason in the report).
    public func choose() -> ChosenTree? {
        if let catalog {
            switch catalog.choose(label: options.label, gen: options.gen) {
            case let .success(t): return ChosenTree(tree: t)
            case let .failure(e):
                guard options.scan, !catalog.complete else {
                    lose(Loss(subject: target, what: catalog.complete ? "not restored" : "not restored (the snapshot tree is damaged; --scan looks for the trees by structure)", problem: e.problem))
                    return nil
                }
            }
        }
        guard let s = scanned() else {
            let p = report.problems.first { $0.code == .superblockNone } ?? Problem(.superblockNone, "no valid superblock in \(imagePath)")
            lose(Loss(subject: target, what: "not restored (the snapshot tree cannot be found; --scan looks for the trees by structure)", problem: p))
            return nil
        }
        // With the image open, what the scan finds outside the snapshot tree it names is stale.
        switch s.choose(label: options.label, gen: options.gen, staleRecords: catalog != nil) {
        case let .success((tree, how)):
            report.how = how
            events.note?("found by scan: \(how)")
            return ChosenTree(tree: tree, unverifiedRoot: tree.root.hash == 0 && tree.gen == nil, how: how)
        case let .failure(e):
            lose(Loss(subject: target, what: "not restored", problem: e.problem))
            return nil
        }
    }

    /// Records a host I/O failure met outside the engine's own passes.
    public func failed(_ error: Error) { report.hostError = "\(error)" }

    var target: String { options.gen.map { "snapshot \($0)" } ?? "label \"\(options.label ?? "main")\"" }

    // MARK: Reading a tree, with the scan filling what is lost

    /// Streams the logical records of `range` of the chosen tree; a range that cannot be read
    /// goes to `lost` first and is then filled (recovered = true) from the scan, with --scan.
    func stream(_ chosen: ChosenTree, _ range: KeyRange,
                record: ([UInt8], [UInt8], Bool) throws -> Bool,
                lost: (LostRange) throws -> Bool) throws {
        guard let source else { return }
        var failed: Set<Int64> = []
        var lineage: Set<Int64>?
        try RestoreWalker(source: source).walk(chosen.tree, range: range, uncheckedRoot: chosen.unverifiedRoot,
                                               record: { try record($0, $1, false) }, lost: { [self] l in
            guard try lost(l) else { return false }
            guard let s = scanned() else { return true }
            if let b = l.problem.block { failed.insert(b) }
            if lineage == nil { lineage = self.lineage(chosen, s) }
            var go = true
            try s.harvest(l.range, cap: chosen.tree.gen, failed: failed, lineage: lineage) { k, v in go = try record(k, v, true); return go }
            return go
        }, problem: { [self] p in noteProblem(p) })
    }

    /// The roots of the chosen tree and of the snapshots it descends from (its pred chain),
    /// from the snapshot tree or, failing that, from the records the scan found; for a tree
    /// found as a top, the chain of the newest record.
    func lineage(_ chosen: ChosenTree, _ s: StructureScan) -> Set<Int64> {
        let contents = catalog.flatMap { $0.complete ? $0.contents : nil } ?? s.snapshots
        var roots: Set<Int64> = [chosen.tree.root.addr]
        var g: Int64? = chosen.tree.gen ?? contents.snapshots.last?.gen
        var seen: Set<Int64> = []
        while let gen = g, seen.insert(gen).inserted, let t = contents.snapshot(gen) {
            roots.insert(t.root.addr)
            g = t.pred >= 0 ? t.pred : nil
        }
        return roots
    }

    func noteProblem(_ p: Problem) {
        guard p.severity == .error, report.problems.count < 1000 else { return }
        report.problems.append(p)
    }

    // MARK: The namespace

    /// Damage to directory entries: the loss, and the qid of the directory it takes entries
    /// from (0 when unknown), by which the losses are listed.
    public struct EntryDamage: Sendable {
        public var qid: UInt64
        public var loss: Loss
    }

    /// Reads the chosen tree's directory entries and places them, with what was lost.
    public func namespace(_ chosen: ChosenTree) throws -> (Namespace, [EntryDamage]) {
        var ns = Namespace()
        var lostRanges: [LostRange] = []
        try stream(chosen, .prefix([KeyKind.ent.rawValue]), record: { k, v, rec in
            ns.add(key: k, value: v, recovered: rec, tree: chosen.tree.name)
            return true
        }, lost: { l in lostRanges.append(l); return true })
        ns.place(tree: chosen.tree.name)
        ns.lost = lostRanges
        var damage: [EntryDamage] = []
        var dirPath: [UInt64: String] = [:]
        for p in ns.placements where p.entry >= 0 && ns.entries[p.entry].isDirectory {
            dirPath[ns.entries[p.entry].qid] = dirPath[ns.entries[p.entry].qid] ?? p.display
        }
        for l in lostRanges {
            let (lo, hi) = Restorer.qidSpan(l.range, kind: .ent)
            guard lo <= hi else { continue }
            let what = "entries in \(l.range) unreadable" + (options.scan ? "; filled from leaves found by scan" : "")
            let hit = options.scan ? [] : dirPath.keys.filter { (lo...hi).contains($0) }.sorted()
            if hit.isEmpty { damage.append(EntryDamage(qid: lo, loss: Loss(subject: "directory entries", what: what, problem: l.problem))) }
            for q in hit {
                damage.append(EntryDamage(qid: q, loss: Loss(subject: dirPath[q]!, what: "some of its " + what, problem: l.problem)))
            }
        }
        for r in ns.rejected {
            let subject = r.parent.flatMap { dirPath[$0] }.map { "\($0) entry \(r.subject)" } ?? r.subject
            damage.append(EntryDamage(qid: r.parent ?? 0, loss: Loss(subject: subject, what: "not restored", problem: r.problem)))
        }
        if ns.root == nil {
            damage.append(EntryDamage(qid: 0, loss: Loss(subject: "/", what: "the root directory's entry is lost; the entries found are in lost+found",
                                                        problem: Problem(.dirRootMissing, "no root directory entry Kent(-1, \"\")", in: chosen.tree.name))))
        }
        return (ns, damage.sorted { $0.qid < $1.qid })
    }

    /// The qids of one key kind that a key range can hold keys of (inclusive; lo > hi when
    /// none), from its bounds: keys of that kind start with the kind byte and a qid.
    static func qidSpan(_ r: KeyRange, kind: KeyKind) -> (UInt64, UInt64) {
        func qid(_ k: [UInt8]) -> UInt64 {
            var v: UInt64 = 0
            for i in 1..<9 { v = v << 8 | UInt64(i < k.count ? k[i] : 0) }
            return v
        }
        var lo: UInt64 = 0, hi = UInt64.max
        if let l = r.lo, let f = l.first {
            if f > kind.rawValue { return (1, 0) }
            if f == kind.rawValue { lo = qid(l) }
        }
        if let h = r.hi, let f = h.first {
            if f < kind.rawValue { return (1, 0) }
            if f == kind.rawValue {
                let q = qid(h)
                // A bound at or below a qid's first key leaves that qid out.
                if h.count <= 9 || h[9...].allSatisfy({ $0 == 0 }) {
                    if q == 0 { return (1, 0) }
                    hi = q - 1
                } else { hi = q }
            }
        }
        return (lo, hi)
    }

    // MARK: Outcomes

    func outcome(_ ns: Namespace, _ p: Placement, _ status: EntryStatus) -> EntryOutcome {
        let e = ns.entries[p.entry]
        let x = e.dir
        return EntryOutcome(path: p.display, qid: x.qidPath, mode: x.mode, length: x.isDirectory ? 0 : x.length,
                            mtime: x.mtime, atime: x.atime, uid: users.name(x.uid), gid: users.name(x.gid), muid: users.name(x.muid),
                            status: status, recovered: e.recovered)
    }

    func recordOutcome(_ o: EntryOutcome) {
        if options.recordEntries { report.entries.append(o) }
        events.entry?(o)
    }

    func lose(_ l: Loss) {
        report.losses.append(l)
        events.note?("lost: " + l.line)
    }

    // MARK: Dry run

    /// Lists what a restore would write, reading directory entries only.
    public func dryRun() throws {
        guard let chosen = choose() else { return }
        report.tree = chosen.tree.name
        var (ns, damage) = try namespace(chosen)
        report.missing = ns.select(paths: options.paths, globs: options.globs)
        for m in report.missing { events.note?("lost: \(m): no such file or directory in \(chosen.tree.name)") }
        for d in damage { lose(d.loss) }
        for p in ns.placements where p.entry >= 0 && !p.path.isEmpty {
            let o = outcome(ns, p, .listed)
            if o.recovered { report.recovered.append(o.path) }
            if o.isDirectory { report.directories += 1 } else { report.files += 1; report.bytes += o.length }
            recordOutcome(o)
        }
    }

    // MARK: Restore

    /// One entry to restore, in qid order.
    struct Item {
        var placement: Int
        var qid: UInt64
        var isDir: Bool
        var length: UInt64
        var state = State.pending
        /// Part of it could not be read (holes, or blocks kept bad).
        var partial = false
        var recoveredData = false
        var written: UInt64 = 0
        enum State { case pending, open, done, skipped, lost }
    }

    /// Restores the chosen snapshot (or what PATHs and GLOBs select) into `dest`.
    public func restore(into dest: String) throws {
        report.dest = dest
        guard let chosen = choose() else { return }
        report.tree = chosen.tree.name
        var (ns, damage) = try namespace(chosen)
        report.missing = ns.select(paths: options.paths, globs: options.globs)
        for m in report.missing { events.note?("lost: \(m): no such file or directory in \(chosen.tree.name)") }
        let host: HostDestination
        do { host = try HostDestination(path: dest) } catch let e as HostError { report.hostError = e.description; return }
        host.protect(imagePath)
        var items: [Item] = []
        for (i, p) in ns.placements.enumerated() where p.entry >= 0 && !p.path.isEmpty {
            let e = ns.entries[p.entry]
            items.append(Item(placement: i, qid: e.qid, isDir: e.isDirectory, length: e.isDirectory ? 0 : e.dir.length))
        }
        items.sort { $0.qid < $1.qid }
        var pass = DataPass(restorer: self, ns: ns, items: items, host: host, sink: nil)
        // Damage to directory entries is listed; it does not stop the restore (the entries it
        // takes are unknown, and what they held goes to lost+found).
        for d in damage { lose(d.loss) }
        do {
            try pass.run(chosen)
            try pass.finishDirectories()
        } catch let e as HostError {
            report.hostError = e.description
        }
        pass.account()
    }

    /// Writes the file at `path` to standard output.
    public func cat(_ path: String) throws {
        guard let chosen = choose() else { return }
        report.tree = chosen.tree.name
        var (ns, damage) = try namespace(chosen)
        guard let i = ns.placement(of: path), ns.placements[i].entry >= 0, !ns.placements[i].path.isEmpty else {
            // The damage may be why it is not found.
            for d in damage { lose(d.loss) }
            report.missing = [path]
            events.note?("lost: \(path): no such file in \(chosen.tree.name)")
            return
        }
        let e = ns.entries[ns.placements[i].entry]
        guard !e.isDirectory else {
            lose(Loss(subject: ns.placements[i].display, what: "not written", problem: Problem(.dirEntryInvalid, "it is a directory", in: chosen.tree.name)))
            return
        }
        ns.placements = [ns.placements[i]]
        ns.placements[0].parent = nil
        let item = Item(placement: 0, qid: e.qid, isDir: false, length: e.dir.length)
        var pass = DataPass(restorer: self, ns: ns, items: [item], host: nil, sink: StreamSink(fd: 1, name: "standard output"))
        do { try pass.run(chosen) } catch let e as HostError { report.hostError = e.description }
        pass.account()
    }
}

/// The pass over the tree's Kdat keys that writes the files, in qid order. Blocks are read
/// and checked on another thread one batch ahead of the writes.
struct DataPass {
    let restorer: Restorer
    let ns: Namespace
    var items: [Item]
    let host: HostDestination?
    let sink: StreamSink?
    typealias Item = Restorer.Item

    /// Entries at or past this qid are not attempted (the restore stopped there).
    var stopQid: UInt64?
    /// The next item not yet begun.
    var cursor = 0
    /// The item whose blocks the walk is at.
    var current: Int?
    var sinks: [Int: ByteSink] = [:]
    var fds: [Int: Int32] = [:]
    /// Queued work, applied in order once its blocks are read.
    enum Op { case begin(Int), block(Int, UInt64, Int), end(Int), lost(Int, Loss, filled: Bool) }
    var ops: [Op] = []
    var pointers: [BlockPointer] = []
    var inFlight: Batch?
    /// Lost Kdat ranges by qid span, for items not begun yet.
    var lostSpans: [(lo: UInt64, hi: UInt64, loss: Loss, filled: Bool)] = []
    var bytesDone: Int64 = 0
    let bytesTotal: Int64
    let queue = DispatchQueue(label: "gefs-restore.read")
    static let batchBlocks = 256

    final class Batch {
        let ops: [Op]
        let pointers: [BlockPointer]
        var results: [Result<[UInt8], RestoreSource.ReadFailure>] = []
        let done = DispatchSemaphore(value: 0)
        init(ops: [Op], pointers: [BlockPointer]) { self.ops = ops; self.pointers = pointers }
    }

    init(restorer: Restorer, ns: Namespace, items: [Item], host: HostDestination?, sink: StreamSink?) {
        self.restorer = restorer; self.ns = ns; self.items = items; self.host = host; self.sink = sink
        bytesTotal = Int64(clamping: items.reduce(UInt64(0)) { $0 &+ $1.length })
    }

    var options: RestoreOptions { restorer.options }
    func placement(_ i: Int) -> Placement { ns.placements[items[i].placement] }
    func beyondStop(_ i: Int) -> Bool { stopQid.map { items[i].qid >= $0 } ?? false }
    /// Nothing before the stop is left to write.
    var finished: Bool { current == nil && (cursor >= items.count || beyondStop(cursor)) }

    // MARK: Producing

    mutating func run(_ chosen: ChosenTree) throws {
        if let first = items.first, let last = items.last, items.contains(where: { !$0.isDir }) {
            let range = KeyRange(lo: Key.dat(qid: first.qid, offset: 0).encode(),
                                 hi: last.qid == UInt64.max ? [KeyKind.ent.rawValue] : Key.dat(qid: last.qid + 1, offset: 0).encode())
            try restorer.stream(chosen, range, record: { k, v, recovered in
                try self.record(k, v, recovered)
                return !self.finished
            }, lost: { l in
                self.lostRange(l)
                return !self.finished
            })
        }
        try advance(to: nil)
        try flush()
        try drain()
    }

    /// A Kdat record: queue its block for the file of that qid, if it is being restored.
    mutating func record(_ k: [UInt8], _ v: [UInt8], _ recovered: Bool) throws {
        guard case let .dat(q, off)? = try? Key.decode(k) else { return }
        try advance(to: q)
        guard let c = current, items[c].qid == q, off < items[c].length, off % UInt64(Format.blockSize) == 0,
              v.count == Format.pointerSize else { return }
        var r = ByteReader(v, structure: "Kdat value")
        guard let bp = try? BlockPointer.decode(&r) else { return }
        if recovered { items[c].recoveredData = true }
        ops.append(.block(c, off, pointers.count))
        pointers.append(bp)
        if pointers.count >= DataPass.batchBlocks { try flush() }
    }

    /// A Kdat range that cannot be read: a loss for each file it may hold blocks of.
    mutating func lostRange(_ l: LostRange) {
        let (lo, hi) = Restorer.qidSpan(l.range, kind: .dat)
        guard lo <= hi else { return }
        let filled = options.scan
        let what = "blocks in \(l.range) unreadable" + (filled ? "; filled from leaves found by scan" : options.ignoreErrors ? "; left as holes" : "")
        if filled {
            // One line for the range; the files it fills are listed as recovered.
            restorer.lose(Loss(subject: "file contents", what: what, problem: l.problem))
            return
        }
        let loss = Loss(subject: "", what: what, problem: l.problem)
        if let c = current, (lo...hi).contains(items[c].qid) { ops.append(.lost(c, loss, filled: filled)) }
        lostSpans.append((lo, hi, loss, filled))
    }

    /// Ends the item being written if its qid is below `q`, then begins (and, for those with
    /// no data, ends) every item below `q`, and begins the one at `q`.
    mutating func advance(to q: UInt64?) throws {
        if let c = current, q == nil || items[c].qid < q! {
            ops.append(.end(c)); current = nil
        }
        while cursor < items.count, !beyondStop(cursor), q == nil || items[cursor].qid <= q! {
            let i = cursor
            cursor += 1
            ops.append(.begin(i))
            if !items[i].isDir {
                for s in lostSpans where (s.lo...s.hi).contains(items[i].qid) { ops.append(.lost(i, s.loss, filled: s.filled)) }
            }
            if items[i].isDir || q == nil || items[i].qid < q! { ops.append(.end(i)) } else { current = i }
        }
    }

    // MARK: Reading ahead

    /// Hands the queued blocks to the reader, then applies the batch handed over before.
    mutating func flush() throws {
        let batch = Batch(ops: ops, pointers: pointers)
        ops = []; pointers = []
        pointers.reserveCapacity(DataPass.batchBlocks)
        let source = restorer.source!
        queue.async {
            batch.results = batch.pointers.map { bp in
                Result { try source.read(bp) }.mapError { $0 as? RestoreSource.ReadFailure ?? .unreadable("\($0)") }
            }
            batch.done.signal()
        }
        try drain()
        inFlight = batch
    }

    mutating func drain() throws {
        guard let b = inFlight else { return }
        inFlight = nil
        b.done.wait()
        try apply(b)
    }

    // MARK: Applying

    mutating func apply(_ b: Batch) throws {
        var k = 0
        while k < b.ops.count {
            switch b.ops[k] {
            case let .begin(i): try begin(i)
            case let .end(i): try end(i)
            case let .lost(i, loss, filled): lost(i, loss, filled: filled)
            case let .block(i, off, r):
                // A run of readable blocks of one file at consecutive offsets goes in one write.
                var blocks: [[UInt8]] = []
                var j = k
                var next = off
                while j < b.ops.count, case let .block(i2, o2, r2) = b.ops[j], i2 == i, o2 == next, case let .success(bytes) = b.results[r2] {
                    blocks.append(bytes); next += UInt64(Format.blockSize); j += 1
                }
                if blocks.isEmpty {
                    try bad(i, off, b.pointers[r], b.results[r])
                    k += 1
                } else {
                    try write(i, blocks, at: off)
                    k = j
                }
                continue
            }
            k += 1
        }
    }

    mutating func begin(_ i: Int) throws {
        guard !beyondStop(i) else { return }
        let p = placement(i)
        if let sink {
            sinks[i] = sink
            items[i].state = .open
            return
        }
        guard let host else { return }
        do {
            if items[i].isDir {
                _ = try host.open(items[i].placement, ns.placements, overwrite: options.overwrite)
                items[i].state = .open
                return
            }
            let parentFD = try p.parent.map { try host.open($0, ns.placements, overwrite: options.overwrite) } ?? host.root
            switch try host.createFile(in: parentFD, p.name, rel: p.path, overwrite: options.overwrite) {
            case let .opened(fd):
                fds[i] = fd
                sinks[i] = FileSink(fd: fd, rel: host.show(p.path))
                items[i].state = .open
            case .exists:
                skip(i, "\(p.display): skipped: \(host.show(p.path)) exists (-o replaces it)")
            }
        } catch let c as HostDestination.Conflict {
            skip(i, "\(p.display): skipped: \(host.show(p.path)): it or a directory on its way \(c.why) (-o replaces it)")
        }
    }

    mutating func skip(_ i: Int, _ line: String) {
        items[i].state = .skipped
        restorer.report.skipped.append(placement(i).display)
        restorer.events.note?(line)
        restorer.recordOutcome(restorer.outcome(ns, placement(i), .skipped))
    }

    mutating func write(_ i: Int, _ blocks: [[UInt8]], at off: UInt64) throws {
        guard items[i].state == .open, let s = sinks[i] else { return }
        do { try writeBlocks(i, s, blocks, at: off) } catch is TooLong {
            lost(i, Loss(subject: placement(i).display, what: "block at offset \(hex(off)) not written", problem: Problem(.dirEntryInvalid,
                 "offset \(off) is more than the host file system holds", in: restorer.report.tree)), filled: false)
        }
    }

    mutating func writeBlocks(_ i: Int, _ s: ByteSink, _ blocks: [[UInt8]], at off: UInt64) throws {
        let len = items[i].length
        let n = min(len, off + UInt64(blocks.count) * UInt64(Format.blockSize)) - off
        items[i].written += n
        bytesDone += Int64(n)
        if s is FileSink {
            // All-zero blocks stay holes in a host file.
            var run: [[UInt8]] = []
            var at = off, o = off
            for b in blocks {
                if b.withUnsafeBytes({ $0.allSatisfy { $0 == 0 } }) {
                    if !run.isEmpty { try s.write(run, at: at, lastCount: lastCount(at, run.count, len)) }
                    run = []
                    at = o + UInt64(Format.blockSize)
                } else { run.append(b) }
                o += UInt64(Format.blockSize)
            }
            if !run.isEmpty { try s.write(run, at: at, lastCount: lastCount(at, run.count, len)) }
        } else {
            try s.write(blocks, at: off, lastCount: lastCount(off, blocks.count, len))
        }
        restorer.events.progress?("restore", bytesDone, bytesTotal)
    }

    func lastCount(_ at: UInt64, _ n: Int, _ len: UInt64) -> Int {
        Int(min(UInt64(Format.blockSize), len - (at + UInt64(n - 1) * UInt64(Format.blockSize))))
    }

    /// A block that cannot be had: its bytes with --keep-bad when it reads but fails its hash,
    /// else a hole and a loss.
    mutating func bad(_ i: Int, _ off: UInt64, _ bp: BlockPointer, _ r: Result<[UInt8], RestoreSource.ReadFailure>) throws {
        guard items[i].state == .open, case let .failure(f) = r else { return }
        let p = placement(i)
        if options.keepBad, case .mismatch = f, let raw = try? restorer.source!.readRaw(at: bp.addr) {
            try write(i, [raw], at: off)
            items[i].partial = true
            let k = KeptBadBlock(path: p.display, offset: off, block: bp.addr, why: "block \(hex(bp.addr)) \(f)")
            restorer.report.keptBad.append(k)
            restorer.events.note?("kept bad: " + k.line)
            return
        }
        let key = Key.dat(qid: items[i].qid, offset: off)
        let problem: Problem
        switch f {
        case .mismatch: problem = Problem(.dataHashMismatch, "\(key): block \(hex(bp.addr)) \(f)", block: bp.addr, in: restorer.report.tree)
        case let .unreadable(why): problem = Problem(.dataUnreadable, "\(key): \(why)", block: bp.addr, in: restorer.report.tree)
        }
        lost(i, Loss(subject: p.display, what: "block at offset \(hex(off)) " + (options.ignoreErrors ? "left as a hole" : "unreadable"), problem: problem), filled: false)
    }

    /// Damage to a file being written: with -i (or when the scan filled the range) it goes on;
    /// without, the file is removed and the restore stops there.
    mutating func lost(_ i: Int, _ loss: Loss, filled: Bool) {
        guard items[i].state == .open else { return }
        var l = loss
        if l.subject.isEmpty { l.subject = placement(i).display }
        items[i].partial = true
        restorer.lose(l)
        if !options.ignoreErrors, !filled { stop(at: i) }
    }

    mutating func stop(at i: Int) {
        stopQid = items[i].qid
        restorer.report.stoppedAt = placement(i).display
        if let fd = fds[i] {
            HostDestination.close(fd)
            fds[i] = nil
            let p = placement(i)
            if let host, let dfd = p.parent.map({ try? host.open($0, ns.placements, overwrite: false) }) ?? host.root {
                host.remove(in: dfd, p.name)
            }
        }
        sinks[i] = nil
        items[i].state = .lost
    }

    mutating func end(_ i: Int) throws {
        guard items[i].state == .open else { return }
        let p = placement(i)
        let e = ns.entries[p.entry]
        if !items[i].isDir {
            do { try sinks[i]?.finish(length: items[i].length) } catch let t as TooLong {
                lost(i, Loss(subject: p.display, what: "not restored", problem: Problem(.dirEntryInvalid,
                     "its length \(t.length) is more than the host file system holds", in: restorer.report.tree)), filled: false)
                if items[i].state != .open { return }
                items[i].state = .lost
                if let fd = fds[i] { HostDestination.close(fd); fds[i] = nil }
                if let host { host.remove(in: (try? p.parent.map { try host.open($0, ns.placements, overwrite: false) } ?? host.root) ?? host.root, p.name) }
                return
            }
            if options.metadata, let fd = fds[i] {
                try HostDestination.setMetadata(fd, perm: e.dir.mode, atime: e.dir.atime, mtime: e.dir.mtime, rel: host?.show(p.path) ?? p.display)
            }
            if let fd = fds[i] { HostDestination.close(fd); fds[i] = nil }
            sinks[i] = nil
            bytesDone += Int64(items[i].length - min(items[i].length, items[i].written))
            restorer.events.progress?("restore", bytesDone, bytesTotal)
        }
        items[i].state = .done
        if e.recovered || items[i].recoveredData { restorer.report.recovered.append(p.display) }
        restorer.recordOutcome(restorer.outcome(ns, p, items[i].partial ? .partial : .restored))
    }

    /// With -m, the directories' bits and times, deepest first: writing into a directory
    /// changes its times, and one without write permission could not be filled.
    func finishDirectories() throws {
        guard options.metadata, let host else { return }
        let dirs = items.indices.filter { items[$0].isDir && items[$0].state == .done }
            .sorted { placement($0).path.count > placement($1).path.count }
        for i in dirs {
            let p = placement(i)
            let e = ns.entries[p.entry]
            let fd = try host.open(items[i].placement, ns.placements, overwrite: false)
            try HostDestination.setMetadata(fd, perm: e.dir.mode, atime: e.dir.atime, mtime: e.dir.mtime, rel: host.show(p.path))
        }
    }

    /// Counts what was restored and lists what was not reached.
    func account() {
        for i in items.indices {
            switch items[i].state {
            case .done:
                if items[i].isDir { restorer.report.directories += 1 } else { restorer.report.files += 1; restorer.report.bytes += items[i].length }
            case .pending:
                if stopQid != nil { restorer.report.notAttempted.append(placement(i).display) }
            case .lost:
                restorer.recordOutcome(restorer.outcome(ns, placement(i), .lost))
            case .open, .skipped:
                break
            }
        }
    }
}
