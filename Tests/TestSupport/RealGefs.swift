import Foundation

/// The genuine 9front gefs built for Linux (`../shared/realgefs`, beside the package; its README
/// says how it works): `mkreal.sh` makes genuine gefs9.00 images through gefs's own ream, file
/// server, console and sync, and runs gefs's own check.
public enum RealGefs {
    /// The kit: `$GEFS_REALGEFS_KIT`, else `../shared/realgefs` next to the package.
    public static var kit: URL {
        if let k = ProcessInfo.processInfo.environment["GEFS_REALGEFS_KIT"] { return URL(fileURLWithPath: k) }
        return Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/realgefs")
    }

    /// Where the kit builds `realgefs`: `$REALGEFS_BUILD`, else `$TMPDIR/gefs-realgefs`, as
    /// mkreal.sh does, so that every test process shares one build.
    static var buildDir: String {
        let env = ProcessInfo.processInfo.environment
        return env["REALGEFS_BUILD"] ?? ((env["TMPDIR"] ?? "/tmp") + "/gefs-realgefs")
    }

    /// The `realgefs` binary, built (or found up to date) once per test process; nil with the
    /// reason when it cannot be built here.
    public static let binary: Result<String, RealGefsUnavailable> = {
        let script = kit.appendingPathComponent("mkreal.sh").path
        guard FileManager.default.isExecutableFile(atPath: script) else {
            return .failure(RealGefsUnavailable(reason: "no realgefs kit at \(kit.path) (set GEFS_REALGEFS_KIT)"))
        }
        let dir = buildDir
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let make = "make -s -j2 -C '\(kit.path)' O='\(dir)'"
        let cmd = "if command -v flock >/dev/null 2>&1; then flock '\(dir)/.lock' \(make); else \(make); fi"
        guard let r = try? Fixtures.run("/bin/sh", ["-c", cmd]), r.status == 0 else {
            let why = (try? Fixtures.run("/bin/sh", ["-c", cmd]))?.stderr ?? "cannot run make"
            return .failure(RealGefsUnavailable(reason: "realgefs does not build: \(why.suffix(400))"))
        }
        return .success(dir + "/realgefs")
    }()

    /// Runs `mkreal.sh` with `args` through the built binary.
    @discardableResult
    public static func mkreal(_ args: [String]) throws -> Fixtures.Result {
        let bin = try binary.get()
        return try Fixtures.run(kit.appendingPathComponent("mkreal.sh").path, args, env: ["REALGEFS": bin])
    }
}

public struct RealGefsUnavailable: Error, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
