/// A directory entry of a file tree: `Kent(pqid, name) → Xdir`.
public struct DirEntry: Equatable, Sendable {
    public var parent: UInt64
    public var name: [UInt8]
    public var dir: Xdir
    public var isDirectory: Bool { dir.isDirectory }
    public var text: String { printable(name) }
}

/// Reading files and directories of a file tree (FORMAT.md §9.5), in the logical view. These
/// throw `TreeReadError` at the first error.
extension TreeReader {
    /// The root directory's entry.
    public func rootEntry(_ tree: TreeRoot) throws -> DirEntry {
        guard let v = try value(tree, key: Key.root.encode()) else {
            throw TreeReadError(Problem(.dirRootMissing, "no root directory entry", in: tree.name))
        }
        return DirEntry(parent: UInt64.max, name: [], dir: try decodeXdir(v, Key.root, tree))
    }

    /// The entries of directory `qid`, in key order (by name length, then bytes).
    public func list(_ tree: TreeRoot, directory qid: UInt64) throws -> [DirEntry] {
        var out: [DirEntry] = []
        var w = ByteWriter(); w.u8(KeyKind.ent.rawValue); w.u64(qid)
        for r in try records(tree, range: .prefix(w.bytes)) {
            guard case let .ent(p, name)? = try? Key.decode(r.key) else {
                throw TreeReadError(Problem(.treeKeyMalformed, "key \(KeyRange.show(r.key)) does not decode", in: tree.name))
            }
            out.append(DirEntry(parent: p, name: name, dir: try decodeXdir(r.value, .ent(parent: p, name: name), tree)))
        }
        return out
    }

    /// The entry at `path` (`/`-separated, from the root); nil when a component is missing.
    public func lookup(_ tree: TreeRoot, path: String) throws -> DirEntry? {
        var e = try rootEntry(tree)
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard e.isDirectory else { return nil }
            let key = Key.ent(parent: e.dir.qidPath, name: Array(part.utf8))
            guard let v = try value(tree, key: key.encode()) else { return nil }
            e = DirEntry(parent: e.dir.qidPath, name: Array(part.utf8), dir: try decodeXdir(v, key, tree))
        }
        return e
    }

    /// Calls `body(path, entry)` for every entry reachable from the root, depth first, each
    /// directory's entries sorted by name bytes; the root's path is `/`. Guards against
    /// directory cycles by qid.
    public func walkFiles(_ tree: TreeRoot, _ body: (String, DirEntry) throws -> Void) throws {
        let root = try rootEntry(tree)
        try body("/", root)
        var seen: Set<UInt64> = [root.dir.qidPath]
        func recurse(_ dir: DirEntry, _ path: String) throws {
            let entries = try list(tree, directory: dir.dir.qidPath).sorted { compareBytes($0.name, $1.name) }
            for e in entries {
                let p = (path == "/" ? "" : path) + "/" + e.text
                try body(p, e)
                if e.isDirectory, seen.insert(e.dir.qidPath).inserted { try recurse(e, p) }
            }
        }
        try recurse(root, "/")
    }

    /// The data blocks of file `qid` in offset order: `(offset, pointer)`. Missing offsets are holes.
    public func dataBlocks(_ tree: TreeRoot, file qid: UInt64) throws -> [(offset: UInt64, bp: BlockPointer)] {
        var w = ByteWriter(); w.u8(KeyKind.dat.rawValue); w.u64(qid)
        return try records(tree, range: .prefix(w.bytes)).map { r in
            guard case let .dat(_, off)? = try? Key.decode(r.key), r.value.count == Format.pointerSize else {
                throw TreeReadError(Problem(.treeValueMalformed, "\(KeyRange.show(r.key)) does not name a data block", in: tree.name))
            }
            var rd = ByteReader(r.value, structure: "Kdat value")
            return (off, try BlockPointer.decode(&rd))
        }
    }

    /// The contents of a file: its data blocks (each checked against its hash), holes as
    /// zeros, bounded by the Xdir's length.
    public func contents(_ tree: TreeRoot, file: Xdir) throws -> [UInt8] {
        guard file.length <= UInt64(Int.max / 2) else {
            throw TreeReadError(Problem(.dirEntryInvalid, "file \(file.qidPath) has length \(file.length)", in: tree.name))
        }
        let length = Int(file.length)
        var out = [UInt8](repeating: 0, count: length)
        for (off, bp) in try dataBlocks(tree, file: file.qidPath) where off < UInt64(length) {
            let b: [UInt8]
            do { b = try image.read(bp) } catch {
                throw TreeReadError(Problem(.dataHashMismatch, "file \(file.qidPath) offset \(off): \(error)", block: bp.addr, in: tree.name))
            }
            let o = Int(off)
            let n = min(Format.blockSize, length - o)
            out.replaceSubrange(o..<o + n, with: b[0..<n])
        }
        return out
    }

    func decodeXdir(_ v: [UInt8], _ key: Key, _ tree: TreeRoot) throws -> Xdir {
        do { return try Xdir.decode(v) } catch {
            throw TreeReadError(Problem(.treeValueMalformed, "\(key): \(error)", in: tree.name))
        }
    }
}

/// Byte-wise order of names (for listings).
public func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }
