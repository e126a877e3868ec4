import Foundation

/// The genuine 9front gefs on Linux (`../shared/realgefs`, beside the package root), driven
/// through its `mkreal.sh`. It builds itself on first use; when it cannot be found or built,
/// `unavailable` says why and tests skip with that reason.
public enum RealGefs {
    public static let kit = Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/realgefs")
    public static var script: String { kit.appendingPathComponent("mkreal.sh").path }

    /// Why the kit cannot be used here, or nil when it built.
    public static let unavailable: String? = {
        guard FileManager.default.fileExists(atPath: script) else { return "no genuine gefs kit at \(kit.path)" }
        let build = ProcessInfo.processInfo.environment["REALGEFS_BUILD"]
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("gefs-realgefs")
        // As mkreal.sh builds: serialised with flock, so that parallel runs share one build.
        let sh = "mkdir -p \"$B\" && if command -v flock >/dev/null; then flock \"$B/.lock\" make -s -j2 -C \"$K\" O=\"$B\"; " +
            "else make -s -j2 -C \"$K\" O=\"$B\"; fi"
        guard let r = try? Fixtures.run("/bin/sh", ["-c", sh], env: ["B": build, "K": kit.path]) else {
            return "cannot run make for the genuine gefs"
        }
        guard r.status == 0 else { return "the genuine gefs does not build here: \(r.stderr.suffix(400))" }
        return nil
    }()

    /// Runs `mkreal.sh` with `args`.
    @discardableResult
    public static func run(_ args: [String]) throws -> Fixtures.Result {
        try Fixtures.run("/bin/sh", [script] + args)
    }

    /// gefs's own check: status 0 and "check: ok" when it passes.
    public static func check(_ image: String) throws -> Fixtures.Result { try run(["--check", image]) }

    /// Every path of the snapshot `snap` as the genuine file server lists and reads it.
    public static func list(_ image: String, snap: String = "main") throws -> (result: Fixtures.Result, entries: [[String: Any]]) {
        let r = try run(["--ls", image, "--snap", snap, "--json"])
        let entries = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
        return (r, entries)
    }

    /// The write test: create, append, snapshot, sync, halt, check, read back.
    public static func writeTest(_ image: String) throws -> (result: Fixtures.Result, report: [String: Any]) {
        let r = try run(["--ls", image, "--write-test", "--json"])
        let report = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        return (r, report)
    }
}
