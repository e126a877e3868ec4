/// Pass 4: directories, snapshots and labels (FORMAT.md §9.5). Input: each file tree's records,
/// fed by pass 3's walk (see `Pass3Trees`: keeping every tree's entries for a later walk would
/// cost memory per file), and the snapshot tree's contents; output: the distinct file and
/// directory qids over every tree read whole. Its problems are filed under pass 4 wherever they
/// are found, so they are printed after it.
final class Pass4Directories {
    unowned let checker: Checker
    /// The qids of the directory entries, for duplicates and the summary's counts.
    private(set) var qids: QidSets?

    init(checker: Checker) { self.checker = checker }

    var image: Image { checker.image }

    func add(_ p: Problem) { checker.add(p, pass: .directories) }

    /// The state that takes one file tree's records as pass 3 walks it.
    func startTree(_ t: TreeRoot) -> FileTreeState {
        let qids = self.qids ?? QidSets(nextqid: image.superblock.nextqid)
        self.qids = qids
        return FileTreeState(tree: t, blockCount: checker.space.blockCount, nextqid: image.superblock.nextqid,
                             grading: image.format.grading, qids: qids)
    }

    /// Ends a file tree: its directories are checked when it was read `whole`.
    func endTree(_ s: FileTreeState, whole: Bool) {
        if whole { checkDirectories(s) } else { _ = s.qids.endTree(count: false) }
    }

    func checkDirectories(_ s: FileTreeState) {
        func report(_ code: ProblemCode, _ msg: String, _ file: String? = nil) {
            add(Problem(code, msg, in: s.tree.name, file: file))
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
                                in: s.tree.name, file: s.path(parent: other.parent, name: other.name, dirs: dirs)))
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
        checker.reader.walk(s.tree, follow: { bp, _ in image.arena(containing: bp.addr) != nil && bp.addr % Format.blockSize64 == 0 },
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

    // MARK: Snapshots and labels

    /// The checks of the snapshot tree's records, once pass 3 has read them.
    func run(_ contents: SnapshotTreeContents) {
        let nextgen = image.superblock.nextgen
        let gens = Set(contents.snapshots.map(\.gen))
        // Counted once for all: per snapshot, tens of thousands of them would be quadratic.
        let preds = contents.predCounts, labels = contents.labelsByGen, grading = image.format.grading
        checkConf(contents.conf, in: "snapshot tree")
        for s in contents.snapshots {
            let name = "snapshot \(s.gen)"
            if s.flag != 0 { add(Problem(.snapRecordInvalid, "flag is \(hex(s.flag)), not 0", in: name)) }
            if !(1...UInt32(Format.maxTreeHeight)).contains(s.height) {
                add(Problem(.snapRecordInvalid, "height \(s.height) outside 1...\(Format.maxTreeHeight)", in: name))
            }
            if !image.superblock.inUse(gen: s.gen) { add(Problem(.snapGenRange, "gen is not below nextgen \(nextgen)", in: name)) }
            for (what, link) in [("pred", s.pred), ("succ", s.succ)] where link != Format.none && !gens.contains(link) {
                add(Problem(.snapLinkDangling, "\(what) \(link) names no snapshot", in: name))
            }
            if s.pred == s.gen, !(grading.genZeroSelfPred && s.gen == 0) {
                add(Problem(.snapLinkDangling, "pred names the record itself", in: name))
            }
            // nref counts the other snapshots derived from this one (ream's `empty` names itself).
            let nref = (preds[s.gen] ?? 0) - (s.pred == s.gen ? 1 : 0)
            if nref != Int(s.nref) {
                add(Problem(Int(s.nref) > nref ? grading.nrefTooHigh : .snapNrefMismatch,
                            "nref is \(s.nref), \(nref) snapshots have it as pred", in: name))
            }
            let nlbl = labels[s.gen]?.count ?? 0
            if nlbl != Int(s.nlbl) { add(Problem(.snapNlblMismatch, "nlbl is \(s.nlbl), \(nlbl) labels name it", in: name)) }
        }
        for l in contents.labels {
            let name = "label \"\(l.text)\""
            if !gens.contains(l.gen) {
                add(Problem(.labelDangling, "names snapshot \(l.value.gen), which does not exist", in: name))
            }
            let flags = l.value.flags
            if flags & ~(grading.labelFlags | grading.labelFlagsDeprecated) != 0 {
                add(Problem(grading.labelFlagUnknown, "flags \(hex(flags)) carry unknown bits", in: name))
            }
            if let code = grading.labelFlagDeprecated, flags & grading.labelFlagsDeprecated != 0 {
                add(Problem(code, "flags \(hex(flags)) carry deprecated bits \(hex(flags & grading.labelFlagsDeprecated))", in: name))
            }
            if l.name.isEmpty || l.name.contains(0) { add(Problem(.labelInvalid, "a label name is 1 to 255 bytes without NUL", in: name)) }
        }
    }
}
