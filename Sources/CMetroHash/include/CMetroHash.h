#ifndef GEFS_CMETROHASH_H
#define GEFS_CMETROHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MetroHash64_1 of `n` bytes at `p` with `seed`, through Debian's libmetrohash
   (`metrohash64_1`, a C++ symbol): the 8 bytes it writes, read as a little-endian u64.
   gefs9.00's hash H is this with seed 0x6765 (FORMAT-9FRONT.md §2). `p` may be NULL when `n`
   is 0. */
uint64_t gefs_metrohash64_1(const void *p, size_t n, uint32_t seed);

#ifdef __cplusplus
}
#endif

#endif
