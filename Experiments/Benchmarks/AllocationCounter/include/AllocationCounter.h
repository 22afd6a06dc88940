// Counts heap allocations made through malloc, calloc, realloc and the aligned allocators.
//
// Linking this target into an executable interposes those functions (glibc resolves them to the
// executable's definitions first); each call is counted and forwarded to glibc's own allocator. The
// benchmark and the allocation tests use it to prove that a training step allocates nothing after its
// first call. Counts are kept per thread (what the calling thread allocated) and for the process.
#ifndef CONSISTENCY_TD_ALLOCATION_COUNTER_H
#define CONSISTENCY_TD_ALLOCATION_COUNTER_H
#include <stdint.h>

/// Allocations made by the calling thread since the process started.
uint64_t allocation_counter_thread_count(void);
/// Allocations made by every thread since the process started.
uint64_t allocation_counter_process_count(void);
/// Allocations made by the calling thread from inside libopenblas (its threaded level-3 driver
/// mallocs a job array per call when built with a large MAX_THREADS, as Debian's is). Counted only
/// after allocation_counter_locate_blas().
uint64_t allocation_counter_thread_blas_count(void);
/// Finds libopenblas's code in memory so allocations it makes can be told apart. Call once, early.
void allocation_counter_locate_blas(void);
/// The code address that made the calling thread's last allocation outside libopenblas (diagnostics).
void *allocation_counter_thread_last_caller(void);
/// 1 when this process's malloc really is the counting one (the interposition took effect).
int allocation_counter_is_active(void);

#endif
