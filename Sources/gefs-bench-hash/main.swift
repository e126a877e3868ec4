import GefsCore
#if canImport(Glibc)
import Glibc
#endif

// gefs-bench-hash FORMAT FILE [BYTES]: the hash floor of scripts/bench.sh — the format's block
// hash (gefs9.00: MetroHash64_1; gefs8.00: XXH3-64), through the same library the tools use, over
// the first BYTES bytes of FILE (default all) in 16 KiB blocks, on one core. Prints the bytes
// hashed, the seconds and a checksum of the hashes (so the work cannot be skipped). Not
// installed; a benchmark tool only.

let args = CommandLine.arguments
guard args.count == 3 || args.count == 4, let format = DiskFormats.named(args[1]),
      let limit = args.count == 4 ? Int64(args[3]) : Int64.max else {
    printError("usage: gefs-bench-hash gefs8.00|gefs9.00 FILE [BYTES]")
    exit(2)
}
let fd = open(args[2], O_RDONLY)
guard fd >= 0 else {
    printError("gefs-bench-hash: \(args[2]): \(String(cString: strerror(errno)))")
    exit(1)
}
let B = Format.blockSize, run = 64 * B
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: run, alignment: 4096)
var ts = timespec(), te = timespec()
clock_gettime(CLOCK_MONOTONIC, &ts)
var done: Int64 = 0, sum: UInt64 = 0
while done < limit {
    let n = pread(fd, buffer.baseAddress, Int(min(Int64(run), limit - done)), off_t(done))
    guard n > 0 else { break }
    var o = 0
    while o + B <= n {
        sum &+= format.hash(UnsafeRawBufferPointer(rebasing: buffer[o..<o + B]))
        o += B
    }
    done += Int64(o)
    if o < n { break }
}
clock_gettime(CLOCK_MONOTONIC, &te)
let seconds = Double(te.tv_sec - ts.tv_sec) + Double(te.tv_nsec - ts.tv_nsec) / 1e9
print("\(done) bytes \(seconds) s sum \(hex(sum))")
