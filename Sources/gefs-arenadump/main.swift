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

    func validate() throws {
        if superblockOnly && (!arena.isEmpty || ranges) {
            throw ValidationError("--superblock-only takes no --arena or --ranges")
        }
    }

    func run() throws {
        let img: Image
        do { img = try Image(path: image) } catch {
            printError("gefs-arenadump: \(error)")
            throw ExitCode(2)
        }
        for a in arena where !img.arenas.indices.contains(a) {
            printError("gefs-arenadump: \(image): no arena \(a) (the image has \(img.arenas.count))")
            throw ExitCode(2)
        }
        var dump = ArenaDump(image: img, arenas: superblockOnly ? [] : (arena.isEmpty ? Array(img.arenas.indices) : arena.sorted()))
        dump.showRanges = ranges
        let problems = dump.problems
        if json {
            let doc = JSON.obj([
                "image": .string(image),
                "superblocks": dump.superblockJSON(),
                "arenas": superblockOnly ? nil : .array(dump.replays.map(dump.arenaJSON)),
                "problems": .array(problems.map(\.json)),
            ])
            print(doc.serialized(pretty: true))
        } else {
            print(dump.superblockText(), terminator: "")
            for r in dump.replays { print(""); print(dump.arenaText(r), terminator: "") }
            if !problems.isEmpty {
                print("")
                for p in problems { print(p) }
            }
        }
        if problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}

ArenaDumpCommand.main(usageStatus: 2)
