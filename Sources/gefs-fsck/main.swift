import ArgumentParser
import GefsCore

/// Placeholder until its own issue lands; it exists so the package layout is final.
struct Tool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gefs-fsck", abstract: "Not implemented yet.")
    @Argument(help: "The image file or device.") var image: String
    func run() throws {
        printError("gefs-fsck: not implemented yet")
        throw ExitCode(2)
    }
}
Tool.main()
