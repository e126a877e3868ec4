import ArgumentParser
import GefsCore
import ToolSupport

/// gefs-arenadump: superblocks, arena copies, logs and free space of a gefs image.
struct ArenaDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gefs-arenadump",
        abstract: "Dump the superblocks, arena headers and footers, and free space of a gefs image.",
        discussion: "Exit status: 0 when everything read is consistent, 1 when on-disk problems were found, 2 on usage or I/O errors.")

    @Argument(help: "The image file or block device.") var image: String
    @Flag(name: [.customShort("S"), .long], help: "Dump only the superblocks.") var superblockOnly = false
    @Option(name: [.short, .long], help: "Dump only arena N (repeatable).") var arena: [Int] = []
    @Flag(help: "List every free extent.") var ranges = false
    @Flag(help: "Print everything as JSON.") var json = false
    @Flag(help: "Draw a map of each arena's blocks by class (free, log, tree node, data, deadlist, leaked, in use but free).")
    var map = false
    @Option(help: "Characters per map row (default: the terminal's width, else 80).") var width: Int?
    @Option(name: .customLong("svg"), help: ArgumentHelp("Write the map as an SVG picture to FILE.", valueName: "FILE"))
    var svgFile: String?

    @OptionGroup var versionOption: VersionOption

    func validate() throws {
        if superblockOnly && (!arena.isEmpty || ranges) {
            throw ValidationError("--superblock-only takes no --arena or --ranges")
        }
        if superblockOnly && (map || svgFile != nil) { throw ValidationError("--superblock-only draws no map") }
        if let w = width, !(8...4096).contains(w) { throw ValidationError("--width must be between 8 and 4096") }
    }

    func run() throws {
        let img = try openForReading("gefs-arenadump", image)
        let chosen = try chooseArenas("gefs-arenadump", arena, in: img)
        var dump = ArenaDump(image: img, replays: ReplayedArenas(image: img, arenas: superblockOnly ? [] : chosen).current)
        dump.showRanges = ranges
        var problems = dump.problems
        var spaceMap: SpaceMap?
        if map || svgFile != nil {
            // The map needs reachability: every pass of the checker, read-only.
            let checker = Checker(image: img)
            checker.run()
            let mapped = Set(chosen)
            problems = checker.problems.filter { $0.arena == nil || mapped.contains($0.arena!) }
            spaceMap = SpaceMap(image: img, freeMaps: checker.replays.filter { mapped.contains($0.arena) }.map { ($0.arena, $0.free) },
                                space: checker.space, width: (width ?? terminalWidth()) - 2)
        }
        if let svgFile, let spaceMap {
            do { try writeFile(svgFile, spaceMap.svg()) } catch {
                printError("gefs-arenadump: \(svgFile): \(error)")
                throw ExitCode(2)
            }
        }
        if json {
            let doc = JSON.obj([
                "image": .string(image),
                "format": .string(dump.image.format.name),
                "superblocks": dump.superblockJSON(),
                "arenas": superblockOnly ? nil : .array(dump.replays.map(dump.arenaJSON)),
                "problems": .array(problems.map(\.json)),
            ])
            print(doc.serialized(pretty: true))
        } else {
            print(dump.superblockText(), terminator: "")
            for r in dump.replays { print(""); print(dump.arenaText(r), terminator: "") }
            if map, let spaceMap { print(""); print(spaceMap.text(), terminator: "") }
            if !problems.isEmpty {
                print("")
                for p in problems { print(p) }
            }
        }
        if problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}

ArenaDumpCommand.main(usageStatus: 2)
