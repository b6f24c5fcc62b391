// c-blosc 1.x (Debian libblosc-dev, pkg-config blosc): the blosc codec of OME-Zarr chunks.
// Only the *_ctx functions are used: they keep no global state, so they are thread-safe.
#include <stddef.h>
#include <blosc.h>
static inline int emsh_blosc_max_overhead(void) { return BLOSC_MAX_OVERHEAD; }
static inline int emsh_blosc_min_header_length(void) { return BLOSC_MIN_HEADER_LENGTH; }
