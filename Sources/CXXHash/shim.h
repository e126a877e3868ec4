#include <xxhash.h>

/* libxxhash on x86-64 also exports XXH3 entry points that pick the widest vector unit the CPU
   has (SSE2, AVX2, AVX-512) at run time; the plain XXH3_64bits is built for SSE2 only and
   hashes at half the speed. The result is the same either way. */
#if defined(__x86_64__) && defined(__has_include)
#  if __has_include(<xxh_x86dispatch.h>)
#    define XXH_DISPATCH_DISABLE_REPLACE 1
#    include <xxh_x86dispatch.h>
#    define GEFS_XXH3_DISPATCH 1
#  endif
#endif

/* XXH3-64, seed 0, default secret (FORMAT.md §2), as fast as this CPU allows. */
static inline XXH64_hash_t gefs_xxh3_64(const void *input, size_t length) {
#ifdef GEFS_XXH3_DISPATCH
    return XXH3_64bits_dispatch(input, length);
#else
    return XXH3_64bits(input, length);
#endif
}
