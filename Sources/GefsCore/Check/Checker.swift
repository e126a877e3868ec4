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

/// Checks a whole image (FORMAT.md, all of it): superblocks and arenas, the allocation logs,
/// every tree in the logical view, directories and snapshots, and space (§12). Run the passes
/// in order; each appends to `problems`. Memory is two bits per block of the image (what is
/// reachable, and what the tree being walked names), one arena's free map at a time when
/// `keepsFreeMaps` is off, a table of the blocks that are not data blocks, and for the directory checks a few bytes per
/// file (see `FileTreeState`) plus what one file tree's directories hold.
public final class Checker {
    public let image: Image
    public let reader: TreeReader
    public internal(set) var problems: [Problem] = []
    public internal(set) var replays: [ArenaReplay] = []
    public internal(set) var space: SpaceClassification
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

    /// The addresses the Kdlist deadlists list (sorted), and for each what the deadlist rules
    /// need of the file trees that reach it (nodes and data): the gen of the first Kdlist
    /// listing it (its killer), the lowest gen of a snapshot whose tree reaches it, and whether
    /// the killer's tree does. A few words per listed address, however many snapshots there are.
    var listedDead: [Int64] = []
    var deadKiller: [Int64] = []
    var deadMinGen: [Int64] = []
    var deadLive: [Bool] = []
    /// The snapshots whose tree is being walked (one tree walked once for all of them).
    var walkedGens: (min: Int64, all: Set<Int64>) = (0, [])
    /// The qids of the directory entries, for duplicates and the summary's counts.
    var qids: QidSets?
    /// What makes two problems the same report: one is kept.
    struct ReportKey: Hashable {
        var code: ProblemCode, block: Int64, message: String
        init(_ p: Problem) { code = p.code; block = p.block ?? -1; message = p.message }
    }
    var reported: Set<ReportKey> = []
    var blocksDone = 0, blocksTotal = 0
    var pass: CheckPass = .superblocks
    /// Reads and hashes data blocks while the walk goes on.
    let data: DataVerifier

    public init(image: Image) {
        self.image = image
        reader = TreeReader(image)
        space = SpaceClassification(image: image)
        data = DataVerifier(image: image)
    }

    /// Runs every pass.
    public func run() {
        for p in CheckPass.allCases { run(p) }
    }

    /// Runs one pass (in order: each builds on the ones before).
    public func run(_ p: CheckPass) {
        pass = p
        switch p {
        case .superblocks:
            for q in image.problems { add(q) }
            checkSnapdl()
        case .logs: checkLogs()
        case .trees: checkTrees()
        case .directories: checkSnapshots()
        case .space: checkSpace()
        }
    }

    /// Whether every tree and deadlist was read whole, so that leaks are known.
    public var complete: Bool { space.complete }

    public var errors: [Problem] { problems.filter { $0.severity == .error } }

    /// Adds a problem, once per code, block and message, filed under its code's pass or, for a
    /// code several passes meet, under `pass` (the pass reporting it; the current one if nil).
    func add(_ p: Problem, pass: CheckPass? = nil) {
        var p = p
        p.pass = (p.code.pass ?? pass ?? self.pass).rawValue
        guard reported.insert(ReportKey(p)).inserted else { return }
        problems.append(p)
    }

    func tick(_ n: Int = 1) {
        blocksDone += n
        if blocksDone % 64 == 0 || blocksDone == blocksTotal { progress?(pass, blocksDone, max(blocksTotal, blocksDone)) }
    }

    // MARK: Pass 2

    func checkLogs() {
        summary.blocks = 0
        for a in image.arenas {
            progress?(.logs, a.index, image.arenas.count)
            var r = Replay.arena(image, a.index)
            r.problems.forEach { add($0) }
            summary.blocks += Int(a.size / Format.blockSize64)
            summary.usedBlocks += Int(r.used / Format.blockSize64)
            summary.freeBlocks += r.free.setCount
            for addr in r.logBlocks { mark(addr, .log, from: "arena \(a.index)'s log") }
            if !keepsFreeMaps { r.free = BlockBitmap(start: a.region.lowerBound, count: 0) }
            replays.append(r)
        }
        progress?(.logs, image.arenas.count, image.arenas.count)
    }

    /// Marks a reachable block; returns whether it was new for its kind.
    @discardableResult
    func mark(_ addr: Int64, _ kind: BlockKind, from: @autoclosure () -> String) -> Bool {
        let (new, p) = space.mark(addr, kind, image: image, from: from())
        if let p { add(p) }
        return new
    }

    // MARK: Pass 5

    func checkSpace() {
        if !space.complete {
            let why = space.incompleteReasons.prefix(3).joined(separator: "; ")
                + (space.incompleteReasons.count > 3 ? "; and \(space.incompleteReasons.count - 3) more" : "")
            add(Problem(.spaceIncomplete, "leaks are not looked for and nothing is freed: \(why)"))
        }
        for (a, r) in zip(image.arenas, replays) {
            progress?(.space, a.index, image.arenas.count)
            // A log that could not be replayed gives no free map to compare with; its own
            // problems say so, and a repair rebuilds it from reachability.
            guard a.current != nil, !r.hasErrors else { continue }
            let grading = image.format.grading, image = self.image
            let look: ((Int64) -> BlockLook)? = grading.namesUnreachable
                ? { addr in (try? image.device.read(at: addr)).map(image.format.looksLike) ?? .other } : nil
            space.compare(free: (keepsFreeMaps ? r : Replay.arena(image, a.index)).free, arena: a, grading: grading, look: look).forEach { add($0) }
        }
        for k in BlockKind.allCases { summary.reachable[k] = space.count(k) }
        progress?(.space, image.arenas.count, image.arenas.count)
    }
}
