/// What one file tree's logical records say, gathered in key order for the directory checks.
final class FileTreeState {
    let tree: TreeRoot
    /// What the checks use of an Xdir: half its size, for trees of millions of entries.
    struct Attributes {
        var flag: UInt64, qidPath: UInt64, length: UInt64
        var mode: UInt32
        var qidType: UInt8
        init(_ x: Xdir) { flag = x.flag; qidPath = x.qidPath; length = x.length; mode = x.mode; qidType = x.qidType }
        var isDirectory: Bool { mode & Mode.dir != 0 }
    }
    struct Entry { var parent: UInt64; var name: [UInt8]; var dir: Attributes }
    var entries: [Entry] = []
    /// Kent key → index in `entries` (the last entry of that key), for the keys that Kup values
    /// can name: the root's, and those of which some entry is a directory. Files are not listed
    /// (a Kup naming one is dangling whether found or not), which keeps memory per file low.
    var byKey: [[UInt8]: Int] = [:]
    /// Kup(qid) → its value (the directory's Kent key).
    var ups: [(qid: UInt64, value: [UInt8])] = []
    /// Highest Kdat offset of each qid, as of the last `flushData`.
    var dataMax: [UInt64: UInt64] = [:]
    /// The qid of the last Kdat record and its highest offset so far, not yet in `dataMax`:
    /// records come in key order, so one qid's blocks come together and the dictionary is
    /// touched once per file rather than once per block.
    var lastData: (qid: UInt64, max: UInt64)?
    /// Data blocks named by a logical Kdat value of this tree.
    var named: BlockBitmap
    /// The tree's Kconf settings (gefs9.00).
    var conf: [ConfSetting] = []

    /// Whether the format has Kconf keys (gefs9.00), for what a problem says the tree holds.
    let confKeys: Bool

    init(tree: TreeRoot, blockCount: Int, confKeys: Bool = false) {
        self.tree = tree
        self.confKeys = confKeys
        named = BlockBitmap(start: 0, count: blockCount)
    }

    func problem(_ code: ProblemCode, _ message: String, block: Int64? = nil) -> Problem {
        Problem(code, message, block: block, path: tree.name)
    }

    /// Takes one logical record; returns the problem it shows on its own, if any.
    func add(key: [UInt8], value: [UInt8]) -> Problem? {
        let k: Key
        do { k = try Key.decode(key) } catch {
            return problem(.treeKeyMalformed, "key \(KeyRange.show(key)): \(error)")
        }
        switch k {
        case let .dat(q, off):
            guard value.count == Format.pointerSize else {
                return problem(.treeValueMalformed, "\(k): value of \(value.count) bytes, not a block pointer")
            }
            if lastData?.qid == q { lastData!.max = max(lastData!.max, off) } else {
                flushData()
                lastData = (q, max(dataMax[q] ?? 0, off))
            }
            guard off % UInt64(Format.blockSize) == 0 else {
                return problem(.treeKdatUnaligned, "\(k): offset is not a multiple of \(Format.blockSize)")
            }
            let addr = value.s64(at: 0)
            if let r = named.indices(addr, Format.blockSize64) {
                if named[r.lowerBound] {
                    return problem(.treeDataShared, "\(k) names data block \(hex(addr)), which another key of the tree names too", block: addr)
                }
                named[r.lowerBound] = true
            }
        case let .ent(p, name):
            guard let x = try? Xdir.decode(value) else {
                return problem(.treeValueMalformed, "\(k): value of \(value.count) bytes is not an Xdir")
            }
            if x.isDirectory || key == FileTreeState.rootKey || byKey[key] != nil { byKey[key] = entries.count }
            entries.append(Entry(parent: p, name: name, dir: Attributes(x)))
        case let .up(q):
            guard case .ent? = try? Key.decode(value) else {
                return problem(.treeValueMalformed, "\(k): value \(KeyRange.show(value)) is not a Kent key")
            }
            ups.append((q, value))
        case let .conf(name):
            conf.append(ConfSetting(name: name, value: value))
        case .label, .snap, .dlist:
            return problem(.treeKeyKind, "\(k) in a file tree, which holds only Kdat, Kent\(confKeys ? ", Kup and Kconf" : " and Kup")")
        }
        return nil
    }

