import Foundation
import GefsCore

/// Locations and helpers shared by the test targets.
public enum Fixtures {
    /// The package root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let dir = root.appendingPathComponent("Fixtures")

    /// This test process's scratch folder, removed when the process exits (test images add up
    /// to gigabytes over a run).
    public static let scratchRoot: URL = {
        let u = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gefs-tests-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: Fixtures.scratchRoot) }
        return u
    }()

    /// A fresh scratch directory under `scratchRoot`.
    public static func scratch(_ name: String = "t") -> URL {
        let u = scratchRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Unpacks `Fixtures/<relative>.gz` into a scratch file and returns its path.
    public static func unpack(_ relative: String) throws -> String {
        let src = dir.appendingPathComponent(relative + ".gz").path
        let dst = scratch("img").appendingPathComponent((relative as NSString).lastPathComponent).path
        let r = try run("/bin/sh", ["-c", "gzip -dc '\(src)' > '\(dst)'"])
        guard r.status == 0 else { throw NSError(domain: "gunzip", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        return dst
    }

    /// A sample image from `Fixtures/samples`, unpacked.
    public static func sample(_ name: String) throws -> String { try unpack("samples/\(name).img") }

    /// The genuine gefs9.00 samples (`Fixtures/samples9`, copied from `../shared/samples/9front`).
    public static let samples9 = ["ream", "fresh", "populated", "kconf-cron", "unsynced"]

    /// A gefs9.00 sample, unpacked, with its facts.
    public static func sample9(_ name: String) throws -> (path: String, facts: [String: Any]) {
        let data = try Data(contentsOf: dir.appendingPathComponent("samples9/\(name).img.facts.json"))
        return (try unpack("samples9/\(name).img"), try JSONSerialization.jsonObject(with: data) as! [String: Any])
    }

    /// The facts JSON next to a sample.
    public static func facts(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent("samples/\(name).img.facts.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Where the built tools are: next to the test bundle.
    public static var productsDir: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var d = exe.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: d.appendingPathComponent("mkgefs").path), d.path != "/" {
            d = d.deletingLastPathComponent()
        }
        return d
    }

    public struct Result { public var status: Int32; public var stdout: String; public var stderr: String }

    /// Runs a program, capturing its output.
    @discardableResult
    public static func run(_ exe: String, _ args: [String], env: [String: String] = [:], stdin: String? = nil,
                           cwd: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        if stdin == nil { p.standardInput = FileHandle.nullDevice }
        try p.run()
        // Read both pipes concurrently so that neither fills and blocks the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs one of the package's tools.
    @discardableResult
    public static func tool(_ name: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> Result {
        try run(productsDir.appendingPathComponent(name).path, args, env: env, cwd: cwd)
    }
}
