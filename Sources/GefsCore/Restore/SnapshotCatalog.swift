/// One tree of the snapshot tree as gefs-restore lists it.
public struct SnapshotListing: Sendable {
    public var record: TreeRecord
    /// The labels naming it, by name.
    public var labels: [String]
    /// Entries below the root, by kind; nil when the tree could not be read at all.
    public var directories: Int?
    public var files: Int?
    /// Bytes the files hold (their lengths).
    public var bytes: UInt64?
    /// What could not be read while counting (the counts are then lower bounds).
    public var lost: [LostRange] = []
    /// How a tree with no snapshot record was found (--scan).
    public var note: String?
}

/// The snapshots of an image, read from its snapshot tree (FORMAT.md §9.5) through
/// `RestoreWalker`, so that a damaged snapshot tree yields what can be read of it.
public struct SnapshotCatalog: Sendable {
    public var contents = SnapshotTreeContents()
    /// Ranges of the snapshot tree that could not be read.
    public var lost: [LostRange] = []
    /// Other problems met.
    public var problems: [Problem] = []

    /// Whether every record of the snapshot tree was read.
    public var complete: Bool { lost.isEmpty }

    public init() {}

    /// Reads the snapshot tree `tree` (from `TreeReader.snapshotTree`).
    public static func read(_ source: RestoreSource, tree: TreeRoot) throws -> SnapshotCatalog {
        var c = SnapshotCatalog()
        try RestoreWalker(source: source).walk(tree, record: { k, v in
            if let f = c.contents.add(key: k, value: v) { c.problems.append(Problem(f.code, f.message, in: tree.name)) }
            return true
        }, lost: { c.lost.append($0); return true }, problem: { c.problems.append($0) })
        return c
    }

    /// The file tree of a snapshot, named as the checker names it.
    public static func root(_ t: TreeRecord, label: String?) -> TreeRoot {
        TreeRoot(root: t.root, height: Int(t.height), name: "snapshot \(t.gen)" + (label.map { " (\($0))" } ?? ""), gen: t.gen)
    }

    /// The labels naming `gen`, by name.
    public func labels(of gen: Int64) -> [String] {
        contents.labels(of: gen).map(\.text).sorted()
    }

    /// What `--snap LABEL` or `--gen G` names, or why nothing.
    public func choose(label: String?, gen: Int64?) -> Result<TreeRoot, TreeReadError> {
        if let gen {
            guard let s = contents.snapshot(gen) else {
                return .failure(TreeReadError(Problem(.labelDangling, "no snapshot with gen \(gen) in the snapshot tree" + (complete ? "" : ", as far as it could be read"))))
            }
            return .success(SnapshotCatalog.root(s, label: labels(of: gen).first))
        }
        let name = label ?? "main"
        guard let l = contents.label(name) else {
            return .failure(TreeReadError(Problem(.labelDangling, "no label \"\(name)\" in the snapshot tree" + (complete ? "" : ", as far as it could be read"))))
        }
        let g = l.gen
        guard let s = contents.snapshot(g) else {
            return .failure(TreeReadError(Problem(.labelDangling, "label \"\(name)\" names snapshot \(g), which " + (complete ? "does not exist" : "could not be read"))))
        }
        return .success(SnapshotCatalog.root(s, label: name))
    }

    /// Every tree the snapshot tree holds, labelled or not, with what it holds.
    public func listing(_ source: RestoreSource) throws -> [SnapshotListing] {
        let byGen = contents.labelsByGen
        return try contents.snapshots.map { s in
            var l = SnapshotListing(record: s, labels: (byGen[s.gen] ?? []).map(\.text).sorted())
            try SnapshotCatalog.count(source, SnapshotCatalog.root(s, label: l.labels.first), into: &l)
            return l
        }
    }

    /// Counts the directories, files and bytes below a tree's root.
    static func count(_ source: RestoreSource, _ tree: TreeRoot, uncheckedRoot: Bool = false, into l: inout SnapshotListing) throws {
        var dirs = 0, files = 0, bytes: UInt64 = 0, read = false
        var lost: [LostRange] = []
        try RestoreWalker(source: source).walk(tree, range: .prefix([KeyKind.ent.rawValue]), uncheckedRoot: uncheckedRoot, record: { k, v in
            read = true
            guard case let .ent(p, _)? = try? Key.decode(k), p != UInt64.max, let x = try? Xdir.decode(v) else { return true }
            if x.isDirectory { dirs += 1 } else { files += 1; bytes &+= x.length }
            return true
        }, lost: { lost.append($0); return true }, problem: { _ in })
        l.lost = lost
        if read || lost.isEmpty { l.directories = dirs; l.files = files; l.bytes = bytes }
    }
}

/// Plan 9 user names, from the `adm` snapshot's `users` file (FORMAT.md §11: one line per user,
/// `id:name:leader:members`).
public struct UserTable: Sendable {
    public var names: [Int32: String] = [:]

    public init() {}

    /// Parses the file's text; lines that do not parse are left out.
    public init(text: [UInt8]) {
        for line in text.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard f.count >= 2, let id = Int32(String(decoding: f[0], as: UTF8.self)), !f[1].isEmpty else { continue }
            names[id] = printable(Array(f[1]))
        }
    }

    /// The user's name, or the id in decimal when the table has none.
    public func name(_ id: Int32) -> String { names[id] ?? String(id) }

    /// Reads the users file of the snapshot labelled `adm`; an empty table when it cannot be read.
    public static func read(_ source: RestoreSource, catalog: SnapshotCatalog) -> UserTable {
        guard case let .success(adm) = catalog.choose(label: "adm", gen: nil) else { return UserTable() }
        let walker = RestoreWalker(source: source)
        func value(_ key: Key) -> [UInt8]? {
            var found: [UInt8]?
            _ = try? walker.walk(adm, range: KeyRange(lo: key.encode(), hi: key.encode() + [0]), record: { k, v in
                if k == key.encode() { found = v }
                return false
            }, lost: { _ in false }, problem: { _ in })
            return found
        }
        guard let rv = value(Key.root), let root = try? Xdir.decode(rv),
              let uv = value(.ent(parent: root.qidPath, name: Array("users".utf8))), let users = try? Xdir.decode(uv),
              users.length <= 1 << 20 else { return UserTable() }
        var text = [UInt8](repeating: 0, count: Int(users.length))
        var w = ByteWriter(); w.u8(KeyKind.dat.rawValue); w.u64(users.qidPath)
        _ = try? walker.walk(adm, range: .prefix(w.bytes), record: { k, v in
            guard case let .dat(_, off)? = try? Key.decode(k), off < users.length, v.count == Format.pointerSize else { return true }
            var r = ByteReader(v, structure: "Kdat value")
            guard let bp = try? BlockPointer.decode(&r), let b = try? source.read(bp) else { return true }
            let n = min(Format.blockSize, Int(users.length - off))
            text.replaceSubrange(Int(off)..<Int(off) + n, with: b[0..<n])
            return true
        }, lost: { _ in true }, problem: { _ in })
        return UserTable(text: text)
    }
}