    static let rootKey = Key.root.encode()

    /// Moves the last Kdat record's qid into `dataMax`; call before reading it.
    func flushData() {
        if let l = lastData { dataMax[l.qid] = l.max }
        lastData = nil
    }

    /// The path of entry `i`, from its parents' names (`?` where the chain breaks).
    func path(_ i: Int, dirs: [UInt64: Int]) -> String {
        var parts: [String] = []
        var e = entries[i]
        var steps = 0
        while !(e.parent == UInt64.max && e.name.isEmpty) {
            parts.append(printable(e.name))
            steps += 1
            guard steps <= entries.count, let j = dirs[e.parent] else { parts.append("?"); break }
            e = entries[j]
        }
        return "/" + parts.reversed().joined(separator: "/")
    }
}

/// Pass 4: directories (found one tree at a time during pass 3), snapshots and labels.
extension Checker {
    func checkDirectories(_ s: FileTreeState) {
        // Paths are only spelled out for a problem: building one per entry is most of the pass.
        func report(_ code: ProblemCode, _ msg: String, _ path: @autoclosure () -> String? = nil) {
            add(Problem(code, msg, path: path().map { "\(s.tree.name) \($0)" } ?? s.tree.name), pass: .directories)
        }
        let nextqid = image.superblock.nextqid, grading = image.format.grading
        s.flushData()
        checkConf(s.conf, in: s.tree.name)
        // Directories by qid: the entry their Kup names, when that entry is a directory of that qid.
        var dirs: [UInt64: Int] = [:]
        for (q, v) in s.ups {
            if let i = s.byKey[v], s.entries[i].dir.isDirectory, s.entries[i].dir.qidPath == q { dirs[q] = i; continue }
            report(.dirKupDangling, "Kup(\(q)) names \(KeyRange.show(v)), which is not directory \(q)")
        }
        let root = s.byKey[FileTreeState.rootKey]
        if root == nil { report(.dirRootMissing, "no root directory entry Kent(-1, \"\")") }
        for (i, e) in s.entries.enumerated() {
            let x = e.dir
            let isRoot = i == root
            func path() -> String { s.path(i, dirs: dirs) }
            if isRoot, !x.isDirectory { report(.dirRootMissing, "the root entry is not a directory (mode \(hex(x.mode)))", "/") }
            if !isRoot, let why = nameError(e) { report(.dirNameInvalid, why, path()) }
            if !isRoot, let code = grading.controlByteName, e.name.contains(where: { $0 < 0x20 && $0 != 0 }) {
                report(code, "name \"\(printable(e.name))\" holds a control byte", path())
            }
            if x.qidPath >= nextqid { report(.dirQidRange, "qid \(x.qidPath) is not below nextqid \(nextqid)", path()) }
            if grading.xdirFlagDefined, x.flag != 0 { report(.dirEntryInvalid, "Xdir flag is \(hex(x.flag)), not 0", path()) }
            if UInt32(x.qidType) != x.mode >> 24 { report(.dirEntryInvalid, "qid type \(hex(x.qidType)) differs from mode \(hex(x.mode)) >> 24", path()) }
            if x.isDirectory, x.length != 0 { report(.dirEntryInvalid, "directory has length \(x.length)", path()) }
            if x.isDirectory, s.dataMax[x.qidPath] != nil { report(.dirEntryInvalid, "directory has Kdat data blocks", path()) }
            if !isRoot, dirs[e.parent] == nil {
                report(.dirParentMissing, "parent qid \(e.parent == UInt64.max ? "-1" : String(e.parent)) is not a directory with a Kup", path())
            }
            if x.isDirectory, dirs[x.qidPath] != i {
                report(.dirKupMissing, "directory qid \(x.qidPath) has no Kup naming it", path())
            }
            if x.isDirectory { qidsSeen.dirs.insert(x.qidPath) } else { qidsSeen.files.insert(x.qidPath) }
        }
        // Kdat keys of no file, or past a file's length: left behind by gefs itself (warnings).
        // Entries by qid, equal qids in entry order, merged with the Kdat qids in order: no
        // dictionary over every file, and no scan of the entries per orphan.
        let byQid = s.entries.indices.sorted { (s.entries[$0].dir.qidPath, $0) < (s.entries[$1].dir.qidPath, $1) }
        checkDuplicateQids(s, byQid: byQid, dirs: dirs)
        var k = 0
        for (q, off) in s.dataMax.sorted(by: { $0.key < $1.key }) {
            while k < byQid.count, s.entries[byQid[k]].dir.qidPath < q { k += 1 }
            var file: Int?, any = false
            while k < byQid.count, s.entries[byQid[k]].dir.qidPath == q {
                any = true
                if !s.entries[byQid[k]].dir.isDirectory { file = byQid[k] }
                k += 1
            }
            guard let i = file else {
                if any { continue }  // a directory: reported above
                report(.dataOrphan, "Kdat(\(q), \(hex(off))): no file has qid \(q)")
                continue
            }
            let len = s.entries[i].dir.length
            if off >= len { report(.dataOrphan, "Kdat(\(q), \(hex(off))) lies at or past the file's length \(len)", s.path(i, dirs: dirs)) }
        }
    }

