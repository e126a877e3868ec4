#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A directory entry of the tree being restored: `Kent(parent, name) → Xdir`.
public struct NamespaceEntry: Sendable {
    public var parent: UInt64
    public var name: [UInt8]
    public var dir: Xdir
    /// Found by `--scan` in a leaf outside the tree, for a range the tree lost.
    public var recovered: Bool
    public var qid: UInt64 { dir.qidPath }
    public var isDirectory: Bool { dir.isDirectory }
    public var isRoot: Bool { parent == UInt64.max && name.isEmpty }
}

/// An entry given its place under DEST.
public struct Placement: Sendable {
    /// Index in `Namespace.entries`.
    public var entry: Int
    /// Path relative to DEST, components joined by `/`; empty for the root.
    public var path: [UInt8]
    /// Index in `Namespace.placements` of the directory holding it; nil for the root and for
    /// `lost+found` entries, which sit in `lost+found` itself.
    public var parent: Int?
    /// Placed in `lost+found` because its directory could not be.
    public var orphan: Bool
    /// Asked for (PATH, --include, or everything); the rest are directories on the way to it.
    public var selected = true

    /// `/path`, the way reports show it.
    public var display: String { "/" + printable(path) }
    /// The last component.
    public var name: [UInt8] { path.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? [] }
}

/// The directory entries of one file tree (FORMAT.md §9.5), placed as a host directory tree:
/// names checked so that none escapes DEST, directory cycles and names given twice refused,
/// entries whose directory is lost put in `lost+found` as `<qid>-<name>`.
public struct Namespace: Sendable {
    public static let lostFound: [UInt8] = Array("lost+found".utf8)

    public var entries: [NamespaceEntry] = []
    public var placements: [Placement] = []
    /// Key ranges of directory entries that could not be read.
    public var lost: [LostRange] = []
    /// An entry that cannot be restored and why: an Xdir that does not decode, an unsafe name,
    /// a directory met twice.
    public struct Rejection: Sendable {
        /// The directory holding it (its qid), where known.
        public var parent: UInt64?
        /// How reports name it.
        public var subject: String
        public var problem: Problem
    }
    public var rejected: [Rejection] = []
    /// Index of the root entry in `entries`.
    public var root: Int?

    public init() {}

    /// Whether a name may become a host file name under DEST: not empty, `.` or `..`, no `/`
    /// or NUL, at most 255 bytes (the host's NAME_MAX; gefs allows 244).
    public static func safe(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name != [0x2e] && name != [0x2e, 0x2e] && name.count <= 255
            && !name.contains(0) && !name.contains(UInt8(ascii: "/"))
    }

    /// Adds one logical Kent record; records that do not decode are rejected with a problem.
    public mutating func add(key: [UInt8], value: [UInt8], recovered: Bool, tree: String) {
        guard case let .ent(p, name)? = try? Key.decode(key) else {
            rejected.append(Rejection(parent: nil, subject: KeyRange.show(key),
                                      problem: Problem(.treeKeyMalformed, "directory entry key \(KeyRange.show(key)) does not decode", in: tree)))
            return
        }
        let x: Xdir
        do { x = try Xdir.decode(value) } catch {
            rejected.append(Rejection(parent: p, subject: "\(Key.ent(parent: p, name: name))",
                                      problem: Problem(.treeValueMalformed, "\(Key.ent(parent: p, name: name)): \(error)", in: tree)))
            return
        }
        if p == UInt64.max && name.isEmpty {
            if root == nil { root = entries.count }
        }
        entries.append(NamespaceEntry(parent: p, name: name, dir: x, recovered: recovered))
    }

