/// One directory a census kept: what the populate's later passes need of it.
public struct CensusDirectory: Equatable, Sendable {
    /// How many entries of a directory have names of one length.
    public struct LengthRun: Equatable, Sendable {
        public var length: Int
        public var count: Int
    }

    public var qid: UInt64
    /// The qid of the directory holding it (`UInt64.max` for the root).
    public var parent: UInt64
    public var name: [UInt8]
    /// Its subtree's entries take the qids `firstChild..<end`.
    public var firstChild: UInt64
    public var end: UInt64
    /// Its entries' name lengths, ascending (the order of their keys' sizes).
    public var nameLengths: [LengthRun] = []

    /// Its key in the file tree (`Kent(−1, "")` for the root).
    public var key: Key { parent == UInt64.max ? .root : .ent(parent: parent, name: name) }
}

/// What mkgefs keeps of a host directory between its passes (FORMAT.md §11): counts, the
/// warnings, and one `CensusDirectory` per directory, never an entry per file. The later passes
/// walk the host directory again (`walk`) in the same order.
public struct HostCensus: Sendable {
    /// The host directory, as bytes.
    public let root: [UInt8]
    public let names: Populate.NameRule
    /// One line per thing skipped, in the order met.
    public internal(set) var warnings: [String] = []
    public internal(set) var nextqid: UInt64
    public internal(set) var files = 0
    /// Blocks the files span, holes included.
    public internal(set) var blocks = 0
    /// The root first, then every directory kept, in qid order.
    public internal(set) var directories: [CensusDirectory]

    struct Place: Hashable {
        var parent: UInt64
        var name: [UInt8]
    }
    /// Directories by parent and name (the root left out), as indices of `directories`.
    var index: [Place: Int] = [:]
    /// Directories the census is still adding to, innermost last, with their entries' name lengths.
    var open: [(index: Int, lengths: [Int])] = []

    init(root: [UInt8], firstQid: UInt64, names: Populate.NameRule) {
        self.root = root
        self.names = names
        nextqid = firstQid
        directories = [CensusDirectory(qid: 0, parent: UInt64.max, name: [], firstChild: firstQid, end: firstQid)]
        open = [(0, [])]
    }

    /// The populated directories (the root left out).
    public var directoryCount: Int { directories.count - 1 }

    /// Gives the next qid to a kept entry met in the census's walk and records it.
    mutating func add(path: [UInt8], name: [UInt8], parent: UInt64, status st: HostStatus) -> HostEntry {
        while let top = open.last, directories[top.index].qid != parent { close() }
        let e = HostEntry(path: path, name: name, parent: parent, qid: nextqid, status: st)
        nextqid += 1
        open[open.count - 1].lengths.append(name.count)
        if e.isDirectory {
            index[Place(parent: parent, name: name)] = directories.count
            open.append((directories.count, []))
            directories.append(CensusDirectory(qid: e.qid, parent: parent, name: name, firstChild: nextqid, end: nextqid))
        } else {
            files += 1
            blocks += e.blockCount
        }
        return e
    }

    /// Ends the innermost open directory: its subtree ends before the next qid.
    mutating func close() {
        let (i, lengths) = open.removeLast()
        directories[i].end = nextqid
        var runs: [CensusDirectory.LengthRun] = []
        for n in lengths.sorted() {
            if runs.last?.length == n { runs[runs.count - 1].count += 1 } else { runs.append(.init(length: n, count: 1)) }
        }
        directories[i].nameLengths = runs
    }

    mutating func closeAll() { while !open.isEmpty { close() } }

    /// Walks the host directory again in qid order, keeping what the census kept: `directory`
    /// gets each directory's qid and entries (names in byte order) before any of them is
    /// visited, `entry` every entry in qid order. Throws `changed` when a directory no longer
    /// holds what the census found, or the files span other blocks.
    public func walk(directory: (UInt64, [HostEntry]) throws -> Void = { _, _ in },
                     entry: (HostEntry) throws -> Void = { _ in }) throws {
        let top = try entries(of: directories[0], at: root)
        try directory(0, top)
        var stack = [(entries: top, next: 0)]
        var blocks = 0
        while let i = stack.indices.last {
            guard stack[i].next < stack[i].entries.count else {
                stack.removeLast()
                continue
            }
            let e = stack[i].entries[stack[i].next]
            stack[i].next += 1
            try entry(e)
            blocks += e.blockCount
            guard e.isDirectory, let d = index[Place(parent: e.parent, name: e.name)] else { continue }
            let inner = try entries(of: directories[d], at: e.path)
            try directory(e.qid, inner)
            stack.append((inner, 0))
        }
        guard blocks == self.blocks else {
            throw PopulateError.changed(printable(root), "its files span \(blocks) blocks, not the \(self.blocks) scanned")
        }
    }

    /// The entries of directory `d` (at host path `path`) the census kept, with their qids.
    func entries(of d: CensusDirectory, at path: [UInt8]) throws -> [HostEntry] {
        var out: [HostEntry] = []
        var qid = d.firstChild
        for name in try HostDirectory.names(path) where Populate.unholdable(name, names) == nil {
            let p = HostDirectory.join(path, name)
            let st = try HostStatus.of(p)
            var span: UInt64 = 1
            switch st.kind {
            case .directory:
                guard let k = index[Place(parent: d.qid, name: name)] else { continue }
                guard directories[k].qid == qid else { throw HostCensus.changed(path) }
                span = directories[k].end - qid
            case .regular: break
            default: continue
            }
            out.append(HostEntry(path: p, name: name, parent: d.qid, qid: qid, status: st))
            qid += span
        }
        guard qid == d.end else { throw HostCensus.changed(path) }
        return out
    }

    static func changed(_ path: [UInt8]) -> PopulateError {
        .changed(printable(path), "it holds other entries than were scanned")
    }
}
