import ArgumentParser
import GefsCore
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

/// mkgefs: make a gefs file system image: gefs8.00 (FORMAT.md §5, §11) or, with `-t 9front`,
/// the genuine 9front format gefs9.00 (FORMAT-9FRONT.md §5, §11).
struct Mkgefs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkgefs",
        abstract: "Make a gefs file system image, optionally populated from a host directory.",
        discussion: """
            Exit status: 0 when the image was written (or, with --dry-run, planned), 1 on any error \
            (bad image, refused, does not fit, unreadable source), 2 on usage errors.
            SOURCE_DATE_EPOCH, when set, is the format time, for reproducible images.
            Formats: gefs8.00 (the default, FORMAT.md) and 9front, also called gefs9.00 \
            (FORMAT-9FRONT.md: what the genuine 9front gefs writes; a fresh image is byte for byte \
            what its ream writes).
            """)

    @Argument(help: "The image file or block device.") var image: String
    @Option(name: [.customShort("t"), .customLong("format")],
            help: ArgumentHelp("On-disk format: gefs8.00 (default), 9front or gefs9.00.", valueName: "format"))
    var format = "gefs8.00"
    @Option(name: [.short, .long], help: "Create or resize the image file to SIZE bytes (K, M, G, T suffixes).")
    var size: String?
    @Option(name: [.short, .long], help: ArgumentHelp("Number of arenas (gefs8.00: default one per 64 GiB, at most 128; 9front: 8 to 32, default ream's rule).", valueName: "n"))
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
        guard ImageFormat(name: format) != nil else {
            throw ValidationError("unknown format \"\(format)\": expected one of \(ImageFormat.names.joined(separator: ", "))")
        }
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
                                        root: directory, force: force, dryRun: dryRun, format: ImageFormat(name: format)!)
            let result = try request.perform { printError("mkgefs: warning: \($0)") }
            for line in result.summary { print(line) }
        } catch {
            printError("mkgefs: \(error)")
            throw ExitCode(1)
        }
    }
}

Mkgefs.main(usageStatus: 2)
