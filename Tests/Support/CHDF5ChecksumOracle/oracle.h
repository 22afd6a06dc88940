// Test-only: libhdf5's own Fletcher-32, the function its checksum filter calls. libhdf5.so exports
// it (H5checksum.c) but no public header declares it, so the tests declare it here and use it as
// an oracle for the Swift implementation. Nothing outside the tests links against it.
#ifndef CONSISTENCY_TD_CHDF5_CHECKSUM_ORACLE_H
#define CONSISTENCY_TD_CHDF5_CHECKSUM_ORACLE_H
#include <stddef.h>
#include <stdint.h>

uint32_t H5_checksum_fletcher32(const void *data, size_t length);

#endif
