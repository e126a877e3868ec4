/// Pass 1: superblocks and arenas (FORMAT.md §5–§7). Input: the image, whose opening already
/// chose the superblock and each arena's copy and noted what it found; output: those problems
/// and those of the superblock's `snapdl`.
struct Pass1Superblocks {
    unowned let checker: Checker
    var image: Image { checker.image }

    func run() {
        for q in image.problems { checker.add(q, pass: .superblocks) }
        checkSnapdl()
    }

    /// The superblock's `snapdl` (§6, §9.6). Its two ends are both blocks or both none: an empty
    /// snapdl has addresses −1 and hashes 0. One end −1 and the other not leaves the chain
    /// without a head or a tail; both −1 with a hash is not the empty value.
    func checkSnapdl() {
        let sb = image.superblock
        let (hd, tl) = (sb.snapdlHead, sb.snapdlTail)
        // The current copy's block (both copies hold the same fields unless pass 1 says otherwise).
        let addr = (image.currentSlot == .sb0 ? image.sb0 : image.sb1).addr
        func report(_ why: String) {
            checker.add(Problem(.superblockSnapdlInvalid, "snapdl \(why)", block: addr), pass: .superblocks)
        }
        switch (hd.isNull, tl.isNull) {
        case (true, false): report("head is -1 but its tail is \(hex(tl.addr)): the chain has no head")
        case (false, true): report("tail is -1 but its head is \(hex(hd.addr)): the chain has no tail")
        case (true, true):
            // gefs9.00 writes −1 there and accepts anything (FORMAT-9FRONT.md §14).
            guard let want = image.format.grading.emptySnapdlHash, hd.hash != want || tl.hash != want else { break }
            report("is empty (head and tail -1) but carries hashes \(hex(hd.hash)) and \(hex(tl.hash)), not \(want)")
        default: break
        }
    }
}
