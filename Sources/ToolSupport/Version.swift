import ArgumentParser

/// The version of gefs-tools: the one place it is set. Every tool prints it for `--version` and
/// `-V`; the install and packaging scripts read it from the built tools; the man pages' `.TH`
/// lines and the CHANGELOG's latest release heading must name it (VersionTests checks both).
public enum GefsTools {
    public static let version = "0.1.0"
    /// What `--version` prints: `gefs-tools X.Y.Z`.
    public static var versionLine: String { "gefs-tools \(version)" }

    /// Whether a command line asks for the version: `-V` or `--version` among the options
    /// (before a `--`), and no `-h` or `--help`, which come first as in ArgumentParser.
    public static func asksForVersion(_ arguments: [String]) -> Bool {
        let options = arguments.prefix { $0 != "--" }
        if options.contains(where: { $0 == "-h" || $0 == "--help" }) { return false }
        return options.contains { $0 == "-V" || $0 == "--version" }
    }
}

/// `-V, --version` for a tool's options (`@OptionGroup var version: VersionOption`). The flag
/// is acted on before parsing, by `main(usageStatus:)`, so that it works without the arguments
/// a tool otherwise requires; declaring it puts it in the help and the completion scripts.
public struct VersionOption: ParsableArguments {
    @Flag(name: [.customShort("V"), .long], help: "Print the version (gefs-tools \(GefsTools.version)) and exit.")
    public var version = false
    public init() {}
}
