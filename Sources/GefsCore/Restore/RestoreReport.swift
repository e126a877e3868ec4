/// What happened to one entry.
public enum EntryStatus: String, Sendable {
    /// Written whole.
    case restored
    /// Written, but part of it could not be read (holes where it was, or bytes that fail their
    /// hash with --keep-bad); listed in the losses.
    case partial
    /// Already in DEST and left alone (no -o).
    case skipped
    /// Could not be restored at all; listed in the losses.
    case lost
    /// Not reached: the restore stopped at earlier damage (no -i).
    case notAttempted = "not-attempted"
    /// Listed only (--dry-run).
    case listed
}

/// One entry as the report shows it (-v, --json, --dry-run).
public struct EntryOutcome: Sendable {
    public var path: String
    public var qid: UInt64
    public var mode: UInt32
    public var length: UInt64
    public var mtime: Int64
    public var atime: Int64
    /// Plan 9 owner, group and last modifier, by name when the users file says.
    public var uid: String
    public var gid: String
    public var muid: String
    public var status: EntryStatus
    /// Its entry or contents came from leaves found by --scan.
    public var recovered = false
    public var isDirectory: Bool { mode & Mode.dir != 0 }
}

/// Something that could not be restored, and the damage that took it.
public struct Loss: Sendable {
    /// What is lost: a path, or a range of directory entries.
    public var subject: String
    /// How much of it: `not restored`, `block at offset 0x4000 left as a hole`, …
    public var what: String
    /// The damage, with its block address.
    public var problem: Problem

    public init(subject: String, what: String, problem: Problem) { self.subject = subject; self.what = what; self.problem = problem }

    /// `/docs/a.txt: block at offset 0x4000 left as a hole: data_hash_mismatch at block 0x…: …`
    public var line: String {
        "\(subject): \(what): \(problem.code.id)" + (problem.block.map { " at block \(hex($0))" } ?? "") + ": \(problem.message)"
    }

    public var json: JSON {
        .obj(["subject": .string(subject), "what": .string(what), "code": .string(problem.code.id),
              "block": problem.block.map { .int($0) }, "tree": problem.path.map { .string($0) }, "message": .string(problem.message)])
    }
}

/// A data block written although its hash does not match (--keep-bad).
public struct KeptBadBlock: Sendable {
    public var path: String
    public var offset: UInt64
    public var block: Int64
    public var why: String
    public var line: String { "\(path): block at offset \(hex(offset)) (block \(hex(block))) written although its hash does not match: \(why)" }
}

/// Everything a gefs-restore run did and found.
public struct RestoreReport: Sendable {
    public var image: String
    public var dest: String?
    /// The tree restored, as named in messages, and how it was found.
    public var tree: String?
    public var how: String?
    /// Problems found opening the image, reading the snapshot tree, and noted during the walks.
    public var problems: [Problem] = []
    public var losses: [Loss] = []
    public var keptBad: [KeptBadBlock] = []
    /// Paths already in DEST, left alone.
    public var skipped: [String] = []
    /// Paths whose entries or data came from leaves found by --scan.
    public var recovered: [String] = []
    public var entries: [EntryOutcome] = []
    /// Entries not reached because the restore stopped at damage (no -i), and where it stopped.
    public var notAttempted: [String] = []
    public var stoppedAt: String?
    /// PATHs that name nothing in the snapshot.
    public var missing: [String] = []
    public var files = 0
    public var directories = 0
    /// File bytes restored (lengths, holes included).
    public var bytes: UInt64 = 0
    /// Blocks the scan read, when one ran.
    public var scannedBlocks: Int64?
    /// Why the run could not go on: a host I/O error, an unusable DEST.
    public var hostError: String?

    public init(image: String) { self.image = image }

    /// 0: everything asked for was restored; 1: something could not be (listed), or what was
    /// restored had to be found by --scan; 2: a host I/O error.
    public var exitStatus: Int32 {
        if hostError != nil { return 2 }
        return losses.isEmpty && keptBad.isEmpty && stoppedAt == nil && missing.isEmpty && how == nil && recovered.isEmpty ? 0 : 1
    }

