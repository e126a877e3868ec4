#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FormatOptions {
    /// The format time: `SOURCE_DATE_EPOCH` (whole seconds) when set, else now.
    public static func time(sourceDateEpoch: String?) throws -> Int64 {
        if let s = sourceDateEpoch {
            guard let secs = Int64(s), secs >= 0, secs <= Int64.max / 1_000_000_000 else { throw FormatterError.badTime(s) }
            return secs * 1_000_000_000
        }
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
