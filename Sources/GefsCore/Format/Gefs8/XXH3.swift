import CXXHash

/// XXH3-64 with the default secret and seed 0, through libxxhash (FORMAT.md §2).
public enum XXH3 {
    @inlinable public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(gefs_xxh3_64(bytes.baseAddress, bytes.count))
    }

    /// Hash of `bytes[range]`.
    @inlinable public static func hash(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            let r = range ?? 0..<raw.count
            return hash(UnsafeRawBufferPointer(rebasing: raw[r]))
        }
    }
}
