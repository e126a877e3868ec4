/// Pass 4: one qid, one name. Two directory entries of one tree whose Xdir carries the same
/// `qid.path` make one file's data (its Kdat keys) and metadata belong to two names; Plan 9 has
/// no hard links, and gefs hands out a fresh qid for every entry it creates.
extension Checker {
    /// `byQid`: the entries' indices sorted by qid path, equal qids in entry (key) order.
    func checkDuplicateQids(_ s: FileTreeState, byQid: [Int], dirs: [UInt64: Int]) {
        var k = 0
        while k < byQid.count {
            let first = byQid[k], q = s.entries[first].dir.qidPath
            var j = k + 1
            while j < byQid.count, s.entries[byQid[j]].dir.qidPath == q {
                let other = byQid[j]
                add(Problem(.dirQidDuplicate, "qid \(q) is also the qid of \(s.path(first, dirs: dirs)): one file's data and metadata belong to two names",
                            path: "\(s.tree.name) \(s.path(other, dirs: dirs))"), pass: .directories)
                j += 1
            }
            k = j
        }
    }
}
