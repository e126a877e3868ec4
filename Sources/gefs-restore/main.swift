import ArgumentParser
import GefsCore
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

/// gefs-restore: gets files out of a snapshot of a gefs image, damaged or not, in the manner of
/// `btrfs restore`. The image is opened read-only and never written. The logic lives in
/// GefsCore's Restorer.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gefs-restore",
        abstract: "Restore files from a snapshot of a gefs image, even a damaged one.",
        discussion: """
            Restores the snapshot labelled main (or --snap, --gen) into DEST, or only the PATHs \
            and --include GLOBs given. The image is opened read-only and never written. \
            Exit status: 0 when everything asked for was restored, 1 when something could not be \
            (each thing listed), 2 on usage or host I/O errors.
            """)

    @Argument(help: "The image file or block device.") var image: String
    @Argument(help: "The directory to restore into (made if missing; not with -l or -c).") var dest: String?
    @Argument(help: "Restore only these paths of the snapshot (directories with what they hold).") var paths: [String] = []

    @OptionGroup var versionOption: VersionOption
    @Flag(name: [.short, .long], help: "List every tree the snapshot tree holds, labelled or not, and exit.") var list = false
    @Option(name: .long, help: ArgumentHelp("Restore the snapshot this label names (default main).", valueName: "LABEL")) var snap: String?
    @Option(name: .long, help: ArgumentHelp("Restore the snapshot with generation G (labelled or not).", valueName: "G")) var gen: String?
    @Option(name: .long, help: ArgumentHelp("Restore only entries whose /path matches GLOB (fnmatch; repeatable).", valueName: "GLOB")) var include: [String] = []
    @Option(name: [.short, .long], help: ArgumentHelp("Write the contents of the file at PATH to standard output.", valueName: "PATH")) var cat: String?
    @Flag(name: [.customShort("D"), .long], help: "List what would be restored (mode, length, mtime, path), writing nothing.") var dryRun = false
    @Flag(name: [.short, .long], help: "Set permission bits and times as the image records them; Plan 9 owners go in the report.") var metadata = false
    @Flag(name: [.short, .long], help: "Replace entries DEST already holds (default: skip them and say so).") var overwrite = false
    @Flag(name: [.short, .long], help: "Go on past damage (default: stop at the first thing that cannot be restored).") var ignoreErrors = false
    @Flag(name: .long, help: "Write a data block whose hash does not match instead of a hole, and list it.") var keepBad = false
    @Flag(name: .long, help: "When the snapshot tree or a file tree cannot be read, find tree nodes by structure anywhere in the image.") var scan = false
    @Flag(name: .long, help: "Print the report as JSON.") var json = false
    @Flag(name: [.short, .long], help: "Name each entry as it is restored.") var verbose = false

    func validate() throws {
        if snap != nil && gen != nil { throw ValidationError("--snap and --gen exclude each other") }
        if let g = gen, parseNumber(g) == nil { throw ValidationError("--gen: '\(g)' is not a generation number") }
        if list {
            if dest != nil || cat != nil || dryRun || !include.isEmpty { throw ValidationError("-l takes only the image") }
            return
        }
        if cat != nil {
            if dest != nil || dryRun || !include.isEmpty { throw ValidationError("-c takes only the image and the PATH it writes") }
            return
        }
        guard dest != nil else { throw ValidationError("missing the destination directory DEST") }
    }

    var options: RestoreOptions {
        var o = RestoreOptions()
        o.label = snap
        o.gen = gen.flatMap(parseNumber)
        o.paths = paths
        o.globs = include
        o.metadata = metadata
        o.overwrite = overwrite
        o.ignoreErrors = ignoreErrors
        o.keepBad = keepBad
        o.scan = scan
        o.recordEntries = json
        return o
    }

    func run() throws {
        let r = Restorer(image: image, options: options)
        // With --cat, standard output carries the file: everything else goes to stderr.
        let toOut: (String) -> Void = cat == nil ? { print($0) } : { printError($0) }
        let bar = Bar(on: isatty(2) != 0 && !json && !verbose && !dryRun && !list)
        r.events.note = { line in bar.clear(); printError("gefs-restore: \(image): \(line)") }
        r.events.progress = { phase, done, total in bar.draw(phase, done, total) }
        if verbose || (dryRun && !json) {
            r.events.entry = { o in
                bar.clear()
                toOut(dryRun ? line(o) : "\(o.status.rawValue) \(o.path)" + (metadata ? " (owner \(o.uid), group \(o.gid), last modified by \(o.muid))" : ""))
            }
        }
        do {
            guard try r.open() else {
                for p in r.report.problems { printError("gefs-restore: \(image): \(p)") }
                printError("gefs-restore: \(image): cannot be opened; --scan looks for the trees by structure")
                finish(r, bar, toOut, status: 1)
            }
        } catch {
            printError("gefs-restore: \(error)")
            throw ExitCode(2)
        }
        if let img = r.source?.image { warnIfBusy("gefs-restore", img) }
        if !json {
            for p in r.report.problems { printError("gefs-restore: \(image): \(p)") }
        }
        if list {
            let trees = try r.list()
            bar.clear()
            if json {
                print(JSON.array(trees.map(listingJSON)).serialized(pretty: true))
            } else {
                print(pad("GEN", 6) + pad("PRED", 6) + pad("HT", 4) + pad("DIRS", 8) + pad("FILES", 9) + pad("BYTES", 14) + "  LABELS")
                for t in trees {
                    let s = t.record
                    print(pad(String(s.gen), 6) + pad(s.pred < 0 ? "-" : String(s.pred), 6) + pad(String(s.height), 4)
                          + pad(t.directories.map { String($0) + (t.lost.isEmpty ? "" : "+") } ?? "?", 8)
                          + pad(t.files.map { String($0) + (t.lost.isEmpty ? "" : "+") } ?? "?", 9)
                          + pad(t.bytes.map { String($0) + (t.lost.isEmpty ? "" : "+") } ?? "?", 14)
                          + "  " + (t.labels.isEmpty ? "-" : t.labels.joined(separator: " ")) + (t.note.map { " (main, as --scan would restore it: \($0))" } ?? ""))
                }
                for t in trees { for l in t.lost { printError("gefs-restore: \(image): snapshot \(t.record.gen): \(l.problem.code.id): \(l.problem.message) (\(l.range) not counted)") } }
            }
            // 1 when any tree, the snapshot tree included, could not be read whole.
            let unread = trees.contains { !$0.lost.isEmpty } || !(r.catalog?.complete ?? false)
            Glibc.exit(unread ? 1 : 0)
        }
        do {
            if let c = cat { try r.cat(c) } else if dryRun { try r.dryRun() } else { try r.restore(into: dest!) }
        } catch {
            r.failed(error)
        }
        finish(r, bar, toOut, status: nil)
    }

    func finish(_ r: Restorer, _ bar: Bar, _ toOut: (String) -> Void, status: Int32?) -> Never {
        bar.clear()
        let report = r.report
        if let e = report.hostError { printError("gefs-restore: \(e)") }
        if json {
            let text = report.json.serialized(pretty: true)
            if cat == nil { print(text) } else { printError(text) }
        } else if status == nil, cat == nil || report.exitStatus != 0 {
            if !dryRun { report.summaryLines.forEach(toOut) } else {
                toOut("\(report.files) file\(report.files == 1 ? "" : "s") and \(report.directories) director\(report.directories == 1 ? "y" : "ies"), \(report.bytes) bytes, would be restored" + (report.tree.map { " from \($0)" } ?? ""))
                if !report.losses.isEmpty { toOut("\(report.losses.count) thing\(report.losses.count == 1 ? "" : "s") could not be read (listed above)") }
            }
        }
        fflush(stdout)
        Glibc.exit(status ?? report.exitStatus)
    }

    /// A --dry-run line: mode, length, mtime, path (and the Plan 9 owner and group with -m).
    func line(_ o: EntryOutcome) -> String {
        modeString(o.mode) + (metadata ? " " + o.uid + " " + o.gid : "") + " " + pad(String(o.length), 12) + " " + isoTime(o.mtime) + " " + o.path
    }

    func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }

    func listingJSON(_ t: SnapshotListing) -> JSON {
        let s = t.record
        return .obj(["gen": .int(s.gen), "labels": .array(t.labels.map { .string($0) }), "pred": .int(s.pred), "succ": .int(s.succ),
                     "height": .int(Int64(s.height)), "root": .int(s.root.addr),
                     "directories": t.directories.map { .int(Int64($0)) }, "files": t.files.map { .int(Int64($0)) },
                     "bytes": t.bytes.map { .uint($0) }, "complete": .bool(t.lost.isEmpty), "found_by_scan": t.note.map { .string($0) },
                     "lost": .array(t.lost.map { .obj(["range": .string("\($0.range)"), "code": .string($0.problem.code.id),
                                                      "block": $0.problem.block.map { .int($0) }, "message": .string($0.problem.message)]) })])
    }
}

/// A progress bar on standard error, when it is a terminal.
final class Bar {
    let on: Bool
    var last = 0.0
    var shown = false
    init(on: Bool) { self.on = on }

    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func draw(_ phase: String, _ done: Int64, _ total: Int64) {
        guard on else { return }
        let t = now()
        guard t - last > 0.1 || done == total else { return }
        last = t
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30, filled = Int(frac * Double(width))
        let what = phase == "scan" ? "\(done)/\(total) blocks" : "\(done >> 20)/\(total >> 20) MiB"
        write("\r\u{1b}[K\(phase) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] \(what)")
        shown = true
    }

    func clear() {
        guard shown else { return }
        write("\r\u{1b}[K")
        shown = false
    }

    func write(_ s: String) { _ = s.withCString { Glibc.write(2, $0, strlen($0)) } }
}

RestoreCommand.main(usageStatus: 2)