    public var json: JSON {
        func entry(_ e: EntryOutcome) -> JSON {
            .obj(["path": .string(e.path), "qid": .uint(e.qid), "mode": .string(modeString(e.mode)), "perm": .uint(UInt64(e.mode & 0o777)),
                  "length": .uint(e.length), "mtime": .int(e.mtime), "atime": .int(e.atime),
                  "uid": .string(e.uid), "gid": .string(e.gid), "muid": .string(e.muid),
                  "status": .string(e.status.rawValue), "recovered": e.recovered ? .bool(true) : nil])
        }
        return .obj([
            "image": .string(image),
            "dest": dest.map { .string($0) },
            "tree": tree.map { .string($0) },
            "found_by": how.map { .string($0) },
            "exit": .int(Int64(exitStatus)),
            "summary": .obj(["files": .int(Int64(files)), "directories": .int(Int64(directories)), "bytes": .uint(bytes),
                             "skipped": .int(Int64(skipped.count)), "lost": .int(Int64(losses.count)),
                             "kept_bad_blocks": .int(Int64(keptBad.count)), "not_attempted": .int(Int64(notAttempted.count)),
                             "recovered_by_scan": .int(Int64(recovered.count))]),
            "scanned_blocks": scannedBlocks.map { .int($0) },
            "stopped_at": stoppedAt.map { .string($0) },
            "host_error": hostError.map { .string($0) },
            "missing": .array(missing.map { .string($0) }),
            "problems": .array(problems.map { p in
                .obj(["severity": .string(p.severity.rawValue), "code": .string(p.code.id), "block": p.block.map { .int($0) },
                      "where": p.path.map { .string($0) }, "message": .string(p.message)])
            }),
            "lost": .array(losses.map(\.json)),
            "kept_bad": .array(keptBad.map { .obj(["path": .string($0.path), "offset": .uint($0.offset), "block": .int($0.block), "why": .string($0.why)]) }),
            "skipped": .array(skipped.map { .string($0) }),
            "recovered": .array(recovered.map { .string($0) }),
            "not_attempted": .array(notAttempted.map { .string($0) }),
            "entries": .array(entries.map(entry)),
        ])
    }

    /// The closing lines of a text report.
    public var summaryLines: [String] {
        var out: [String] = []
        let what = "\(files) file\(files == 1 ? "" : "s") and \(directories) director\(directories == 1 ? "y" : "ies"), \(bytes) bytes"
        out.append("restored \(what)" + (tree.map { " from \($0)" } ?? "") + (dest.map { " into \($0)" } ?? ""))
        if let how { out.append("the tree was found by scan (\(how)); check the result") }
        if !skipped.isEmpty { out.append("skipped \(skipped.count) existing entr\(skipped.count == 1 ? "y" : "ies") (-o replaces them)") }
        if !recovered.isEmpty { out.append("\(recovered.count) entr\(recovered.count == 1 ? "y" : "ies") recovered by scan from leaves outside the tree; check them") }
        if !keptBad.isEmpty { out.append("\(keptBad.count) block\(keptBad.count == 1 ? "" : "s") written although \(keptBad.count == 1 ? "its hash does" : "their hashes do") not match") }
        if !losses.isEmpty { out.append("\(losses.count) thing\(losses.count == 1 ? "" : "s") could not be restored (listed above)") }
        if let s = stoppedAt {
            out.append("stopped at \(s): \(notAttempted.count) entr\(notAttempted.count == 1 ? "y" : "ies") after it not restored (-i goes on past damage)")
        }
        return out
    }
}

/// Plan 9 `ls -l` style mode: `d` or `-`, then `a` (append only), `l` (exclusive) or `t`
/// (temporary) or `-`, then the nine permission bits.
public func modeString(_ mode: UInt32) -> String {
    var s = mode & Mode.dir != 0 ? "d" : "-"
    s += mode & Mode.append != 0 ? "a" : mode & Mode.excl != 0 ? "l" : mode & Mode.tmp != 0 ? "t" : "-"
    let rwx: [Character] = ["r", "w", "x"]
    for i in (0..<9).reversed() { s.append(mode & (1 << UInt32(i)) != 0 ? rwx[(8 - i) % 3] : "-") }
    return s
}

/// Nanoseconds since 1970 as `YYYY-MM-DDThh:mm:ssZ`, with `.nnnnnnnnn` when not whole seconds.
public func isoTime(_ ns: Int64) -> String {
    var secs = ns / 1_000_000_000
    var frac = ns % 1_000_000_000
    if frac < 0 { frac += 1_000_000_000; secs -= 1 }
    var days = secs / 86400
    var rem = secs % 86400
    if rem < 0 { rem += 86400; days -= 1 }
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var s = "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))"
    if frac != 0 {
        let f = String(frac)
        s += "." + String(repeating: "0", count: 9 - f.count) + f
    }
    return s + "Z"
}
