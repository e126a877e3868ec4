// A C entry point for Swift over libmetrohash's C++ `metrohash64_1` (FORMAT-9FRONT.md §2).
#include "CMetroHash.h"

#include <metrohash/metrohash64.h>

extern "C" uint64_t gefs_metrohash64_1(const void *p, size_t n, uint32_t seed) {
    static const uint8_t none = 0;
    uint8_t out[8];
    metrohash64_1(p ? static_cast<const uint8_t *>(p) : &none, static_cast<uint64_t>(n), seed, out);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | out[i];
    return h;
}
