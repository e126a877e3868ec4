/// What the checker counted, for the closing summary.
public struct CheckSummary: Sendable {
    /// Blocks of all allocatable regions, and of them allocated and free as replayed.
    public var blocks = 0, usedBlocks = 0, freeBlocks = 0
    /// Distinct file and directory qids over every file tree.
    public var files = 0, directories = 0
    public var snapshots = 0, labels = 0, trees = 0
    /// Distinct reachable blocks per kind.
    public var reachable: [BlockKind: Int] = [:]
}

/// Checks a whole image (FORMAT.md, all of it) in five passes, one type each, in the manner of
/// e2fsck's pass1.c … pass5.c: `Pass1Superblocks`, `Pass2Logs`, `Pass3Trees`,
/// `Pass4Directories`, `Pass5Space`. The checker runs them in order and owns only what they
/// share: the problems, the classification of reachable blocks, progress, and what later passes
/// and repairs read of earlier ones (`replays`, `contents`). Memory is two bits per block of the
/// image (what is reachable, and what the tree being walked names), one arena's free map at a
/// time when `keepsFreeMaps` is off, a table of the blocks that are not data blocks, and for the
/// directory checks a few bytes per file (see `FileTreeState`) plus what one file tree's
/// directories hold.
public final class Checker {
    public let image: Image
    public let reader: TreeReader
    public internal(set) var problems: [Problem] = []
    /// Pass 2's replay of each arena's log.
    public internal(set) var replays: [ArenaReplay] = []
    public internal(set) var space: SpaceClassification
    /// Pass 3's reading of the snapshot tree.
    public internal(set) var contents = SnapshotTreeContents()
    public internal(set) var summary = CheckSummary()

    /// Whether `replays` keep their free maps after pass 2, as repairs and block maps need.
    /// Without, pass 5 replays each arena again to compare it with reachability, one arena at
    /// a time: memory stays near one bit per block of the image (see `SpaceClassification`).
    public var keepsFreeMaps = true

    /// Whether data blocks are read and hashed (off: `--no-data`, every structure still checked).
    public var verifiesData = true

    /// `(pass, current, max)` as a pass goes on.
    public var progress: ((CheckPass, Int, Int) -> Void)?
    /// Called with a line as each snapshot and tree is walked (`-v`).
    public var verbose: ((String) -> Void)?

    /// What makes two problems the same report: one is kept.
    struct ReportKey: Hashable {
        var code: ProblemCode, block: Int64, message: String
        init(_ p: Problem) { code = p.code; block = p.block ?? -1; message = p.message }
    }
    var reported: Set<ReportKey> = []
    /// Pass 4, which pass 3's walk feeds one file tree at a time.
    lazy var directories = Pass4Directories(checker: self)

    public init(image: Image) {
        self.image = image
        reader = TreeReader(image)
        space = SpaceClassification(image: image)
    }

    /// Runs every pass.
    public func run() {
        for p in CheckPass.allCases { run(p) }
    }

    /// Runs one pass (in order: each builds on the ones before).
    public func run(_ p: CheckPass) {
        switch p {
        case .superblocks: Pass1Superblocks(checker: self).run()
        case .logs:
            let logs = Pass2Logs(checker: self, keepsFreeMaps: keepsFreeMaps).run()
            replays = logs.replays
            (summary.blocks, summary.usedBlocks, summary.freeBlocks) = (logs.blocks, logs.usedBlocks, logs.freeBlocks)
        case .trees:
            let trees = Pass3Trees(checker: self, directories: directories, usedBlocks: summary.usedBlocks, verifiesData: verifiesData)
            trees.run()
            contents = trees.contents
            summary.trees = trees.treesWalked
        case .directories:
            directories.run(contents)
            summary.snapshots = contents.snapshots.count
            summary.labels = contents.labels.count
            summary.files = directories.qids?.fileCount ?? 0
            summary.directories = directories.qids?.directoryCount ?? 0
        case .space:
            summary.reachable = Pass5Space(checker: self, replays: replays, keepsFreeMaps: keepsFreeMaps).run()
        }
    }

    /// Whether every tree and deadlist was read whole, so that leaks are known.
    public var complete: Bool { space.complete }

    public var errors: [Problem] { problems.filter { $0.severity == .error } }

    /// Adds a problem, once per code, block and message, filed under its code's pass or, for a
    /// code several passes meet, under `pass` (the pass reporting it).
    func add(_ p: Problem, pass: CheckPass) {
        var p = p
        p.pass = p.code.pass ?? pass
        guard reported.insert(ReportKey(p)).inserted else { return }
        problems.append(p)
    }

    /// Marks a reachable block for `pass`; returns whether it was new for its kind.
    @discardableResult
    func mark(_ addr: Int64, _ kind: BlockKind, from: @autoclosure () -> String, pass: CheckPass) -> Bool {
        let (new, p) = space.mark(addr, kind, image: image, from: from())
        if let p { add(p, pass: pass) }
        return new
    }

    /// Notes that part of a tree or deadlist could not be read: leaks are no longer known.
    func incomplete(_ why: String) {
        space.complete = false
        space.incompleteReasons.append(why)
    }
}
