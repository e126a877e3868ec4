/// How bad a problem is. Errors are inconsistencies; warnings are states the format allows but a
/// repair tidies (a stale copy); infos are facts worth saying (discarded uncommitted entries).
public enum Severity: String, Sendable, Comparable, CaseIterable {
    case info, warning, error
    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Which repair of gefs-fsck fixes a problem, if any (`Repairer` and the repairs it runs).
public enum ProblemRepair: Sendable, CaseIterable {
    /// None: a human must look.
    case none
    /// Rewriting both superblocks and every arena header and footer from the current state.
    case copies
    /// gefs9.00 only, and only for a grown image's arena: recording the hash of its identical,
    /// well-formed header and footer where the table says −1 (done with `copies`).
    case recordArenaHash
    /// Rebuilding the arena's free map from reachability, written as a fresh log.
    case freeMapRebuild
    /// Goes with the old log when a free map rebuild is done for another reason; calls for none.
    case withOldLog
    /// Dropping the listed dead address from its deadlist and, when nothing else reaches it,
    /// freeing it.
    case deadlistReclaim

    /// Whether `-y` fixes every problem it is the repair of, on an image whose trees were read
    /// whole: not a recorded arena hash (only a grown image's arena) nor a deadlist reclaim
    /// (refused while an error needs a human).
    public var isUnconditional: Bool {
        switch self {
        case .copies, .freeMapRebuild, .withOldLog: return true
        case .none, .recordArenaHash, .deadlistReclaim: return false
        }
    }
}

/// An entry of the problem catalogue, one row per code in the manner of e2fsck's problem.c:
/// everything the tools know about a code is here, so adding one is one edit. Every diagnostic
/// any tool prints is an instance of one of these.
public struct ProblemCode: Hashable, Sendable, CustomStringConvertible {
    /// Stable snake_case identifier, e.g. `arena_header_stale`.
    public let id: String
    public let severity: Severity
    /// The gefs-fsck pass its problems are filed under, or nil when that is the pass that finds
    /// one (a code several passes can meet, like `space_cross_link`).
    public let pass: CheckPass?
    /// One line: what the problem is.
    public let summary: String
    /// One line: what a repair does about it, or nil when nothing can.
    public let fix: String?
    /// The repair that fixes it (`none` exactly when `fix` is nil).
    public let repair: ProblemRepair
    /// Whether a preen (`-p`) and a deadlist reclaim may go on while it is present: true unless
    /// it is an error that needs a human (by default: an error no repair always fixes).
    public let preenSafe: Bool
    /// Whether a tree walk that meets it cannot read the blocks below it, so that leaks are no
    /// longer known (`space_incomplete`).
    public let hidesSubtree: Bool

    public init(_ id: String, _ severity: Severity, _ pass: CheckPass?, _ summary: String, fix: String? = nil,
                repair: ProblemRepair = .none, preenSafe: Bool? = nil, hidesSubtree: Bool = false) {
        self.id = id; self.severity = severity; self.pass = pass; self.summary = summary; self.fix = fix
        self.repair = repair; self.preenSafe = preenSafe ?? (severity != .error || repair.isUnconditional)
        self.hidesSubtree = hidesSubtree
    }
    public var description: String { id }
    public static func == (a: ProblemCode, b: ProblemCode) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// Where in the logical view a problem is: a tree, snapshot, label or deadlist, and for one
/// file's problem that file's path in the tree.
public struct ProblemPlace: Hashable, Sendable, CustomStringConvertible {
    /// `snapshot tree`, `snapshot 2 (main)`, `label "main"`, `snapdl`.
    public var name: String
    /// `/dir/file`, when the problem is one file's.
    public var file: String?

    public init(_ name: String, file: String? = nil) { self.name = name; self.file = file }

    /// `snapshot 2 (main) /dir/file`.
    public var description: String { file.map { "\(name) \($0)" } ?? name }
}

/// One problem found on an image: its code, a message naming what is wrong, and where.
public struct Problem: Equatable, Sendable, CustomStringConvertible {
    public var code: ProblemCode
    public var message: String
    public var arena: Int?
    /// Address of the block concerned.
    public var block: Int64?
    /// Offset within the block (for log entries: within the log data area).
    public var offset: Int?
    /// The tree, snapshot, label or deadlist, and file, where known.
    public var place: ProblemPlace?
    /// The fsck pass it is filed under (nil outside gefs-fsck).
    public var pass: CheckPass?
    /// Whether a repair fixed it.
    public var fixed: Bool = false

    /// `in`: the tree, snapshot, label or deadlist concerned; `file`: a file's path in it.
    public init(_ code: ProblemCode, _ message: String, arena: Int? = nil, block: Int64? = nil,
                offset: Int? = nil, in name: String? = nil, file: String? = nil, pass: CheckPass? = nil) {
        self.code = code; self.message = message; self.arena = arena; self.block = block
        self.offset = offset; self.place = name.map { ProblemPlace($0, file: file) }; self.pass = pass
    }

    /// `place` as text: the name, then the file's path after a space.
    public var path: String? { place?.description }

    public var severity: Severity { code.severity }

    /// Where the problem is, in words: `arena 0 block 0x8000 +0x18`, `/dir/file`.
    public var location: String {
        var parts: [String] = []
        if let arena { parts.append("arena \(arena)") }
        if let block { parts.append("block \(hex(block))") }
        if let offset { parts.append("+\(hex(offset))") }
        if let path { parts.append(path) }
        return parts.joined(separator: " ")
    }

    /// `warning arena_header_stale: arena 0 block 0x4000: header does not match …`
    public var description: String {
        let loc = location
        return "\(severity) \(code.id): " + (loc.isEmpty ? "" : loc + ": ") + message
    }
}

/// The problem catalogue: each area adds its rows in an extension (`ProblemCode+Area.swift`)
/// and lists them in its table (`imageCodes`, …), which `all` joins.
extension ProblemCode {
    /// Every code, sorted by id, for man pages and `--list-problems`.
    public static var all: [ProblemCode] {
        (imageCodes + logCodes + treeCodes + spaceCodes + genuineCodes).sorted { $0.id < $1.id }
    }
}
