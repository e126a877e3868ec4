/// `n` bytes in binary units, e.g. `16 MiB`, `1.5 GiB`.
public func humanSize(_ n: Int64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var u = 0
    var scale: Int64 = 1
    while u + 1 < units.count, n / 1024 >= scale { scale *= 1024; u += 1 }
    if u == 0 { return "\(n) bytes" }
    if n % scale == 0 { return "\(n / scale) \(units[u])" }
    // In parts that cannot overflow, whatever a hostile superblock claims.
    let tenths = n / scale * 10 + (n % scale * 10 + scale / 2) / scale
    return "\(tenths / 10).\(tenths % 10) \(units[u])"
}

/// Parses a size: bytes, or a number with a binary K, M, G or T suffix (`iB` or `B` may follow).
/// Throws `SizeTextError.bad`.
public func parseByteSize(_ text: String) throws -> Int64 {
    var s = Substring(text.lowercased())
    for suffix in ["ib", "b"] where s.hasSuffix(suffix) && s.count > suffix.count {
        s = s.dropLast(suffix.count); break
    }
    var shift: Int64 = 0
    if let last = s.last, let i = "kmgt".firstIndex(of: last) {
        shift = Int64(10 * ("kmgt".distance(from: "kmgt".startIndex, to: i) + 1))
        s = s.dropLast()
    }
    guard let n = Int64(s), n >= 0 else { throw SizeTextError.bad(text) }
    let (v, o) = n.multipliedReportingOverflow(by: 1 << shift)
    guard !o else { throw SizeTextError.bad(text) }
    return v
}

/// A size that `parseByteSize` cannot read.
public enum SizeTextError: Error, Equatable, CustomStringConvertible {
    case bad(String)
    public var description: String {
        switch self {
        case let .bad(s): return "bad size \"\(s)\": expected a number of bytes with an optional K, M, G or T suffix"
        }
    }
}
