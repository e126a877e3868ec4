import ArgumentParser
import GefsCore
import ToolSupport

/// gefs-replay: replays the allocation logs of a gefs image; rewrites them compact.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gefs-replay",
        abstract: "Replay the allocation logs of a gefs image; optionally rewrite them compact.",
        discussion: """
            Exit status: 0 when everything read is consistent, 1 when on-disk problems (errors) \
            were found or a rewrite was refused because of them, 2 on usage or I/O errors \
            (including an --until-gen barrier that a chosen arena's log no longer holds).
            """)

    @Argument(help: "The image file or block device.") var image: String
    @Option(name: [.short, .long], help: "Replay only arena N (repeatable).") var arena: [Int] = []
    @Flag(help: "List the free extents.") var ranges = false
    @Flag(help: "Print everything as JSON.") var json = false
    @Option(name: .customLong("until-gen"), help: ArgumentHelp("Replay to the older barrier LogSync G and show what changed since.", valueName: "G"))
    var untilGen: UInt64?
    @Flag(help: "Plan compact logs for the chosen arenas (a dry run without --write).") var rewrite = false
    @Flag(help: "With --rewrite: write the new logs (FORMAT.md §10 order).") var write = false
    @Option(name: [.customShort("z"), .long], help: ArgumentHelp("With --write: save the old contents of every block overwritten in FILE, a new file, first (gefs-fsck --apply-undo puts them back).", valueName: "FILE"))
    var undo: String?

    @OptionGroup var versionOption: VersionOption

    func validate() throws {
        if write && !rewrite { throw ValidationError("--write needs --rewrite") }
        if rewrite && untilGen != nil { throw ValidationError("--rewrite and --until-gen do not go together") }
        if undo != nil && !write { throw ValidationError("--undo needs --rewrite --write") }
    }

    func fail(_ message: String, _ status: Int32) -> ExitCode {
        printError("gefs-replay: \(image): \(message)")
        return ExitCode(status)
    }

    func run() throws {
        var img: Image
        var undoWriter: UndoWriter?
        do {
            (img, undoWriter) = try openForWriting("gefs-replay", image, writable: write, undo: undo,
                                                   busyNote: "what is read may change")
        } catch let e as DeviceError {
            throw fail(e.message, 2)
        } catch {
            throw fail("\(error)", 2)
        }
        let chosen = try chooseArenas("gefs-replay", arena, in: img)
        if let g = untilGen, g > img.qgen {
            throw fail("LogSync \(g) is after the last completed sync (qgen \(img.qgen))", 2)
        }
        if rewrite {
            do { try doRewrite(img, chosen) } catch {
                try? undoWriter?.finish()
                throw error
            }
            guard let w = undoWriter else { return }
            do { try w.finish() } catch { throw fail("\(error)", 2) }
            if !json { print("undo: \(w.savedCount) block\(w.savedCount == 1 ? "" : "s") saved in \(w.path) (gefs-fsck --apply-undo \(w.path) \(image) puts them back)") }
            return
        }
        let replayed = ReplayedArenas(image: img, arenas: chosen, until: untilGen)
        var report = ReplayReport(image: img, replayed: replayed)
        report.ranges = ranges
        var out = StandardOutput()
        if json { report.json(&out) } else { report.text(&out) }
        out.flush()
        if !replayed.unreachable.isEmpty {
            throw fail("the log of arena \(replayed.unreachable.map(String.init).joined(separator: ", ")) no longer holds LogSync \(untilGen!)", 2)
        }
        if report.problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }

    func doRewrite(_ img: Image, _ chosen: [Int]) throws {
        let errors = img.problems.filter { $0.severity == .error }
        if !errors.isEmpty {
            for p in errors { printError("\(p)") }
            throw fail("the image has errors; not rewriting (gefs-fsck repairs it)", 1)
        }
        let plan: LogRewrite
        do { plan = try LogRewrite.plan(image: img, arenas: chosen) } catch let e as RewriteError {
            switch e {
            case .replayErrors, .noCurrentCopy: throw fail("\(e); not rewriting (gefs-fsck repairs it)", 1)
            case .formatNotWritable: throw fail("\(e)", 1)
            default: throw fail("\(e)", 2)
            }
        }
        var failures: [String] = []
        if write {
            do { try plan.commit(to: img.device) } catch { throw fail("\(error)", 2) }
            failures = plan.verify(img.device)
        }
        var out = StandardOutput()
        if json {
            var doc = plan.json
            if case let .object(pairs) = doc {
                doc = .object(pairs + [("written", .bool(write)), ("verified", write ? .bool(failures.isEmpty) : .null)])
            }
            var js = JSONStream(out)
            js.value(.obj(["image": .string(img.name), "format": .string(img.format.name), "qgen": JSON(img.qgen), "rewrite": doc]))
        } else {
            out.write(LogDump.imageLine(img))
            out.write(plan.text())
            out.write(write ? "committed as sync \(plan.gen)" + (failures.isEmpty ? "; the image replays to the planned free maps\n" : "\n")
                            : "sync \(plan.gen) would commit it; nothing written (dry run: add --write)\n")
        }
        out.flush()
        guard failures.isEmpty else {
            for f in failures { printError("gefs-replay: \(image): after the rewrite, \(f)") }
            throw ExitCode(1)
        }
    }
}

ReplayCommand.main(usageStatus: 2)
