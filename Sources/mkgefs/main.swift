import ArgumentParser
import GefsCore
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

/// mkgefs: make a gefs8.00 file system image (FORMAT.md §5, §11).
struct Mkgefs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkgefs",
        abstract: "Make a gefs file system image, optionally populated from a host directory.",
        discussion: """
            Exit status: 0 when the image was written (or, with --dry-run, planned), 1 on any error \
            (bad image, refused, does not fit, unreadable source), 2 on usage errors.
            SOURCE_DATE_EPOCH, when set, is the format time, for reproducible images.
            """)

    @Argument(help: "The image file or block device.") var image: String
    @Option(name: [.short, .long], help: "Create or resize the image file to SIZE bytes (K, M, G, T suffixes).")
    var size: String?
    @Option(name: [.short, .long], help: ArgumentHelp("Number of arenas (default: one per 64 GiB, at most 128).", valueName: "n"))
    var arenas: Int?
    @Option(name: [.short, .long], help: ArgumentHelp("Name of the user of the users file, who owns populated files.", valueName: "name"))
    var user = "glenda"
    @Option(name: [.short, .customLong("root")], help: ArgumentHelp("Copy this host directory into the main tree.", valueName: "dir"))
    var directory: String?
    @Flag(name: [.short, .long], help: "Format over an existing gefs image or other data.")
    var force = false
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Print the layout that would be written; write nothing.")
    var dryRun = false

    @OptionGroup var versionOption: VersionOption

    func validate() throws {
        if let a = arenas, !(1...Gefs8Format.maxArenas).contains(a) {
            throw ValidationError("--arenas must be between 1 and \(Gefs8Format.maxArenas)")
        }
        if let s = size, (try? Layout.parseSize(s)) == nil {
            throw ValidationError("bad size \"\(s)\": expected bytes with an optional K, M, G or T suffix")
        }
    }

    func run() throws {
        do {
            let time = try FormatOptions.time(sourceDateEpoch: getenv("SOURCE_DATE_EPOCH").map { String(cString: $0) })
            let request = FormatRequest(path: image, size: try size.map(Layout.parseSize),
                                        options: FormatOptions(user: user, time: time, arenas: arenas),
                                        root: directory, force: force, dryRun: dryRun)
            let result = try request.run { printError("mkgefs: warning: \($0)") }
            for line in result.summary { print(line) }
        } catch {
            printError("mkgefs: \(error)")
            throw ExitCode(1)
        }
    }
}

Mkgefs.main(usageStatus: 2)
