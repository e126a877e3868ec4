/// A half-open key range `[lo, hi)` in key order (FORMAT.md §9.1); a nil bound is open.
public struct KeyRange: Equatable, Sendable, CustomStringConvertible {
    /// Lowest key in the range; nil: no lower bound.
    public var lo: [UInt8]?
    /// First key above the range; nil: no upper bound.
    public var hi: [UInt8]?

    public init(lo: [UInt8]? = nil, hi: [UInt8]? = nil) { self.lo = lo; self.hi = hi }

    /// Every key.
    public static let all = KeyRange()

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(lo: prefix, hi: successor(ofPrefix: prefix))
    }

    /// The smallest key above every key that starts with `p`, or nil when there is none.
    static func successor(ofPrefix p: [UInt8]) -> [UInt8]? {
        var s = p
        while let last = s.last {
            if last < 0xff { s[s.count - 1] = last + 1; return s }
            s.removeLast()
        }
        return nil
    }

    public func contains(_ key: [UInt8]) -> Bool {
        if let lo, compareKeys(key, lo) < 0 { return false }
        if let hi, compareKeys(key, hi) >= 0 { return false }
        return true
    }

    /// Whether the two ranges share at least one key.
    public func overlaps(_ o: KeyRange) -> Bool {
        let lo = KeyRange.maxLo(self.lo, o.lo)
        let hi = KeyRange.minHi(self.hi, o.hi)
        guard let hi else { return true }
        guard let lo else { return true }
        return compareKeys(lo, hi) < 0
    }

    static func maxLo(_ a: [UInt8]?, _ b: [UInt8]?) -> [UInt8]? {
        guard let a else { return b }
        guard let b else { return a }
        return compareKeys(a, b) >= 0 ? a : b
    }
    static func minHi(_ a: [UInt8]?, _ b: [UInt8]?) -> [UInt8]? {
        guard let a else { return b }
        guard let b else { return a }
        return compareKeys(a, b) <= 0 ? a : b
    }

    /// The keys child `i` of a pivot covers, the pivot covering `self` and holding `records`:
    /// from the child's key (the pivot's low bound for the first) to the next child's key (the
    /// pivot's high bound for the last).
    func child(_ i: Int, of records: [Record]) -> KeyRange {
        KeyRange(lo: i == 0 ? lo : records[i].key, hi: i == records.count - 1 ? hi : records[i + 1].key)
    }

    public var description: String {
        "[\(lo.map(KeyRange.show) ?? "-inf"), \(hi.map(KeyRange.show) ?? "+inf"))"
    }

    /// A key for messages: decoded when it decodes, else its bytes in hex.
    public static func show(_ key: [UInt8]) -> String {
        if let k = try? Key.decode(key) { return k.description }
        return key.isEmpty ? "<empty key>" : "<" + key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + ">"
    }
}

extension ArraySlice where Element == Message {
    /// The messages whose keys lie in `r`; the slice must be sorted by key.
    func restricted(to r: KeyRange) -> ArraySlice<Message> {
        let lo = r.lo.map { lowerBound($0) } ?? startIndex
        let hi = r.hi.map { lowerBound($0) } ?? endIndex
        return lo < hi ? self[lo..<hi] : self[lo..<lo]
    }

    /// Index of the first message whose key is not below `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        var a = startIndex, b = endIndex
        while a < b {
            let m = (a + b) / 2
            if compareKeys(self[m].key, key) < 0 { a = m + 1 } else { b = m }
        }
        return a
    }
}
