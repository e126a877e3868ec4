/// The highest Kdat offset of each qid of one file tree, for the directory checks: records come
/// in key order, so qids arrive ascending and are kept delta-encoded (LEB128 varints of the qid
/// step and the offset: two bytes for a one-block file), with one index entry per 64 runs for
/// lookups by qid and one bit per run for "some entry has this qid". A qid that arrives out of
/// order (a tree whose keys are not sorted) goes to a small dictionary beside.
struct DataMaxima {
    static let stride = 64
    private var bytes: [UInt8] = []
    /// The qid and byte offset of every `stride`-th run.
    private var index: [(qid: UInt64, offset: Int)] = []
    private(set) var count = 0
    private var last: UInt64 = 0
    private var matched: [UInt64] = []
    private var extra: [UInt64: UInt64] = [:]
    private var extraMatched: Set<UInt64> = []

    var isEmpty: Bool { count == 0 && extra.isEmpty }

    private mutating func put(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    private func get(_ o: inout Int) -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = bytes[o]; o += 1
            v |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// Adds qid `q`'s highest offset (every offset of `q` at once, when keys come in order).
    mutating func add(_ q: UInt64, _ off: UInt64) {
        if count > 0, q <= last {
            extra[q] = Swift.max(extra[q] ?? 0, off)
            return
        }
        if count % DataMaxima.stride == 0 {
            index.append((q, bytes.count))
            matched.append(0)
            put(0)
        } else {
            put(q - last)
        }
        put(off)
        last = q
        count += 1
    }

    /// The run of `q` in the encoded part, and its offset.
    private func find(_ q: UInt64) -> (run: Int, off: UInt64)? {
        var lo = 0, hi = index.count
        while lo < hi {
            let m = (lo + hi) / 2
            if index[m].qid <= q { lo = m + 1 } else { hi = m }
        }
        guard lo > 0 else { return nil }
        let block = lo - 1
        var o = index[block].offset, qid = index[block].qid
        let end = Swift.min(count, (block + 1) * DataMaxima.stride)
        for run in block * DataMaxima.stride ..< end {
            qid &+= get(&o)
            let off = get(&o)
            if qid == q { return (run, off) }
            if qid > q { return nil }
        }
        return nil
    }

    /// The highest Kdat offset of `q`, nil when it has none.
    func max(_ q: UInt64) -> UInt64? {
        let a = find(q)?.off, b = extra[q]
        guard let a else { return b }
        guard let b else { return a }
        return Swift.max(a, b)
    }

    /// Notes that an entry has qid `q`.
    mutating func match(_ q: UInt64) {
        if let r = find(q) { matched[r.run >> 6] |= 1 << UInt64(r.run & 63) }
        if extra[q] != nil { extraMatched.insert(q) }
    }

    mutating func clearMatches() {
        for i in matched.indices { matched[i] = 0 }
        extraMatched = []
    }

    /// Every qid with its highest offset and whether an entry has it, qids ascending.
    func forEach(_ body: (_ qid: UInt64, _ off: UInt64, _ matched: Bool) -> Void) {
        let extras = extra.keys.sorted()
        var e = 0, o = 0, qid: UInt64 = 0
        for run in 0..<count {
            if run % DataMaxima.stride == 0 { qid = index[run / DataMaxima.stride].qid; _ = get(&o) } else { qid &+= get(&o) }
            var off = get(&o)
            var hit = matched[run >> 6] & (1 << UInt64(run & 63)) != 0
            while e < extras.count, extras[e] < qid { body(extras[e], extra[extras[e]]!, extraMatched.contains(extras[e])); e += 1 }
            if e < extras.count, extras[e] == qid {
                off = Swift.max(off, extra[qid]!); hit = hit || extraMatched.contains(qid); e += 1
            }
            body(qid, off, hit)
        }
        while e < extras.count { body(extras[e], extra[extras[e]]!, extraMatched.contains(extras[e])); e += 1 }
    }
}

/// A set of qids below a limit, one bit each, grown as higher qids arrive.
struct QidBits {
    private(set) var words: [UInt64] = []

    /// Sets `q`'s bit; returns whether it was set already.
    @discardableResult
    mutating func insert(_ q: UInt64) -> Bool {
        let w = Int(q >> 6), bit: UInt64 = 1 << (q & 63)
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: Swift.max(w + 1 - words.count, words.count / 2))) }
        let was = words[w] & bit != 0
        words[w] |= bit
        return was
    }

    func contains(_ q: UInt64) -> Bool {
        let w = Int(q >> 6)
        return w < words.count && words[w] & (1 << (q & 63)) != 0
    }

    mutating func formUnion(_ o: QidBits) {
        if words.count < o.words.count { words.append(contentsOf: repeatElement(0, count: o.words.count - words.count)) }
        for i in o.words.indices where o.words[i] != 0 { words[i] |= o.words[i] }
    }

    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    mutating func removeAll() {
        words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// The qids of the directory entries: of every file tree checked whole, as files and as
/// directories, for the summary's distinct counts; and of the tree being checked, for
/// duplicates. Qids below `QidSets.bitLimit` (and below nextqid) take one bit per qid in each
/// of four bitmaps (at most 16 MiB in all); others, which only an image that handed out more
/// than 32 Mi qids has, are kept in an array per tree and sets over all trees.
final class QidSets {
    static let bitLimit: UInt64 = 1 << 25
    let limit: UInt64
    var files = QidBits(), dirs = QidBits(), treeFiles = QidBits(), treeDirs = QidBits()
    var filesAbove: Set<UInt64> = [], dirsAbove: Set<UInt64> = []
    var treeAbove: [(qid: UInt64, directory: Bool)] = []
    var duplicates: Set<UInt64> = []

    init(nextqid: UInt64) { limit = Swift.min(nextqid, QidSets.bitLimit) }

    func insert(_ q: UInt64, directory: Bool) {
        if q < limit {
            let was = directory ? treeDirs.insert(q) || treeFiles.contains(q) : treeFiles.insert(q) || treeDirs.contains(q)
            if was { duplicates.insert(q) }
        } else {
            treeAbove.append((q, directory))
        }
    }

    /// Ends the tree being checked: returns the qids that more than one of its entries has, and
    /// counts its qids when `count` (a tree read whole).
    func endTree(count: Bool) -> Set<UInt64> {
        treeAbove.sort { $0.qid < $1.qid }
        for i in treeAbove.indices.dropFirst() where treeAbove[i].qid == treeAbove[i - 1].qid { duplicates.insert(treeAbove[i].qid) }
        if count {
            files.formUnion(treeFiles)
            dirs.formUnion(treeDirs)
            for (q, d) in treeAbove { if d { dirsAbove.insert(q) } else { filesAbove.insert(q) } }
        }
        let d = duplicates
        duplicates = []
        treeAbove = []
        treeFiles.removeAll()
        treeDirs.removeAll()
        return d
    }

    var fileCount: Int { files.count + filesAbove.count }
    var directoryCount: Int { dirs.count + dirsAbove.count }
}
