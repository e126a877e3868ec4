/// What one file tree's logical records say, checked as they stream past in key order: Kdat
/// keys by qid, then Kent keys by parent and name, then Kup, then Kconf. Per file, only the
/// highest Kdat offset of its qid (delta-encoded, `DataMaxima`) and its qid's bits (`QidSets`)
/// are kept; each file entry is checked as it arrives. Kept whole: the entries that are
/// directories (and the root's, and any sharing a key with one), one run per parent, the Kup
/// values, the Kconf settings, and the problems, each with its entry's parent and name so that
/// its path is spelled out once the directories are known.
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
    /// An entry: a Kent record with an Xdir; `ordinal` counts them in key order.
    struct Entry { var ordinal: Int; var parent: UInt64; var name: [UInt8]; var dir: Attributes }
    /// A problem of one entry, filed once its path is known; `step` orders one entry's problems.
    struct EntryProblem {
        var ordinal: Int, step: Int
        var code: ProblemCode, message: String
        var parent: UInt64, name: [UInt8]
        var isRoot = false
    }
    /// The entries kept whole: directories, the root key's, and those of a key that one of
    /// them has (a Kup may name them).
    var kept: [Entry] = []
    /// Kent key → index in `kept` (the last entry of that key).
    var byKey: [[UInt8]: Int] = [:]
    /// Kup(qid) → its value (the directory's Kent key).
    var ups: [(qid: UInt64, value: [UInt8])] = []
    /// Highest Kdat offset of each qid, as of the last `flushData`.
    var dataMax = DataMaxima()
    /// The qid of the last Kdat record and its highest offset so far, not yet in `dataMax`.
    var lastData: (qid: UInt64, max: UInt64)?
    /// Data blocks named by a logical Kdat value of this tree.
    var named: BlockBitmap
    /// The tree's Kconf settings (gefs9.00).
    var conf: [ConfSetting] = []
    /// Entries so far.
    var entryCount = 0
    /// Runs of consecutive entries with one parent (one per directory in key order).
    var runs: [(parent: UInt64, first: Int, count: Int)] = []
    /// Problems of the entries not kept, found as they arrived.
    var entryProblems: [EntryProblem] = []
    /// Per qid, a file entry whose length its highest Kdat offset reaches (the last such).
    var pastLength: [UInt64: EntryProblem] = [:]
    /// A Kdat record came after a Kent record (keys out of order): the length checks are redone.
    var dataAfterEntries = false
    let nextqid: UInt64
    let grading: Grading
    let qids: QidSets

    init(tree: TreeRoot, blockCount: Int, nextqid: UInt64, grading: Grading, qids: QidSets) {
        self.tree = tree
        named = BlockBitmap(start: 0, count: blockCount)
        self.nextqid = nextqid
        self.grading = grading
        self.qids = qids
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
            if entryCount > 0 { dataAfterEntries = true }
            if lastData?.qid == q { lastData!.max = max(lastData!.max, off) } else {
                flushData()
                lastData = (q, off)
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
            flushData()
            let e = Entry(ordinal: entryCount, parent: p, name: name, dir: Attributes(x))
            entryCount += 1
            if let last = runs.last, last.parent == p, last.first + last.count == e.ordinal {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((p, e.ordinal, 1))
            }
            qids.insert(x.qidPath, directory: x.isDirectory)
            dataMax.match(x.qidPath)
            if x.isDirectory || key == FileTreeState.rootKey || byKey[key] != nil {
                byKey[key] = kept.count
                kept.append(e)
            } else {
                checkFile(e)
            }
        case let .up(q):
            guard case .ent? = try? Key.decode(value) else {
                return problem(.treeValueMalformed, "\(k): value \(KeyRange.show(value)) is not a Kent key")
            }
            ups.append((q, value))
        case let .conf(name):
            conf.append(ConfSetting(name: name, value: value))
        case .label, .snap, .dlist:
            return problem(.treeKeyKind, "\(k) in a file tree, which holds only Kdat, Kent\(grading.confKeys ? ", Kup and Kconf" : " and Kup")")
        }
        return nil
    }

    static let rootKey = Key.root.encode()

    /// Moves the last Kdat record's qid into `dataMax`; call before reading it.
    func flushData() {
        if let l = lastData { dataMax.add(l.qid, l.max) }
        lastData = nil
    }

    /// The checks of one entry that need nothing but itself (`isRoot`: it is the root entry),
    /// in the order they are reported; `step` 9 and 10 (parent, Kup) need the directories.
    func ownProblems(_ e: Entry, isRoot: Bool) -> [EntryProblem] {
        var out: [EntryProblem] = []
        func note(_ step: Int, _ code: ProblemCode, _ message: String) {
            out.append(EntryProblem(ordinal: e.ordinal, step: step, code: code, message: message, parent: e.parent, name: e.name, isRoot: isRoot))
        }
        let x = e.dir
        if isRoot, !x.isDirectory { note(1, .dirRootMissing, "the root entry is not a directory (mode \(hex(x.mode)))") }
        if !isRoot, let why = FileTreeState.nameError(e) { note(2, .dirNameInvalid, why) }
        if !isRoot, let code = grading.controlByteName, e.name.contains(where: { $0 < 0x20 && $0 != 0 }) {
            note(3, code, "name \"\(printable(e.name))\" holds a control byte")
        }
        if x.qidPath >= nextqid { note(4, .dirQidRange, "qid \(x.qidPath) is not below nextqid \(nextqid)") }
        if grading.xdirFlagDefined, x.flag != 0 { note(5, .dirEntryInvalid, "Xdir flag is \(hex(x.flag)), not 0") }
        if UInt32(x.qidType) != x.mode >> 24 { note(6, .dirEntryInvalid, "qid type \(hex(x.qidType)) differs from mode \(hex(x.mode)) >> 24") }
        if x.isDirectory, x.length != 0 { note(7, .dirEntryInvalid, "directory has length \(x.length)") }
        if x.isDirectory, dataMax.max(x.qidPath) != nil { note(8, .dirEntryInvalid, "directory has Kdat data blocks") }
        return out
    }

    /// A file entry not kept: checked now, with its length against its Kdat keys.
    func checkFile(_ e: Entry) {
        entryProblems += ownProblems(e, isRoot: false)
        checkLength(e)
    }

    /// Notes whether a file's Kdat keys reach past its length.
    func checkLength(_ e: Entry) {
        if let off = dataMax.max(e.dir.qidPath), off >= e.dir.length {
            pastLength[e.dir.qidPath] = EntryProblem(ordinal: e.ordinal, step: 0, code: .dataOrphan,
                message: "Kdat(\(e.dir.qidPath), \(hex(off))) lies at or past the file's length \(e.dir.length)", parent: e.parent, name: e.name)
        } else {
            pastLength[e.dir.qidPath] = nil
        }
    }

    /// The path of an entry of parent `parent` and name `name`, from its parents' names (`?`
    /// where the chain breaks); `dirs`: directory qid → index in `kept`.
    func path(parent: UInt64, name: [UInt8], dirs: [UInt64: Int]) -> String {
        var parts: [String] = []
        var p = parent, n = name
        var steps = 0
        while !(p == UInt64.max && n.isEmpty) {
            parts.append(printable(n))
            steps += 1
            guard steps <= entryCount, let j = dirs[p] else { parts.append("?"); break }
            p = kept[j].parent; n = kept[j].name
        }
        return "/" + parts.reversed().joined(separator: "/")
    }

    static func nameError(_ e: Entry) -> String? {
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
}

