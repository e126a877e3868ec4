import ArgumentParser
import GefsCore
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

/// gefs-fsck: checks a gefs8.00 image in five passes and, with -p or -y, repairs it in
/// FORMAT.md §10's crash-safe order. The logic lives in GefsCore's Checker and Repairer.
struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gefs-fsck",
        abstract: "Check a gefs file system image and repair it safely.",
        discussion: "Exit status is fsck(8)'s bitmask: 0 clean, 1 errors corrected, 4 errors left uncorrected, 8 operational error, 16 usage error, 32 cancelled.")

    @Flag(name: .customShort("n"), help: "Check only: open read-only and fix nothing (the default).") var no = false
    @Flag(name: .customShort("p"), help: "Preen: fix what is safe without a human (stale copies, leaks, log rebuilds).") var preen = false
    @Flag(name: .customShort("y"), help: "Fix everything fixable.") var yes = false
    @Flag(name: .long, help: "Print the whole report as JSON on standard output.") var json = false
    @Flag(name: .customLong("no-data"), help: "Check every structure but do not read and hash the data blocks (fast on a huge image).")
    var noData = false
    @Option(name: .customShort("C"), help: ArgumentHelp("Write progress lines `pass current max image` to descriptor FD.", valueName: "FD"))
    var progressFD: Int32?
    @Flag(name: .customShort("t"), help: "Print the time and peak memory of each pass.") var timing = false
    @Flag(name: .customShort("v"), help: "Print each snapshot, tree and deadlist as it is walked.") var verbose = false
    @Option(name: [.customShort("z"), .customLong("undo")], help: ArgumentHelp("With -p or -y: save the old contents of every block a repair overwrites in FILE, a new file, before overwriting it.", valueName: "FILE"))
    var undo: String?
    @Option(name: .customLong("apply-undo"), help: ArgumentHelp("Put back the blocks saved in the undo file FILE, after checking that it is whole and belongs to the image, and exit.", valueName: "FILE"))
    var applyUndo: String?
    @Flag(name: .long, help: "List every problem code with its severity, meaning and fix, and exit.") var listProblems = false
    @Argument(help: "The image file or block device.") var image: String?

    @OptionGroup var versionOption: VersionOption

    func validate() throws {
        if listProblems { return }
        guard image != nil else { throw ValidationError("missing the image to check") }
        guard [no, preen, yes].filter({ $0 }).count <= 1 else { throw ValidationError("-n, -p and -y exclude each other") }
        if let fd = progressFD, fd < 0 { throw ValidationError("-C needs a descriptor number >= 0") }
        if undo != nil, !preen, !yes { throw ValidationError("-z needs -p or -y: a check alone writes nothing") }
        if applyUndo != nil, preen || yes || undo != nil || json { throw ValidationError("--apply-undo goes with no -p, -y, -z or --json") }
    }

    var mode: RepairMode { yes ? .all : preen ? .preen : .none }

    func run() throws {
        if listProblems {
            for c in ProblemCode.all { print("\(c.id)\t\(c.severity)\t\(c.summary)" + (c.fix.map { "\tfix: \($0)" } ?? "")) }
            return
        }
        signal(SIGINT) { _ in _exit(FsckReport.Exit.cancelled) }
        signal(SIGTERM) { _ in _exit(FsckReport.Exit.cancelled) }
        let path = image!
        if let u = applyUndo { restore(u, path) }
        var report = FsckReport(image: path)
        let ui = Progress(fd: progressFD, bar: isatty(2) != 0 && !json, image: path)
        let say: (String) -> Void = { if !json { print($0) } }
        say("gefs-fsck: checking \(path)" + (mode == .none ? " (read-only)" : ""))
        var opened: Image
        var undoWriter: UndoWriter?
        do {
            (opened, undoWriter) = try openForWriting("gefs-fsck", path, writable: mode != .none, undo: undo,
                                                      busyNote: "the check may see it change")
        } catch let e as ImageError {
            report.problems = e.problems.map { var p = $0; p.pass = .superblocks; return p }
            report.operationalError = "no valid superblock"
            finish(report, say)
        } catch let e as DeviceError {
            report.operationalError = e.message
            finish(report, say)
        } catch {
            report.operationalError = "\(error)"
            finish(report, say)
        }
        report.format = opened.format.name
        say("gefs-fsck: \(path) is \(opened.format.name), superblock \(opened.currentSlot), qgen \(opened.qgen)")
        let checker = Checker(image: opened)
        checker.verifiesData = !noData
        report.dataVerified = !noData
        // A check alone needs no free map after pass 2: pass 5 replays one arena at a time.
        checker.keepsFreeMaps = mode != .none
        checker.progress = { p, cur, max in ui.update(p, cur, max) }
        if verbose { checker.verbose = { say("  " + $0) } }
        var shown = Set<Int>()
        for p in CheckPass.allCases {
            say("Pass \(p.rawValue): \(p)" + (p == .trees && noData ? " (data blocks not verified: --no-data)" : ""))
            let t0 = Clock.now()
            checker.run(p)
            ui.done(p)
            let t = FsckReport.PassTime(pass: p, seconds: Clock.now() - t0, peakBytes: Clock.peakBytes())
            report.passes.append(t)
            if timing { say("  pass \(p.rawValue): \(Clock.format(t.seconds)) s, peak memory \(t.peakBytes.map { "\($0 >> 20) MiB" } ?? "?")") }
            // Directory problems are found with the trees; each is printed after its own pass.
            let now = checker.problems.indices.filter { checker.problems[$0].pass! <= p && shown.insert($0).inserted }
            Problem.lines(now.map { checker.problems[$0] }).forEach { say("  " + $0) }
        }
        report.problems = checker.problems.sorted { $0.pass! < $1.pass! }
        report.summary = checker.summary
        if mode != .none {
            do {
                let r = try Repairer(checker: checker, mode: mode).repair()
                report.problems = r.problems.sorted { $0.pass! < $1.pass! }
                report.repairs = r.actions.map(\.description)
                if !r.actions.isEmpty { say("Repairs:") }
                for a in r.actions { say("  \(a)") }
                for line in r.notes.flatMap(\.lines) { say("  " + line) }
            } catch {
                report.operationalError = "repair failed: \(error)"
            }
        }
        if let w = undoWriter {
            do {
                try w.finish()
                say("Undo: \(w.savedCount) block\(w.savedCount == 1 ? "" : "s") saved in \(w.path) (gefs-fsck --apply-undo \(w.path) \(path) puts them back)")
            } catch {
                report.operationalError = "\(error)"
            }
        }
        finish(report, say)
    }

    /// --apply-undo: checks the undo file against the image and writes the old blocks back.
    func restore(_ file: String, _ path: String) -> Never {
        do {
            let undo = try UndoFile.read(path: file)
            let dev = try FileDevice(path: path, writable: true)
            try dev.lock(.exclusive)
            let n = try undo.apply(to: dev)
            print("gefs-fsck: \(path): \(n) block\(n == 1 ? "" : "s") restored from \(file)")
            if !undo.complete {
                print("gefs-fsck: the undo file was not finished (its writer stopped early)" + (undo.tornTail ? "; its incomplete last record was ignored" : ""))
            }
            Glibc.exit(FsckReport.Exit.clean)
        } catch {
            printError("gefs-fsck: \(error)")
            Glibc.exit(FsckReport.Exit.operational)
        }
    }

    func finish(_ report: FsckReport, _ say: (String) -> Void) -> Never {
        if json {
            print(report.json.serialized(pretty: true))
        } else {
            if let e = report.operationalError {
                for p in report.problems { printError("gefs-fsck: " + p.line) }
                printError("gefs-fsck: \(report.image): \(e)")
            } else {
                say("")
                report.summaryLines.forEach(say)
            }
        }
        Glibc.exit(report.exitStatus)
    }
}

