import Foundation
import Synchronization

/// The Float32 fused multiply-add rate the cores reach right now with everything in registers: the
/// ceiling of any matrix product on this machine, and so, with the step's FLOP count, a floor on any
/// engine's step time that computes the same Float32 products:
///
///     floor ms = FLOPs of the step's matrix products / (peak GFLOP/s · 10⁶)
///
/// Each of `threads` threads runs 12 independent chains of 16-lane FMAs, cᵢ ← cᵢ + x·y (twelve
/// `SIMD16<Float>` in 512-bit registers: enough independent chains to cover the FMA latency on current
/// x86 cores), and reports its own rate; the peak is the sum over threads, the best of a
/// few repetitions. The machine is shared, so measure it next to the step it is compared with.
enum FusedMultiplyAddPeak {
    /// FMAs per chain and repetition: 2·10⁷ iterations × 12 chains × 16 lanes × 2 FLOP ≈ 7.7 GFLOP per thread.
    static let iterations = 20_000_000

    /// Peak GFLOP/s of `threads` threads running at once (best of `repetitions`).
    static func measure(threads: Int, repetitions: Int = 3) -> Double {
        var best = 0.0
        for _ in 0..<repetitions {
            let total = Mutex(0.0)
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let rate = singleThreadRate(seed: Float(thread), iterations: iterations)
                total.withLock { $0 += rate }
            }
            best = max(best, total.withLock { $0 })
        }
        return best
    }

    /// GFLOP/s of one thread running the twelve chains.
    @inline(never)
    static func singleThreadRate(seed: Float, iterations: Int) -> Double {
        typealias Vector = SIMD16<Float>
        // x, y and the trip count come from the arguments: with compile-time constants the compiler
        // splits the chains into 128-bit pieces and the loop measures a tenth of the peak.
        let x = Vector(repeating: seed * 1e-9 + 1e-7), y = Vector(repeating: seed + 0.5)
        var c0 = Vector(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations {
            c0.addProduct(x, y); c1.addProduct(x, y); c2.addProduct(x, y); c3.addProduct(x, y)
            c4.addProduct(x, y); c5.addProduct(x, y); c6.addProduct(x, y); c7.addProduct(x, y)
            c8.addProduct(x, y); c9.addProduct(x, y); c10.addProduct(x, y); c11.addProduct(x, y)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // Use the result, so the loop cannot be removed.
        let sum = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).sum()
        if sum.isNaN { print("unreachable: the FMA chains produced NaN") }
        return Double(iterations) * 12 * 16 * 2 / seconds / 1e9
    }
}
