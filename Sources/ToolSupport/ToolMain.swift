import ArgumentParser
import GefsCore
#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// Parses the command line and runs, like `main()`, but exits with `usageStatus` on a usage
    /// error (the dump tools document 2, gefs-fsck 16) instead of ArgumentParser's 64.
    public static func main(usageStatus: Int32) {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                printError(fullMessage(for: error))
                printError("Usage: " + usageString())
                Glibc.exit(usageStatus)
            }
            exit(withError: error)
        }
    }
}

/// Parses an address or number given as decimal or `0x` hexadecimal.
public func parseNumber(_ s: String) -> Int64? {
    if s.lowercased().hasPrefix("0x") { return Int64(s.dropFirst(2), radix: 16) }
    return Int64(s)
}
