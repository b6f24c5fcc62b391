// libzstd (Debian libzstd-dev, pkg-config libzstd): the zstd codec of OME-Zarr chunks.
#include <stddef.h>
#include <zstd.h>
// ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are macros of casted constants: re-exported as values.
static inline unsigned long long emsh_zstd_contentsize_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long emsh_zstd_contentsize_error(void) { return ZSTD_CONTENTSIZE_ERROR; }
