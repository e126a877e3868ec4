import GefsCore
import GefsFuzz
#if canImport(Glibc)
import Glibc
#endif

// gefs-fuzz: the fuzz targets of GefsFuzz. Built by scripts/fuzz.sh with `--sanitize=fuzzer
// -D GEFS_FUZZ` it is a libFuzzer binary (the target named by GEFS_FUZZ_TARGET; hashes not
// checked); built normally it replays inputs through the targets, hashes checked.

#if GEFS_FUZZ
nonisolated(unsafe) var harness: FuzzHarness?
nonisolated(unsafe) var target = FuzzTarget.fsck

/// libFuzzer calls this once before fuzzing: the target and the bases come from the
/// environment. With GEFS_FUZZ_SEEDS set it writes the seed corpus there instead and exits.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutableRawPointer, _ argv: UnsafeMutableRawPointer) -> CInt {
    func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
    do {
        let h = try FuzzHarness(bases: FuzzHarness.bases(directory: env("GEFS_FUZZ_BASES")),
                                bases9: FuzzHarness.bases9(directory: env("GEFS_FUZZ_BASES9")))
        if let out = env("GEFS_FUZZ_SEEDS") {
            let counts = try h.writeSeeds(corpus: env("GEFS_FUZZ_CORPUS") ?? ".", to: out)
            for t in FuzzTarget.allCases { print("\(t.rawValue): \(counts[t] ?? 0) seeds") }
            exit(0)
        }
        guard let name = env("GEFS_FUZZ_TARGET"), let t = FuzzTarget(rawValue: name) else {
            printError("gefs-fuzz: set GEFS_FUZZ_TARGET to one of: " + FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))
            exit(2)
        }
        guard !t.needsGefs9 || !h.bases9.isEmpty else {
            printError("gefs-fuzz: \(name) needs the genuine gefs9.00 bases: set GEFS_FUZZ_BASES9 to a directory of them")
            exit(2)
        }
        target = t
        h.verbose = env("GEFS_FUZZ_VERBOSE") != nil
        harness = h
    } catch {
        printError("gefs-fuzz: \(error)")
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    harness!.run(target, size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzMain {
    static let usage = """
        usage: gefs-fuzz list
               gefs-fuzz run TARGET [--bases DIR] [--bases9 DIR] [-v] INPUT...    (files, or directories of them)
               gefs-fuzz seeds [--bases DIR] [--bases9 DIR] --corpus DIR OUT
        """

    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
            defer { args.removeSubrange(i...i + 1) }
            return args[i + 1]
        }
        let basesDir = option("--bases"), bases9Dir = option("--bases9"), corpus = option("--corpus")
        let verbose = args.contains("-v")
        args.removeAll { $0 == "-v" }
        do {
            switch (args.first, args.count) {
            case ("list", 1):
                for t in FuzzTarget.allCases { print(t.rawValue) }
            case ("run", 3...):
                guard let t = FuzzTarget(rawValue: args[1]) else { fail("no target \(args[1])") }
                let h = try FuzzHarness(bases: FuzzHarness.bases(directory: basesDir), bases9: FuzzHarness.bases9(directory: bases9Dir))
                if t.needsGefs9, h.bases9.isEmpty { fail("\(t.rawValue) needs the genuine gefs9.00 bases: --bases9 DIR") }
                h.verbose = verbose
                var n = 0
                for f in args.dropFirst(2).flatMap(Files.list) {
                    h.run(t, try Files.read(f))
                    n += 1
                }
                print("\(t.rawValue): \(n) inputs, no crash")
            case ("seeds", 2):
                guard let corpus else { fail("seeds needs --corpus DIR") }
                let h = try FuzzHarness(bases: FuzzHarness.bases(directory: basesDir), bases9: FuzzHarness.bases9(directory: bases9Dir))
                let counts = try h.writeSeeds(corpus: corpus, to: args[1])
                for t in FuzzTarget.allCases { print("\(t.rawValue): \(counts[t] ?? 0) seeds") }
            default:
                fail(nil)
            }
        } catch {
            printError("gefs-fuzz: \(error)")
            exit(1)
        }
    }

    static func fail(_ why: String?) -> Never {
        if let why { printError("gefs-fuzz: \(why)") }
        printError(usage)
        exit(2)
    }
}
#endif
