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
        Problem(code, message, block: block, in: tree.name)
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
