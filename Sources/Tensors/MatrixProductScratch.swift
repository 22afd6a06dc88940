#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread packing buffers of ``PackedMatrixMultiply``: one row block of A (`rowsPerTile × depth`, plus
/// a vector of padding) and one depth block of a chunk of B (`depth ×` the chunk's whole column panels).
///
/// Each thread that multiplies gets its own buffers (a POSIX thread-specific value, freed when the thread
/// exits), so two ``ParallelLanes`` can multiply at once. A buffer only grows — the first product of a
/// new, larger shape allocates and every later call reuses — so a training step allocates nothing
/// after warm-up. Buffers are 64-byte aligned (one cache line, one AVX-512 register).
final class MatrixProductScratch {
    private let bufferA = GrowableFloatBuffer(capacity: 16)
    private let bufferB = GrowableFloatBuffer(capacity: 16)

    /// The packed row block of A.
    var packedA: UnsafeMutablePointer<Float> { bufferA.pointer }
    /// The packed depth block of B.
    var packedB: UnsafeMutablePointer<Float> { bufferB.pointer }

    private init() {}

    /// Makes room for `countA` floats of packed A and `countB` of packed B (contents are not kept).
    func reserve(packedA countA: Int, packedB countB: Int) {
        bufferA.reserve(countA)
        bufferB.reserve(countB)
    }

    /// The calling thread's buffers (created on its first product).
    static var current: MatrixProductScratch {
        let key = matrixProductScratchKey
        if let existing = pthread_getspecific(key) {
            return Unmanaged<MatrixProductScratch>.fromOpaque(existing).takeUnretainedValue()
        }
        let scratch = MatrixProductScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }
}

/// The thread-specific key holding each thread's ``MatrixProductScratch``; its destructor releases the
/// buffers when the thread exits.
private let matrixProductScratchKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { pointer in
        #if canImport(Darwin)
        Unmanaged<MatrixProductScratch>.fromOpaque(pointer).release()
        #else
        if let pointer { Unmanaged<MatrixProductScratch>.fromOpaque(pointer).release() }
        #endif
    }
    return key
}()
