import CMetroHash

/// MetroHash64_1 through libmetrohash: gefs9.00's hash `H` (FORMAT-9FRONT.md §2) is this with
/// the default seed 0x6765, the 8 bytes the library writes read as a little-endian `u64`.
public enum MetroHash64 {
    /// The seed gefs9.00 hashes with ("ge", the superblock's first two bytes).
    public static let gefsSeed: UInt32 = 0x6765

    @inlinable public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = gefsSeed) -> UInt64 {
        gefs_metrohash64_1(bytes.baseAddress, bytes.count, seed)
    }

    /// Hash of `bytes[range]`.
    @inlinable public static func hash(_ bytes: [UInt8], _ range: Range<Int>? = nil, seed: UInt32 = gefsSeed) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            hash(UnsafeRawBufferPointer(rebasing: raw[range ?? 0..<raw.count]), seed: seed)
        }
    }
}
