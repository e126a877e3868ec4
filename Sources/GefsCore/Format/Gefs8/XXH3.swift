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

extension XXH3 {
    /// Whether a hash stored on disk accepts the one computed over the bytes. Only the fuzzing
    /// build (`-D GEFS_FUZZ`, scripts/fuzz.sh) accepts every hash, so that a fuzzer's bytes reach
    /// the checks behind the hashes; a normal build never defines GEFS_FUZZ.
    @inlinable public static func accepts(stored: UInt64, computed: UInt64) -> Bool {
        #if GEFS_FUZZ
        return true
        #else
        return stored == computed
        #endif
    }
}