/// Progress: lines on a descriptor (`-C FD`), a bar on a terminal's stderr.
final class Progress {
    let fd: Int32?
    let bar: Bool
    let image: String
    var start = Clock.now()
    var pass: CheckPass?
    var lastDraw = 0.0

    init(fd: Int32?, bar: Bool, image: String) { self.fd = fd; self.bar = bar; self.image = image }

    func update(_ p: CheckPass, _ cur: Int, _ max: Int) {
        if pass != p { pass = p; start = Clock.now() }
        if let fd { write(fd, "\(p.rawValue) \(cur) \(max) \(image)\n") }
        guard bar else { return }
        let now = Clock.now()
        guard now - lastDraw > 0.1 || cur == max else { return }
        lastDraw = now
        let frac = max > 0 ? Double(cur) / Double(max) : 1
        let width = 30, filled = Int(frac * Double(width))
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(cur) / elapsed : 0
        let left = rate > 0 ? Double(max - cur) / rate : 0
        let line = "\r\u{1b}[Kpass \(p.rawValue) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(cur)/\(max) \(Int(rate))/s \(Clock.format(left)) s left"
        write(2, line)
    }

    func done(_ p: CheckPass) {
        if bar, pass == p { write(2, "\r\u{1b}[K") }
    }

    func write(_ fd: Int32, _ s: String) {
        _ = s.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}

/// Wall-clock time and peak memory for -t.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    static func peakBytes() -> Int? {
        var u = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return nil }
        return u.ru_maxrss * 1024
    }
    static func format(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}

Fsck.main(usageStatus: FsckReport.Exit.usage)