/// Pass 4: directories (found one tree at a time during pass 3), snapshots and labels.
extension Checker {
    func checkDirectories(_ s: FileTreeState) {
        func report(_ code: ProblemCode, _ msg: String, _ path: String? = nil) {
            add(Problem(code, msg, path: path.map { "\(s.tree.name) \($0)" } ?? s.tree.name))
        }
        s.flushData()
        let duplicates = s.qids.endTree(count: true)
        checkConf(s.conf, in: s.tree.name)
        // Directories by qid: the entry their Kup names, when that entry is a directory of that qid.
        var dirs: [UInt64: Int] = [:]
        for (q, v) in s.ups {
            if let i = s.byKey[v], s.kept[i].dir.isDirectory, s.kept[i].dir.qidPath == q { dirs[q] = i; continue }
            report(.dirKupDangling, "Kup(\(q)) names \(KeyRange.show(v)), which is not directory \(q)")
        }
        let root = s.byKey[FileTreeState.rootKey]
        if root == nil { report(.dirRootMissing, "no root directory entry Kent(-1, \"\")") }
        // The kept entries' checks, now that the root is known; then the parents of every entry.
        var problems = s.entryProblems
        s.entryProblems = []
        var keptOrdinals = Set<Int>()
        for (i, e) in s.kept.enumerated() {
            keptOrdinals.insert(e.ordinal)
            let isRoot = i == root
            problems += s.ownProblems(e, isRoot: isRoot)
            if !e.dir.isDirectory { s.checkLength(e) }
            if !isRoot, dirs[e.parent] == nil {
                problems.append(.init(ordinal: e.ordinal, step: 9, code: .dirParentMissing,
                                      message: parentMissing(e.parent), parent: e.parent, name: e.name))
            }
            if e.dir.isDirectory, dirs[e.dir.qidPath] != i {
                problems.append(.init(ordinal: e.ordinal, step: 10, code: .dirKupMissing,
                                      message: "directory qid \(e.dir.qidPath) has no Kup naming it", parent: e.parent, name: e.name, isRoot: isRoot))
            }
        }
        // The files under a parent that is not a directory: their names are read again.
        var orphanedRuns: [(first: Int, count: Int)] = []
        for r in s.runs where dirs[r.parent] == nil && !(r.first ..< r.first + r.count).allSatisfy(keptOrdinals.contains) {
            orphanedRuns.append((r.first, r.count))
        }
        let second = (!orphanedRuns.isEmpty || !duplicates.isEmpty || s.dataAfterEntries)
            ? secondLook(s, runs: orphanedRuns, skip: keptOrdinals, duplicates: duplicates) : nil
        if let second {
            for e in second.orphaned {
                problems.append(.init(ordinal: e.ordinal, step: 9, code: .dirParentMissing,
                                      message: parentMissing(e.parent), parent: e.parent, name: e.name))
            }
        }
        problems.sort { ($0.ordinal, $0.step) < ($1.ordinal, $1.step) }
        for p in problems {
            report(p.code, p.message, p.isRoot ? "/" : s.path(parent: p.parent, name: p.name, dirs: dirs))
        }
        // Two entries of one qid.
        if let second {
            for q in duplicates.sorted() {
                guard let all = second.byQid[q], let first = all.first else { continue }
                for other in all.dropFirst() {
                    add(Problem(.dirQidDuplicate, "qid \(q) is also the qid of \(s.path(parent: first.parent, name: first.name, dirs: dirs)): one file's data and metadata belong to two names",
                                path: "\(s.tree.name) \(s.path(parent: other.parent, name: other.name, dirs: dirs))"))
                }
            }
        }
        // Kdat keys of no file, or past a file's length: left behind by gefs itself (warnings).
        s.dataMax.forEach { q, off, matched in
            if let second, duplicates.contains(q) || s.dataAfterEntries {
                let all = second.byQid[q] ?? []
                guard let f = all.last(where: { !$0.dir.isDirectory }) else {
                    if all.isEmpty { report(.dataOrphan, "Kdat(\(q), \(hex(off))): no file has qid \(q)") }
                    return  // a directory: reported above
                }
                let len = f.dir.length
                if off >= len { report(.dataOrphan, "Kdat(\(q), \(hex(off))) lies at or past the file's length \(len)", s.path(parent: f.parent, name: f.name, dirs: dirs)) }
                return
            }
            guard matched else {
                report(.dataOrphan, "Kdat(\(q), \(hex(off))): no file has qid \(q)")
                return
            }
            if let p = s.pastLength[q] { report(p.code, p.message, s.path(parent: p.parent, name: p.name, dirs: dirs)) }
        }
    }