    func nameError(_ e: FileTreeState.Entry) -> String? {
        if e.parent == UInt64.max { return "only the root may have parent -1" }
        switch NameFault(e.name) {
        case nil: return nil
        case .empty: return "empty name"
        case let .tooLong(n): return "name of \(n) bytes is longer than \(Format.nameMax)"
        case .nul: return "name holds a NUL byte"
        case .slash: return "name holds a '/'"
        case .dots: return "name is \"\(printable(e.name))\""
        }
    }

    // MARK: Deadlists (§9.6)

    /// Walks one deadlist chain: marks its blocks and listed addresses, and checks the rules of
    /// §9.6 (`killer` nil for the snapshot tree's own deadlist, exempt from the last two).
    func checkDeadlist(_ ref: DeadlistRef, name: String, killer: DeadlistEntry?) {
        guard !ref.head.isNull || !ref.tail.isNull else { return }
        verbose?("\(name): head \(hex(ref.head.addr)), tail \(hex(ref.tail.addr))")
        var killerTree: TreeRecord?
        if let d = killer {
            let gen = Int64(bitPattern: d.gen), bgen = Int64(bitPattern: d.bgen)
            let nextgen = image.superblock.nextgen
            if d.gen >= nextgen || d.bgen >= nextgen {
                add(Problem(.snapGenRange, "generations must be below nextgen \(nextgen)", path: name), pass: .directories)
            }
            if let s = contents.snapshot(gen) {
                killerTree = s
                if !(s.base < bgen && bgen <= s.pred) {
                    add(Problem(image.format.grading.deadlistGen, "bgen \(bgen) is outside base \(s.base) < bgen <= pred \(s.pred) of snapshot \(gen)", path: name))
                }
            } else {
                add(Problem(image.format.grading.deadlistGen, "no snapshot has gen \(gen)", path: name))
            }
        }
        if !ref.head.isNull { checkGen(ref.head, of: nil, from: "\(name) head") }
        let complete = reader.walkDeadlist(ref, name: name, block: { bp, blk in
            if bp.addr != ref.head.addr { checkGen(bp, of: nil, from: "\(name) chain") }
            if mark(bp.addr, .deadlist, from: name) { tick() }
            for a in blk.addresses { checkDeadAddress(a, name: name, killer: killerTree) }
        }, problem: { add($0) })
        if !complete { incomplete("\(name) cannot be read whole") }
    }

