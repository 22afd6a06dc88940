import AllocationCounter
import Foundation
import Tensors

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

    /// The verdict of an allocation test in an exit test's child process: runs `step` once to warm up,
    /// sets OpenBLAS to one thread (in this child only: other tests compare trainings bit for bit), then
    /// exits 0 if `repetitions` more steps allocate nothing from the toolkit's code, 1 if they
    /// allocate, 2 if the allocation counter is not interposed in the test binary.
    static func exitWithAllocationVerdict(repetitions: Int, _ step: () throws -> Void) throws -> Never {
        try step()
        BLASRuntime.threadCount = 1
        guard let allocations = try toolkitAllocations(in: { for _ in 0..<repetitions { try step() } }) else { exit(2) }
        exit(allocations == 0 ? 0 : 1)
    }
}
