/// A set of blocks as one bit per block over a fixed span of addresses. Range operations work a
/// word at a time, so replaying millions of log entries allocates nothing per entry.
public struct BlockBitmap: Equatable, Sendable {
    /// Address of bit 0.
    public let start: Int64
    /// Number of blocks covered.
    public let count: Int
    var words: [UInt64]

    public init(start: Int64, count: Int, filled: Bool = false) {
        self.start = start
        self.count = count
        words = [UInt64](repeating: filled ? ~0 : 0, count: (count + 63) / 64)
        if filled { clearTail() }
    }

    /// Covers the addresses `range` (block aligned).
    public init(covering range: Range<Int64>, filled: Bool = false) {
        self.init(start: range.lowerBound, count: Int((range.upperBound - range.lowerBound) / Format.blockSize64), filled: filled)
    }

    mutating func clearTail() {
        let r = count % 64
        if r != 0 { words[words.count - 1] &= (1 << UInt64(r)) - 1 }
    }

    /// The addresses covered.
    public var span: Range<Int64> { start ..< start + Int64(count) * Format.blockSize64 }

    /// Block indices of the address range, or nil when it leaves the span or is not aligned.
    @inlinable public func indices(_ addr: Int64, _ len: Int64) -> Range<Int>? {
        let B = Format.blockSize64
        guard len > 0, addr % B == 0, len % B == 0, addr >= start else { return nil }
        let first = (addr - start) / B
        let (n, o) = first.addingReportingOverflow(len / B)
        guard !o, n <= Int64(count) else { return nil }
        return Int(first) ..< Int(n)
    }

    public func contains(_ addr: Int64) -> Bool {
        guard let r = indices(addr, Format.blockSize64) else { return false }
        return self[r.lowerBound]
    }

    public subscript(i: Int) -> Bool {
        get { words[i >> 6] >> UInt64(i & 63) & 1 != 0 }
        set {
            if newValue { words[i >> 6] |= 1 << UInt64(i & 63) } else { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
        }
    }

    /// Calls `body(wordIndex, mask)` for each word the block range touches.
    @inline(__always) func forEachWord(_ r: Range<Int>, _ body: (Int, UInt64) -> Void) {
        var i = r.lowerBound
        while i < r.upperBound {
            let w = i >> 6, bit = i & 63
            let n = Swift.min(64 - bit, r.upperBound - i)
            let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit)
            body(w, mask)
            i += n
        }
    }

    /// Number of set bits in the range.
    public func countSet(_ r: Range<Int>) -> Int {
        var n = 0
        forEachWord(r) { w, m in n += (words[w] & m).nonzeroBitCount }
        return n
    }
    public func allSet(_ r: Range<Int>) -> Bool { countSet(r) == r.count }
    public func noneSet(_ r: Range<Int>) -> Bool { countSet(r) == 0 }

    public mutating func set(_ r: Range<Int>) {
        forEachWord(r) { w, m in words[w] |= m }
    }
    public mutating func clear(_ r: Range<Int>) {
        forEachWord(r) { w, m in words[w] &= ~m }
    }

    /// Total set bits.
    public var setCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Maximal runs of set bits, as (address, length in bytes), in address order.
    public var extents: [(addr: Int64, len: Int64)] {
        var out: [(Int64, Int64)] = []
        var i = 0
        while i < count {
            i = nextSet(from: i)
            guard i < count else { break }
            let j = nextClear(from: i)
            out.append((start + Int64(i) * Format.blockSize64, Int64(j - i) * Format.blockSize64))
            i = j
        }
        return out
    }

    /// First set bit at or after `i`, or `count`.
    public func nextSet(from i: Int) -> Int { scan(from: i, invert: false) }
    /// First clear bit at or after `i`, or `count`.
    public func nextClear(from i: Int) -> Int { scan(from: i, invert: true) }

    func scan(from i: Int, invert: Bool) -> Int {
        guard i < count else { return count }
        var w = i >> 6
        var word = (invert ? ~words[w] : words[w]) & (~0 << UInt64(i & 63))
        while word == 0 {
            w += 1
            guard w < words.count else { return count }
            word = invert ? ~words[w] : words[w]
        }
        return Swift.min(count, w << 6 + word.trailingZeroBitCount)
    }

    /// The bits of blocks `first ..< first + n` as a bitmap of its own over `range` (n blocks),
    /// a word at a time.
    public func slice(from first: Int, covering range: Range<Int64>) -> BlockBitmap {
        var out = BlockBitmap(covering: range)
        let shift = UInt64(first & 63)
        for w in out.words.indices {
            let src = first >> 6 + w
            let lo = src < words.count ? words[src] >> shift : 0
            let hi = shift != 0 && src + 1 < words.count ? words[src + 1] << (64 - shift) : 0
            out.words[w] = lo | hi
        }
        out.clearTail()
        return out
    }

    /// Block addresses of the set bits, in order.
    public var addresses: [Int64] {
        var out: [Int64] = []
        var i = nextSet(from: 0)
        while i < count { out.append(start + Int64(i) * Format.blockSize64); i = nextSet(from: i + 1) }
        return out
    }
}
