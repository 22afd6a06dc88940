// Test-only: zlib (Debian zlib1g-dev, a dependency of libhdf5-dev), an independent implementation
// of the zlib format that the tests use to inflate (and compare) the streams HDF5's gzip stage makes.
#ifndef CONSISTENCY_TD_CZLIB_SHIM_H
#define CONSISTENCY_TD_CZLIB_SHIM_H
#include <zlib.h>
#endif
