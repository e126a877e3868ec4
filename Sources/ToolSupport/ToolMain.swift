import ArgumentParser
import GefsCore
#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// Parses the command line and runs, like `main()`, but exits with `usageStatus` on a usage
    /// error (the dump tools document 2, gefs-fsck 16) instead of ArgumentParser's 64. `-V` and
    /// `--version` print `gefs-tools X.Y.Z` and exit 0 (the command declares `VersionOption`).
    public static func main(usageStatus: Int32) {
        if GefsTools.asksForVersion(Array(CommandLine.arguments.dropFirst())) {
            print(GefsTools.versionLine)
            Glibc.exit(0)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                printError(message)
                if !message.contains("Usage:") { printError("Usage: " + usageString()) }
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

/// Columns of the terminal on standard output, else `$COLUMNS`, else 80.
public func terminalWidth() -> Int {
    var ws = winsize()
    if isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
    if let c = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), c > 0 { return c }
    return 80
}

/// Writes `text` to the file at `path`, replacing it.
public func writeFile(_ path: String, _ text: String) throws {
    guard let f = fopen(path, "w") else {
        throw DeviceError(path: path, message: "cannot create: \(String(cString: strerror(errno)))")
    }
    defer { fclose(f) }
    guard fputs(text, f) >= 0 else { throw DeviceError(path: path, message: "write failed") }
}

/// Warns when a gefs-tools writer holds the lock of the image a reader has just opened: what
/// the reader shows may change under it (readers take no lock, see ImageLock.swift).
public func warnIfBusy(_ tool: String, _ image: Image) {
    if (image.device as? FileDevice)?.busy == true {
        printError("\(tool): warning: \(image.name) is being written by another gefs-tools process; what is read may change")
    }
}

/// Opens an image for a read-only dump tool: on failure prints `tool: why` and exits with 2;
/// warns when a writer holds the image.
public func openForReading(_ tool: String, _ path: String) throws -> Image {
    let img: Image
    do { img = try Image(path: path) } catch {
        printError("\(tool): \(error)")
        throw ExitCode(2)
    }
    warnIfBusy(tool, img)
    return img
}

/// The arenas a dump covers: the chosen ones in order, or all. An arena the image lacks is a
/// usage error (exit 2).
public func chooseArenas(_ tool: String, _ chosen: [Int], in img: Image) throws -> [Int] {
    for a in chosen where !img.arenas.indices.contains(a) {
        printError("\(tool): \(img.name): no arena \(a) (the image has \(img.arenas.count))")
        throw ExitCode(2)
    }
    return chosen.isEmpty ? Array(img.arenas.indices) : Array(Set(chosen)).sorted()
}

/// Opens an image for a tool that may write: an exclusive lock when writing (shared otherwise),
/// a warning when another writer holds it, and, with `undo`, the image opened again through an
/// undo file created once the image has opened. Throws the device's or the image's error.
public func openForWriting(_ tool: String, _ path: String, writable: Bool, undo: String?,
                           busyNote: String) throws -> (Image, UndoWriter?) {
    let dev = try FileDevice(path: path, writable: writable)
    try dev.lock(writable ? .exclusive : .shared)
    if dev.busy { printError("\(tool): warning: \(path) is being written by another gefs-tools process; \(busyNote)") }
    let img = try Image(device: dev)
    guard let undo else { return (img, nil) }
    let w = try UndoWriter(path: undo, image: dev)
    return (try Image(device: UndoDevice(dev, undo: w)), w)
}
