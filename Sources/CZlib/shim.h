// zlib (Debian zlib1g-dev, a dependency of libhdf5-dev) for Swift: the deflate side of HDF5's
// gzip filter, used to encode chunks before `H5Dwrite_chunk`.
//
// deflateInit2 is a macro that passes ZLIB_VERSION and sizeof(z_stream) to deflateInit2_; Swift
// cannot import such macros, so the one initialisation the wrapper needs is a static inline here.
#ifndef CONSISTENCY_TD_CZLIB_SHIM_H
#define CONSISTENCY_TD_CZLIB_SHIM_H
#include <zlib.h>

// A raw deflate stream (no zlib header or trailer: windowBits -15, a 32 KiB window) at `level`,
// with zlib's default memory level (8) and strategy, as zlib's compress2 uses.
static inline int czlib_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

#endif
