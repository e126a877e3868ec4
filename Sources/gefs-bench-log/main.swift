import GefsCore
import GefsSynthetic
#if canImport(Glibc)
import Glibc
#endif

// gefs-bench-log ENTRIES IMAGE: writes a one-arena image whose allocation log holds at least
// ENTRIES committed entries (GefsSynthetic's SyntheticLog), the replay and logdump input of
// scripts/bench.sh. Not installed; a benchmark input generator only.

let args = CommandLine.arguments
guard args.count == 3, let entries = Int(args[1]), entries > 0 else {
    printError("usage: gefs-bench-log ENTRIES IMAGE")
    exit(2)
}
let path = args[2]
let synth = SyntheticLog(entries: entries)
// The sync writer writes whole blocks into an existing file of the image's size.
let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
guard fd >= 0, ftruncate(fd, off_t(synth.imageSize)) == 0, close(fd) == 0 else {
    printError("gefs-bench-log: \(path): cannot create: \(String(cString: strerror(errno)))")
    exit(1)
}
do {
    let sb = try synth.write(to: try FileDevice(path: path, writable: true))
    print("\(path): \(synth.imageSize) bytes, qgen \(sb.qgen)")
} catch {
    printError("gefs-bench-log: \(error)")
    exit(1)
}
