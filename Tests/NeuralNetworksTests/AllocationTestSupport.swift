import AllocationCounter

extension LayerTestSupport {
    /// Heap allocations the calling thread makes in `body` from the toolkit's own code, leaving out
    /// those made inside libopenblas (Debian's build mallocs in its threaded and small-matrix sgemm
    /// paths, which no caller can avoid); nil when the counter is not interposed.
    static func toolkitAllocations(in body: () throws -> Void) rethrows -> UInt64? {
        guard allocation_counter_is_active() != 0 else { return nil }
        allocation_counter_locate_blas()
        let before = allocation_counter_thread_count(), blasBefore = allocation_counter_thread_blas_count()
        try body()
        let blas = allocation_counter_thread_blas_count() - blasBefore
        return allocation_counter_thread_count() - before - blas
    }
}
