// libdeflate (Debian libdeflate-dev) for Swift: whole-buffer DEFLATE compression in the zlib
// format, the write side of HDF5's gzip filter for direct chunk writes.
#ifndef CONSISTENCY_TD_CLIBDEFLATE_SHIM_H
#define CONSISTENCY_TD_CLIBDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