    func checkDeadAddress(_ a: Int64, name: String, killer: TreeRecord?) {
        guard a % Format.blockSize64 == 0, image.arena(containing: a) != nil else {
            add(Problem(.deadlistAddressInvalid, "lists \(hex(a)), not a block of any arena's allocatable region", block: a, path: name))
            return
        }
        guard mark(a, .dead, from: name) else {
            add(Problem(.deadlistAddressDuplicate, "lists \(hex(a)), which a deadlist already lists", block: a, path: name))
            return
        }
        guard let killer else { return }
        let i = listedIndex(a)
        if let i, deadLive[i], deadKiller[i] == killer.gen {
            add(Problem(.deadlistAddressLive, "lists \(hex(a)), which snapshot \(killer.gen) still reaches", block: a, path: name))
        } else if !(i.map { deadMinGen[$0] < killer.gen } ?? false) {
            add(Problem(.deadlistReclaimable, "lists \(hex(a)), which no older snapshot reaches", block: a, path: name))
        }
    }

    // MARK: Snapshots and labels

    func checkSnapshots() {
        let nextgen = image.superblock.nextgen
        let gens = Set(contents.snapshots.map(\.gen))
        // Counted once for all: per snapshot, tens of thousands of them would be quadratic.
        let preds = contents.predCounts, labels = contents.labelsByGen, grading = image.format.grading
        checkConf(contents.conf, in: "snapshot tree")
        for s in contents.snapshots {
            let name = "snapshot \(s.gen)"
            if s.flag != 0 { add(Problem(.snapRecordInvalid, "flag is \(hex(s.flag)), not 0", path: name)) }
            if !(1...UInt32(Format.maxTreeHeight)).contains(s.height) {
                add(Problem(.snapRecordInvalid, "height \(s.height) outside 1...\(Format.maxTreeHeight)", path: name))
            }
            if s.gen < 0 || UInt64(s.gen) >= nextgen { add(Problem(.snapGenRange, "gen is not below nextgen \(nextgen)", path: name)) }
            for (what, link) in [("pred", s.pred), ("succ", s.succ)] where link != Format.none && !gens.contains(link) {
                add(Problem(.snapLinkDangling, "\(what) \(link) names no snapshot", path: name))
            }
            if s.pred == s.gen, !(grading.genZeroSelfPred && s.gen == 0) {
                add(Problem(.snapLinkDangling, "pred names the record itself", path: name))
            }
            // nref counts the other snapshots derived from this one (ream's `empty` names itself).
            let nref = (preds[s.gen] ?? 0) - (s.pred == s.gen ? 1 : 0)
            if nref != Int(s.nref) {
                add(Problem(Int(s.nref) > nref ? grading.nrefTooHigh : .snapNrefMismatch,
                            "nref is \(s.nref), \(nref) snapshots have it as pred", path: name))
            }
            let nlbl = labels[s.gen]?.count ?? 0
            if nlbl != Int(s.nlbl) { add(Problem(.snapNlblMismatch, "nlbl is \(s.nlbl), \(nlbl) labels name it", path: name)) }
        }
        for l in contents.labels {
            let name = "label \"\(l.text)\""
            if !gens.contains(Int64(bitPattern: l.value.gen)) {
                add(Problem(.labelDangling, "names snapshot \(l.value.gen), which does not exist", path: name))
            }
            let flags = l.value.flags
            if flags & ~(grading.labelFlags | grading.labelFlagsDeprecated) != 0 {
                add(Problem(grading.labelFlagUnknown, "flags \(hex(flags)) carry unknown bits", path: name))
            }
            if let code = grading.labelFlagDeprecated, flags & grading.labelFlagsDeprecated != 0 {
                add(Problem(code, "flags \(hex(flags)) carry deprecated bits \(hex(flags & grading.labelFlagsDeprecated))", path: name))
            }
            if l.name.isEmpty || l.name.contains(0) { add(Problem(.labelInvalid, "a label name is 1 to 255 bytes without NUL", path: name)) }
        }
        summary.snapshots = contents.snapshots.count
        summary.labels = contents.labels.count
        summary.files = qidsSeen.files.count
        summary.directories = qidsSeen.dirs.count
    }
}
