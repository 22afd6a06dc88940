// OpenBLAS's CBLAS interface plus its runtime controls (thread count, core name, build config).
// Debian keeps cblas.h under an openblas-pthread include folder that pkg-config "openblas" reports.
#ifndef CONSISTENCY_TD_COPENBLAS_SHIM_H
#define CONSISTENCY_TD_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
