/// What the genuine 9front ream writes (FORMAT-9FRONT.md §11), as values: every arena with
/// ream's log and allocations, and ream's four tree blocks. Ream's output depends only on the
/// layout and the user: the same inputs give the same bytes, and these are the bytes of
/// `../shared/samples/9front/ream.img` for 136 MiB and `glenda`.
public struct Ream9 {
    public let layout: Layout9
    public let user: String
    /// Every arena after ream's allocations (§11: `M`, `A`, `S` in arena 0, `U` in arena 1).
    public internal(set) var arenas: [Arena9Log]
    /// main's (and empty's) root leaf `M`, adm's root leaf `A`, the users block `U`, the
    /// snapshot-tree leaf `S`: addresses and ream's contents.
    public let main: (addr: Int64, block: [UInt8])
    public let adm: (addr: Int64, block: [UInt8])
    public let users: (addr: Int64, block: [UInt8])
    public let snapAddr: Int64

    static let format = Gefs9Format()
    /// Generations of ream's three snapshots, and the next one.
    public static let emptyGen: Int64 = 0, admGen: Int64 = 1, mainGen: Int64 = 2
    public static let nextgen: UInt64 = 3
    /// Qids of main's root, adm's root, the users file; populated files start at `firstQid`.
    public static let mainRootQid: UInt64 = 0, admRootQid: UInt64 = 1, usersQid: UInt64 = 2, firstQid: UInt64 = 3

    /// Ream's state for `layout`, every arena keeping `spare` blocks beyond the genuine
    /// allocator's reserve for later allocations (§11).
    public init(layout: Layout9, user: String, spare: Int) {
        self.layout = layout
        self.user = user
        let B = Format.blockSize64
        var arenas = (0..<layout.narena).map { Arena9Log(index: $0, header: layout.header($0), size: layout.arenaSize, spare: spare) }
        let top = layout.header(0) + layout.arenaSize
        let M = top - B, A = top - 2 * B, S = top - 3 * B
        let U = layout.header(1) + 3 * B
        // Ream's order: M, A (arena 0), U (arena 1), S (arena 0).
        arenas[0].reamAllocate(M)
        arenas[0].reamAllocate(A)
        arenas[1].reamAllocate(U)
        arenas[0].reamAllocate(S)
        self.arenas = arenas

        let text = Array("-1:adm::\(user)\n0:none::\n1:\(user):\(user):\n".utf8)
        var usersBlock = [UInt8].zeroBlock()
        usersBlock.replaceSubrange(0..<text.count, with: text)
        users = (U, usersBlock)
        let usersBp = BlockPointer(addr: U, hash: Ream9.format.hash(usersBlock), gen: 0)
        main = (M, Node(kind: .leaf, records: [Ream9.rootEntry(qid: Ream9.mainRootQid), Ream9.up(Ream9.mainRootQid, .root)]).encodeBlock())
        var ptr = ByteWriter(capacity: Format.pointerSize)
        usersBp.encode(into: &ptr)
        let usersEntry = Xdir(qidPath: Ream9.usersQid, mode: 0o664, atime: 0, mtime: 0, length: UInt64(text.count),
                              uid: -1, gid: -1, muid: 0)
        adm = (A, Node(kind: .leaf, records: [
            Record(key: Key.dat(qid: Ream9.usersQid, offset: 0).encode(), value: ptr.bytes),
            Record(key: Key.ent(parent: Ream9.admRootQid, name: Array("users".utf8)).encode(), value: usersEntry.encode()),
            Ream9.rootEntry(qid: Ream9.admRootQid),
            Ream9.up(Ream9.admRootQid, .root),
        ]).encodeBlock())
        snapAddr = S
    }

    /// A root directory's entry as ream writes it: `Kent(−1, "")` → qid (`qid`, 0, QTDIR), mode
    /// DMDIR|0775, times `time`, uid and gid −1 (adm), muid 0.
    static func rootEntry(qid: UInt64, time: Int64 = 0) -> Record {
        let x = Xdir(qidPath: qid, mode: Mode.dir | 0o775, atime: time, mtime: time, uid: -1, gid: -1, muid: 0)
        return Record(key: Key.root.encode(), value: x.encode())
    }

    static func up(_ qid: UInt64, _ key: Key) -> Record { Record(key: Key.up(qid: qid).encode(), value: key.encode()) }

    public var mainPointer: BlockPointer { BlockPointer(addr: main.addr, hash: Ream9.format.hash(main.block), gen: 0) }
    public var admPointer: BlockPointer { BlockPointer(addr: adm.addr, hash: Ream9.format.hash(adm.block), gen: 0) }

    /// The snapshot-tree leaf `S`: the labels and the three Ksnap records of §11, with main's
    /// tree as given (ream's: `M`, height 1, gen 0; a populate's: its own tree of gen 2).
    public func snapshotLeaf(main root: BlockPointer, height: Int) -> [UInt8] {
        func label(_ name: String, _ gen: Int64, _ flags: UInt32) -> Record {
            Record(key: Key.label(name: Array(name.utf8)).encode(), value: LabelValue(gen: UInt64(gen), flags: flags).encode())
        }
        func snap(_ gen: Int64, nref: UInt32, succ: Int64, height: Int, root: BlockPointer) -> Record {
            let t = TreeRecord(nref: nref, nlbl: 1, height: UInt32(height), gen: gen, pred: Ream9.emptyGen, succ: succ,
                               base: 0, root: root)
            return Record(key: Key.snap(gen: UInt64(gen)).encode(), value: t.encode())
        }
        return Node(kind: .leaf, records: [
            label("adm", Ream9.admGen, LabelValue.mutable),
            label("empty", Ream9.emptyGen, 0),
            label("main", Ream9.mainGen, LabelValue.mutable),
            snap(Ream9.emptyGen, nref: 2, succ: Ream9.mainGen, height: 1, root: mainPointer),
            snap(Ream9.admGen, nref: 0, succ: Format.none, height: 1, root: admPointer),
            snap(Ream9.mainGen, nref: 0, succ: Format.none, height: height, root: root),
        ]).encodeBlock()
    }
}