    /// Gives every entry its place: the tree from the root first, depth first, each directory's
    /// entries by name bytes; then `lost+found` for entries whose directory is not placed.
    public mutating func place(tree: String) {
        placements = []
        var children: [UInt64: [Int]] = [:]
        for (i, e) in entries.enumerated() where !e.isRoot { children[e.parent, default: []].append(i) }
        for k in children.keys { children[k]!.sort { entries[$0].name.lexicographicallyPrecedes(entries[$1].name) } }
        var placedDirs: Set<UInt64> = []
        var placedFiles: Set<UInt64> = []
        var isPlaced = [Bool](repeating: false, count: entries.count)

        /// Places what a directory holds, depth first, each directory right before its contents.
        func descend(_ dirPlacement: Int, _ qid: UInt64) {
            var stack: [(pi: Int, q: UInt64, next: Int)] = [(dirPlacement, qid, 0)]
            while !stack.isEmpty {
                let (pi, q, k) = stack[stack.count - 1]
                let list = children[q] ?? []
                guard k < list.count else { stack.removeLast(); continue }
                stack[stack.count - 1].next += 1
                let c = list[k]
                let e = entries[c]
                isPlaced[c] = true
                guard Namespace.safe(e.name) else {
                    rejected.append(Rejection(parent: q, subject: "\(Key.ent(parent: e.parent, name: e.name))",
                                              problem: Problem(.dirNameInvalid, "entry \(Key.ent(parent: e.parent, name: e.name)) (qid \(e.qid)) in \(placements[pi].display): its name cannot be a file name", in: tree)))
                    continue
                }
                if !e.isDirectory, !placedFiles.insert(e.qid).inserted {
                    rejected.append(Rejection(parent: q, subject: "\(Key.ent(parent: e.parent, name: e.name))",
                                              problem: Problem(.dirEntryInvalid, "entry \(Key.ent(parent: e.parent, name: e.name)) in \(placements[pi].display) has qid \(e.qid), a file already restored under another name", in: tree)))
                    continue
                }
                let base = placements[pi].path
                let path = base.isEmpty ? e.name : base + [UInt8(ascii: "/")] + e.name
                placements.append(Placement(entry: c, path: path, parent: pi, orphan: placements[pi].orphan))
                if e.isDirectory {
                    if placedDirs.insert(e.qid).inserted {
                        stack.append((placements.count - 1, e.qid, 0))
                    } else {
                        rejected.append(Rejection(parent: q, subject: placements.last!.display,
                                                  problem: Problem(.dirEntryInvalid, "directory \(placements.last!.display) has qid \(e.qid), a directory already restored (a cycle or a second name); restored empty", in: tree)))
                    }
                }
            }
        }

        if let r = root {
            isPlaced[r] = true
            if entries[r].isDirectory {
                placements.append(Placement(entry: r, path: [], parent: nil, orphan: false))
                placedDirs.insert(entries[r].qid)
                descend(0, entries[r].qid)
            } else {
                rejected.append(Rejection(parent: nil, subject: "/", problem: Problem(.dirRootMissing, "the root entry is not a directory", in: tree)))
            }
        }
        // Orphans: entries whose directory is not placed. The top of each unplaced chain goes
        // to lost+found; what lies below it follows it there.
        var unplacedDirs: [UInt64: Int] = [:]
        for (i, e) in entries.enumerated() where !isPlaced[i] && e.isDirectory && !e.isRoot { unplacedDirs[e.qid] = unplacedDirs[e.qid] ?? i }
        var lostFound: Int?
        let order = entries.indices.filter { !isPlaced[$0] }.sorted { entries[$0].qid < entries[$1].qid }
        for i in order where !isPlaced[i] {
            // Up the chain of unplaced directories to its top (or round a cycle).
            var top = i
            var chain: Set<Int> = [i]
            while let up = unplacedDirs[entries[top].parent], !isPlaced[up], chain.insert(up).inserted { top = up }
            let e = entries[top]
            isPlaced[top] = true
            if e.isRoot { continue }
            if !e.isDirectory, !placedFiles.insert(e.qid).inserted { continue }
            if lostFound == nil {
                placements.append(Placement(entry: -1, path: Namespace.lostFound, parent: nil, orphan: true))
                lostFound = placements.count - 1
            }
            let name = Array("\(e.qid)-".utf8) + (Namespace.safe(e.name) ? e.name : Array("unnamed".utf8))
            let clipped = name.count > 255 ? Array(name.prefix(255)) : name
            placements.append(Placement(entry: top, path: Namespace.lostFound + [UInt8(ascii: "/")] + clipped, parent: lostFound, orphan: true))
            if e.isDirectory, placedDirs.insert(e.qid).inserted { descend(placements.count - 1, e.qid) }
        }
    }

    /// Marks what PATHs and GLOBs ask for (fnmatch(3) on `/path`, no flags): an entry that
    /// matches, and everything below a directory that does. Ancestors stay, unselected, as the
    /// way to them. Returns the PATHs that name nothing.
    public mutating func select(paths: [String], globs: [String]) -> [String] {
        guard !paths.isEmpty || !globs.isEmpty else { return [] }
        var byPath: [[UInt8]: Int] = [:]
        for (i, p) in placements.enumerated() { byPath[p.path] = i }
        var chosen = [Bool](repeating: false, count: placements.count)
        var missing: [String] = []
        for p in paths {
            let key = Array(p.utf8).split(separator: UInt8(ascii: "/")).map(Array.init).joined(separator: [UInt8(ascii: "/")])
            if let i = byPath[Array(key)] { chosen[i] = true } else { missing.append(p) }
        }
        if !globs.isEmpty {
            for (i, p) in placements.enumerated() where p.entry >= 0 {
                let shown = [UInt8(ascii: "/")] + p.path + [0]
                for g in globs where shown.withUnsafeBufferPointer({ s in
                    g.withCString { fnmatch($0, UnsafeRawPointer(s.baseAddress!).assumingMemoryBound(to: CChar.self), 0) == 0 }
                }) { chosen[i] = true }
            }
        }
        // Below a chosen directory (placements list each directory before what it holds).
        for i in placements.indices where !chosen[i] { if let p = placements[i].parent, chosen[p] { chosen[i] = true } }
        // The way to each chosen entry.
        var keep = chosen
        for i in placements.indices.reversed() where keep[i] { if let p = placements[i].parent { keep[p] = true } }
        var out: [Placement] = []
        var remap = [Int](repeating: -1, count: placements.count)
        for i in placements.indices where keep[i] {
            var p = placements[i]
            p.selected = chosen[i]
            p.parent = p.parent.map { remap[$0] }
            remap[i] = out.count
            out.append(p)
        }
        placements = out
        return missing
    }

    /// The placement of `path` (`/`-separated, from the root), if placed.
    public func placement(of path: String) -> Int? {
        let key = Array(Array(path.utf8).split(separator: UInt8(ascii: "/")).map(Array.init).joined(separator: [UInt8(ascii: "/")]))
        return placements.firstIndex { $0.path == key }
    }
}