    func parentMissing(_ parent: UInt64) -> String {
        "parent qid \(parent == UInt64.max ? "-1" : String(parent)) is not a directory with a Kup"
    }

    /// What a second walk of a tree's Kent records finds for the few problems that need more than
    /// was kept: the entries (not kept) in `runs`, and every entry of a duplicated qid (or, keys
    /// being out of order, of every qid with Kdat keys), in key order.
    func secondLook(_ s: FileTreeState, runs: [(first: Int, count: Int)], skip: Set<Int>, duplicates: Set<UInt64>)
        -> (orphaned: [FileTreeState.Entry], byQid: [UInt64: [FileTreeState.Entry]]) {
        var orphaned: [FileTreeState.Entry] = [], byQid: [UInt64: [FileTreeState.Entry]] = [:]
        var ordinal = 0, r = 0
        let image = self.image
        reader.walk(s.tree, follow: { bp, _ in image.arena(containing: bp.addr) != nil && bp.addr % Format.blockSize64 == 0 },
                    record: { k, v in
            guard k.first == KeyKind.ent.rawValue, case let .ent(p, name)? = try? Key.decode(k), let x = try? Xdir.decode(v) else { return true }
            let e = FileTreeState.Entry(ordinal: ordinal, parent: p, name: name, dir: .init(x))
            ordinal += 1
            while r < runs.count, runs[r].first + runs[r].count <= e.ordinal { r += 1 }
            if r < runs.count, runs[r].first <= e.ordinal, !skip.contains(e.ordinal) { orphaned.append(e) }
            if duplicates.contains(x.qidPath) || (s.dataAfterEntries && s.dataMax.max(x.qidPath) != nil) {
                byQid[x.qidPath, default: []].append(e)
            }
            return true
        }, problem: { _ in })
        return (orphaned, byQid)
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
                add(Problem(.snapGenRange, "generations must be below nextgen \(nextgen)", path: name))
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
        summary.files = qids?.fileCount ?? 0
        summary.directories = qids?.directoryCount ?? 0
    }
}
