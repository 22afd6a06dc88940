#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread packing buffers of ``PackedMatrixMultiply``: one row block of A (`rowsPerTile × depth`)
/// and one depth block of B (`depth × n`, rounded up to whole column panels).
///
/// Each thread that multiplies gets its own buffers (a POSIX thread-specific value, freed when the thread
/// exits), so two ``ParallelLanes`` can multiply at once. A buffer only grows — the first product of a
/// new, larger shape allocates and every later call reuses — so a training step allocates nothing
/// after warm-up. Buffers are 64-byte aligned (one cache line, one AVX-512 register).
final class MatrixProductScratch {
    private(set) var packedA: UnsafeMutablePointer<Float>
    private(set) var packedB: UnsafeMutablePointer<Float>
    private var capacityA: Int
    private var capacityB: Int

    private init() {
        capacityA = 0
        capacityB = 0
        packedA = Self.allocate(0)
        packedB = Self.allocate(0)
    }

    deinit {
        packedA.deallocate()
        packedB.deallocate()
    }

    /// Makes room for `countA` floats of packed A and `countB` of packed B (contents are not kept).
    func reserve(packedA countA: Int, packedB countB: Int) {
        if countA > capacityA {
            packedA.deallocate()
            packedA = Self.allocate(countA)
            capacityA = countA
        }
        if countB > capacityB {
            packedB.deallocate()
            packedB = Self.allocate(countB)
            capacityB = countB
        }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 16))
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
