/// Figures about an arena's free space: extent count, largest extent, a power-of-two histogram
/// of extent sizes (like `zdb -mm`) and a fragmentation figure.
public struct FreeSpaceStats: Equatable, Sendable {
    public var freeBytes: Int64 = 0
    public var extents = 0
    public var largest: Int64 = 0
    /// `histogram[k]` counts free extents of `2^k ..< 2^(k+1)` blocks.
    public var histogram: [Int] = []

    public init(extents list: [(addr: Int64, len: Int64)]) {
        for e in list {
            freeBytes += e.len
            largest = max(largest, e.len)
            let blocks = e.len / Format.blockSize64
            let k = 63 - blocks.leadingZeroBitCount
            if histogram.count <= k { histogram += [Int](repeating: 0, count: k + 1 - histogram.count) }
            histogram[k] += 1
        }
        extents = list.count
    }

    public init(_ free: BlockBitmap) { self.init(extents: free.extents) }

    /// Percentage of free space lying outside the largest free extent: 0 when all free space is
    /// one extent (or none is free), near 100 when it is scattered in small pieces.
    public var fragmentation: Int {
        freeBytes == 0 ? 0 : Int((100 * (freeBytes - largest)) / freeBytes)
    }

    /// The label of histogram bucket `k`, in blocks: `1`, `2-3`, `4-7`, …
    public static func bucketLabel(_ k: Int) -> String {
        k == 0 ? "1" : "\(1 << k)-\((1 << (k + 1)) - 1)"
    }
}
