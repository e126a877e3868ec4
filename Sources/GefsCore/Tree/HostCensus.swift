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
    /// Directories the census is still adding to, innermost last, with how many of their
    /// entries have names of each length.
    var open: [(index: Int, lengths: [Int: Int])] = []

    init(root: [UInt8], firstQid: UInt64, names: Populate.NameRule) {
        self.root = root
        self.names = names
        nextqid = firstQid
        directories = [CensusDirectory(qid: 0, parent: UInt64.max, name: [], firstChild: firstQid, end: firstQid)]
        open = [(0, [:])]
    }

    /// The populated directories (the root left out).
    public var directoryCount: Int { directories.count - 1 }

    /// Gives the next qid to a kept entry met in the census's walk, records it and returns
    /// the qid.
    mutating func add(name: ArraySlice<UInt8>, parent: UInt64, status st: HostStatus) -> UInt64 {
        while let top = open.last, directories[top.index].qid != parent { close() }
        let qid = nextqid
        nextqid += 1
        open[open.count - 1].lengths[name.count, default: 0] += 1
        if st.kind == .directory {
            index[Place(parent: parent, name: Array(name))] = directories.count
            open.append((directories.count, [:]))
            directories.append(CensusDirectory(qid: qid, parent: parent, name: Array(name), firstChild: nextqid, end: nextqid))
        } else {
            files += 1
            blocks += HostEntry(name: [], parent: parent, qid: qid, status: st).blockCount
        }
        return qid
    }

    /// Ends the innermost open directory: its subtree ends before the next qid.
    mutating func close() {
        let (i, lengths) = open.removeLast()
        directories[i].end = nextqid
        directories[i].nameLengths = lengths.keys.sorted().map { .init(length: $0, count: lengths[$0]!) }
    }

    mutating func closeAll() { while !open.isEmpty { close() } }

    /// Walks the host directory again in qid order, keeping what the census kept: `directory`
    /// gets each directory's qid and entries (names in byte order) before any of them is
    /// visited, `entry` every entry in qid order with the directory holding it. Throws `changed`
    /// when a directory no longer holds what the census found, or the files span other blocks.
    /// Entries are looked at by name in their open directory; memory holds the listings of the
    /// directories on the current path.
    public func walk(directory: (UInt64, HostListing) throws -> Void = { _, _ in },
                     entry: (HostEntry, HostPlace) throws -> Void = { _, _ in }) throws {
        let rootDir = try OpenHostDirectory(root)
        let top = try listing(of: directories[0], in: rootDir, at: root)
        try directory(0, top)
        var stack = [(place: HostPlace(dir: rootDir, path: root), listing: top, next: 0)]
        var blocks = 0
        while let i = stack.indices.last {
            let k = stack[i].next
            guard k < stack[i].listing.count else {
                stack.removeLast()
                continue
            }
            stack[i].next += 1
            let e = stack[i].listing.entry(k), place = stack[i].place
            try entry(e, place)
            blocks += e.blockCount
            guard e.isDirectory, let d = index[Place(parent: e.parent, name: e.name)] else { continue }
            let path = HostDirectory.join(place.path, e.name)
            let sub = try place.dir.directory(e.name[...], path: { path })
            let inner = try listing(of: directories[d], in: sub, at: path)
            try directory(e.qid, inner)
            stack.append((HostPlace(dir: sub, path: path), inner, 0))
        }
        guard blocks == self.blocks else {
            throw PopulateError.changed(printable(root), "its files span \(blocks) blocks, not the \(self.blocks) scanned")
        }
    }

    /// The entries of directory `d` (open as `dir`, at host path `path`) the census kept, with
    /// their qids.
    func listing(of d: CensusDirectory, in dir: OpenHostDirectory, at path: [UInt8]) throws -> HostListing {
        let listed = try dir.names(path: path)
        var out = HostListing(names: listed, parent: d.qid)
        out.status.reserveCapacity(listed.count)
        var qid = d.firstChild
        for i in 0..<listed.count {
            let name = listed[i]
            guard Populate.unholdable(name, names) == nil else { continue }
            let st = try dir.status(name, path: { HostDirectory.join(path, name) })
            var span: UInt64 = 1
            switch st.kind {
            case .directory:
                guard let k = index[Place(parent: d.qid, name: Array(name))] else { continue }
                guard directories[k].qid == qid else { throw HostCensus.changed(path) }
                span = directories[k].end - qid
            case .regular: break
            default: continue
            }
            out.keep(i, qid: qid, status: st)
            qid += span
        }
        guard qid == d.end else { throw HostCensus.changed(path) }
        return out
    }

    static func changed(_ path: [UInt8]) -> PopulateError {
        .changed(printable(path), "it holds other entries than were scanned")
    }
}

/// A directory's entries as a walk finds them, compactly: the directory's names in one buffer
/// (those left out too), and four words of status for each entry kept.
public struct HostListing: Sendable {
    struct Status: Sendable {
        var qid: UInt64
        var mtime: Int64
        var length: Int64
        /// Permission bits, and `Mode.dir` for a directory.
        var mode: UInt32
        /// Its name's index in `names`.
        var name: UInt32
    }
    let names: HostNames
    /// The qid of the directory.
    let parent: UInt64
    var status: [Status] = []

    init(names: HostNames, parent: UInt64) {
        self.names = names
        self.parent = parent
    }

    public var count: Int { status.count }

    /// Keeps name `i` as the next entry.
    mutating func keep(_ i: Int, qid: UInt64, status st: HostStatus) {
        let isDirectory = st.kind == .directory
        status.append(Status(qid: qid, mtime: st.mtime, length: isDirectory ? 0 : st.size,
                             mode: (isDirectory ? Mode.dir : 0) | st.permissions, name: UInt32(i)))
    }

    /// Entry `i` (entries are in byte order of names).
    public func entry(_ i: Int) -> HostEntry {
        let s = status[i]
        return HostEntry(name: Array(names[Int(s.name)]), parent: parent, qid: s.qid, isDirectory: s.mode & Mode.dir != 0,
                         permissions: s.mode & 0o777, mtime: s.mtime, length: s.length)
    }

    /// The entries' indices in the order of their keys (`HostEntry.keyOrder`: name length, then
    /// name bytes).
    public func keyOrder() -> [UInt32] {
        status.withUnsafeBufferPointer { status in
            names.order(status.count, name: { status[Int($0)].name }) { a, b in
                a.count != b.count ? a.count < b.count : HostNames.byteOrder(a, b)
            }
        }
    }
}

/// The open directory holding an entry of a walk, and its host path (for messages).
public struct HostPlace {
    let dir: OpenHostDirectory
    let path: [UInt8]

    /// Reads file `e`'s `length` bytes and calls `body` with the offset and contents of every
    /// block that is not all zeros (see `HostFile.forEachDataBlock`).
    public func forEachDataBlock(of e: HostEntry, _ body: (Int64, [UInt8]) throws -> Void) throws {
        guard !e.isDirectory, e.length > 0 else { return }
        let dirPath = path, name = e.name
        let f = try dir.file(name[...], path: { HostDirectory.join(dirPath, name) })
        defer { f.close() }
        try f.forEachDataBlock(length: e.length, body)
    }
}
