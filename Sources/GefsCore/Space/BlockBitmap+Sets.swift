/// Set operations between bitmaps over the same span (an arena's allocatable region).
extension BlockBitmap {
    /// Blocks set in either.
    public func union(_ o: BlockBitmap) -> BlockBitmap { combine(o) { $0 | $1 } }
    /// Blocks set in both.
    public func intersection(_ o: BlockBitmap) -> BlockBitmap { combine(o) { $0 & $1 } }
    /// Blocks set here and not in `o`.
    public func subtracting(_ o: BlockBitmap) -> BlockBitmap { combine(o) { $0 & ~$1 } }

    func combine(_ o: BlockBitmap, _ f: (UInt64, UInt64) -> UInt64) -> BlockBitmap {
        precondition(start == o.start && count == o.count, "bitmaps over different spans")
        var r = self
        for i in r.words.indices { r.words[i] = f(words[i], o.words[i]) }
        return r
    }

    /// Sets the bit of `addr` when the bitmap covers it.
    public mutating func insert(_ addr: Int64) {
        if let r = indices(addr, Format.blockSize64) { self[r.lowerBound] = true }
    }

    /// Sets the bits of the given block addresses (those inside the span).
    public mutating func insert<S: Sequence>(blocks: S) where S.Element == Int64 {
        for a in blocks { insert(a) }
    }

    /// Clears the bit of one block address, if inside the span.
    public mutating func remove(block a: Int64) {
        if let r = indices(a, Format.blockSize64) { self[r.lowerBound] = false }
    }

    /// The address of block index `i`.
    public func address(_ i: Int) -> Int64 { start + Int64(i) * Format.blockSize64 }
}
