import AllocationCounter
import Foundation
import NeuralNetworks
import Tensors

/// Shared pieces of the optimizer, schedule, clipping and EMA tests.
enum OptimizerTestSupport {
    /// f(θ) = ½ Σᵢ aᵢ (θᵢ − cᵢ)², gradient aᵢ (θᵢ − cᵢ).
    struct Quadratic {
        let curvatures: [Double]
        let centres: [Double]

        func value(at theta: [Double]) -> Double {
            var total = 0.0
            for i in theta.indices { total += 0.5 * curvatures[i] * (theta[i] - centres[i]) * (theta[i] - centres[i]) }
            return total
        }

        func gradient(at theta: [Double]) -> [Double] {
            theta.indices.map { curvatures[$0] * (theta[$0] - centres[$0]) }
        }

        /// Writes ∇f at the store's current values into its gradients (computed in Double).
        func writeGradient(into store: ParameterStore) {
            for i in 0..<store.count {
                store.gradients[i] = Float(curvatures[i] * (Double(store.values[i]) - centres[i]))
            }
        }
    }

    /// A store holding one parameter "theta" with the given values.
    static func store(values: [Float]) throws -> ParameterStore {
        let store = ParameterStore(seed: 0)
        try store.register(name: "theta", shape: [values.count], initializer: .zeros)
        try store.loadValues(values)
        return store
    }

    /// A store with several entries of mixed flags, in this order:
    /// "layer0.weight" [3, 4] decays, "layer0.bias" [4] no decay, "features" [5] frozen,
    /// "layer1.weight" [4, 2] decays, "layer1.bias" [2] no decay.
    static func mixedStore(seed: UInt64 = 3) throws -> ParameterStore {
        let store = ParameterStore(seed: seed)
        try store.register(name: "layer0.weight", shape: [3, 4], initializer: .normal(standardDeviation: 0.5))
        try store.register(name: "layer0.bias", shape: [4], initializer: .uniform(bound: 0.3), decays: false)
        try store.register(name: "features", shape: [5], initializer: .normal(standardDeviation: 1), decays: false, trainable: false)
        try store.register(name: "layer1.weight", shape: [4, 2], initializer: .normal(standardDeviation: 0.5))
        try store.register(name: "layer1.bias", shape: [2], initializer: .uniform(bound: 0.3), decays: false)
        return store
    }

    /// Deterministic gradients for step `step`, non-zero everywhere (frozen entries included, to
    /// prove the optimizer ignores them).
    static func writeSyntheticGradients(into store: ParameterStore, step: Int) {
        for i in 0..<store.count {
            let x = Double(i) * 0.731 + Double(step) * 1.37
            store.gradients[i] = Float(Foundation.sin(x) * (1 + 0.5 * Foundation.cos(3 * x)))
        }
    }

    /// Values of the store as Doubles.
    static func values(of store: ParameterStore) -> [Double] { store.snapshotValues().map(Double.init) }

    /// Largest |a − b| / max(1, |b|).
    static func maximumRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        var worst = 0.0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
        return worst
    }

    /// Heap allocations the calling thread makes in `body`; nil when the counter is not interposed.
    static func allocations(in body: () throws -> Void) rethrows -> UInt64? {
        guard allocation_counter_is_active() != 0 else { return nil }
        let before = allocation_counter_thread_count()
        try body()
        return allocation_counter_thread_count() - before
    }

    /// True when `body` throws `TensorError.invalidArgument`.
    static func throwsInvalidArgument(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch let error as TensorError {
            if case .invalidArgument = error { return true }
            return false
        } catch {
            return false
        }
    }
}
