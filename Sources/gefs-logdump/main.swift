import ArgumentParser
import GefsCore
import ToolSupport

/// gefs-logdump: the allocation logs of a gefs image, block by block and entry by entry.
struct LogDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gefs-logdump",
        abstract: "Dump the allocation logs of a gefs image, with every problem where it occurs.",
        discussion: """
            Exit status: 0 when everything read is consistent, 1 when on-disk problems (errors) \
            were found, 2 on usage or I/O errors. Warnings and notes alone leave the status 0.
            """)

    @Argument(help: "The image file or block device.") var image: String
    @Option(name: [.short, .long], help: "Dump only arena N (repeatable).") var arena: [Int] = []
    @Option(name: .long, help: ArgumentHelp("Show the history of the block at ADDR instead.", valueName: "ADDR"))
    var block: String?
    @Flag(help: "Counts per op, chain length and entries, without the entry lines.") var stats = false
    @Flag(help: "Show each entry's words in hex too.") var raw = false
    @Flag(help: "Print everything as JSON.") var json = false

    @OptionGroup var versionOption: VersionOption

    func validate() throws {
        if let b = block, parseNumber(b) == nil { throw ValidationError("--block: '\(b)' is not an address") }
        if block != nil && stats { throw ValidationError("--block and --stats do not go together") }
    }

    func run() throws {
        let img = try openForReading("gefs-logdump", image)
        let chosen = try chooseArenas("gefs-logdump", arena, in: img)
        var dump = LogDump(image: img, logs: LogStream.of(img, chosen))
        dump.raw = raw
        dump.statsOnly = stats
        var out = StandardOutput()
        let problems: [Problem]
        if let b = block.flatMap(parseNumber) {
            guard let h = BlockHistory(image: img, block: b), arena.isEmpty || arena.contains(h.arena) else {
                printError("gefs-logdump: \(image): \(hex(b)) is not a block of \(arena.isEmpty ? "any arena's" : "the chosen arenas'") allocatable region")
                throw ExitCode(2)
            }
            problems = json ? dump.historyJSON(h, &out) : dump.historyText(h, &out)
        } else {
            problems = json ? dump.json(&out) : dump.text(&out)
        }
        out.flush()
        if problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}

LogDumpCommand.main(usageStatus: 2)
