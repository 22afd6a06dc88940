import Foundation
import NeuralNetworks
import Tensors
import Testing

private typealias Support = OptimizerTestSupport

@Suite("Exponential moving averages")
struct ExponentialMovingAverageTests {
    /// θₖ for k = 0 … n: a fixed start plus k times a fixed drift plus a wiggle.
    private static func theta(_ k: Int, count: Int) -> [Double] {
        let wiggle: Double = k % 2 == 0 ? 0.05 : -0.05
        return (0..<count).map { (i: Int) -> Double in
            let position = Double(i)
            let drift = 0.1 * Double(k) * (position + 1)
            return 0.5 * position - 1 + drift + wiggle
        }
    }

    @Test("after n updates each average equals μⁿ·θ₀ + (1 − μ) Σₖ μⁿ⁻ᵏ θₖ")
    func closedForm() throws {
        let count = 6, n = 9
        let store = try Support.store(values: Self.theta(0, count: count).map(Float.init))
        let ema = try ExponentialMovingAverage(of: store, rates: [0.9, 0.99])
        #expect(ema.names == ["0.9", "0.99"])
        #expect(ema.index(named: "0.99") == 1)
        for k in 1...n {
            try store.loadValues(Self.theta(k, count: count).map(Float.init))
            try ema.update(from: store)
        }
        #expect(ema.updateCounts == [n, n])
        for (index, rateFloat) in ema.rates.enumerated() {
            let mu = Double(rateFloat)
            for i in 0..<count {
                var expected = pow(mu, Double(n)) * Self.theta(0, count: count)[i]
                for k in 1...n { expected += (1 - mu) * pow(mu, Double(n - k)) * Self.theta(k, count: count)[i] }
                let actual = Double(ema.values(index)[i])
                #expect(abs(actual - expected) <= 1e-5 * max(1, abs(expected)), "rate \(mu), scalar \(i): \(actual) vs \(expected)")
            }
        }
    }

    @Test("a scheduled rate per update (CM's μ(k)) gives Πμ-weighted averages")
    func scheduledRates() throws {
        let store = try Support.store(values: [1, -2, 3])
        let ema = try ExponentialMovingAverage(of: store, rates: [0.95])
        var expected: [Double] = [1, -2, 3]
        let rates: [Float] = [0.5, 0.8, 0.9, 0.95, 0.0, 1.0, 0.7]
        for (k, mu) in rates.enumerated() {
            let theta = [Double(k), Double(k * k) / 4, -Double(k)]
            try store.loadValues(theta.map(Float.init))
            try ema.update(0, from: store, rate: mu)
            for i in 0..<3 { expected[i] = Double(mu) * expected[i] + (1 - Double(mu)) * theta[i] }
        }
        for i in 0..<3 { #expect(abs(Double(ema.values(0)[i]) - expected[i]) < 1e-5) }
        #expect(ema.updateCounts == [rates.count])
        #expect(Support.throwsInvalidArgument { try ema.update(0, from: store, rate: 1.5) })
        #expect(Support.throwsInvalidArgument { try ema.update(1, from: store, rate: 0.5) })
    }

    @Test("rate 1 keeps the average, rate 0 copies the parameters")
    func extremeRates() throws {
        let store = try Support.store(values: [1, 2])
        let ema = try ExponentialMovingAverage(of: store, rates: [1, 0])
        try store.loadValues([5, -7])
        try ema.update(from: store)
        #expect(ema.snapshot(0) == [1, 2])
        #expect(ema.snapshot(1) == [5, -7])
    }

    @Test("swap exchanges average and parameters; swapping twice restores both; copy overwrites")
    func swapAndCopy() throws {
        let store = try Support.mixedStore()
        let online = store.snapshotValues()
        let ema = try ExponentialMovingAverage(of: store, rates: [0.999, 0.9999])
        try ema.load(1, from: online.map { $0 * 2 + 1 }, updateCount: 12)
        #expect(ema.updateCounts == [0, 12])
        try ema.swap(1, with: store)
        #expect(store.snapshotValues() == online.map { $0 * 2 + 1 })
        #expect(ema.snapshot(1) == online)
        try ema.swap(1, with: store)
        #expect(store.snapshotValues() == online)
        #expect(ema.snapshot(1) == online.map { $0 * 2 + 1 })
        try ema.copy(1, into: store)
        #expect(store.snapshotValues() == ema.snapshot(1))
        let bias = try #require(store.entry(named: "layer1.bias"))
        #expect(Array(ema.values(1, for: bias)) == Array(store.values(of: bias.handle)))
    }

    @Test("invalid rates, duplicate rates and a store of another layout throw")
    func validation() throws {
        let store = try Support.store(values: [1, 2])
        #expect(Support.throwsInvalidArgument { _ = try ExponentialMovingAverage(of: store, rates: []) })
        #expect(Support.throwsInvalidArgument { _ = try ExponentialMovingAverage(of: store, rates: [1.01]) })
        #expect(Support.throwsInvalidArgument { _ = try ExponentialMovingAverage(of: store, rates: [-0.1]) })
        #expect(Support.throwsInvalidArgument { _ = try ExponentialMovingAverage(of: store, rates: [0.9, 0.9]) })
        let ema = try ExponentialMovingAverage(of: store, rates: [0.9])
        let other = try Support.store(values: [1, 2, 3])
        #expect(throws: TensorError.self) { try ema.update(from: other) }
        #expect(throws: TensorError.self) { try ema.swap(0, with: other) }
        #expect(throws: TensorError.self) { try ema.load(0, from: [1]) }
    }

    @Test("updates and swaps allocate nothing")
    func noAllocations() throws {
        let store = try Support.mixedStore()
        let ema = try ExponentialMovingAverage(of: store, rates: [0.999, 0.9999])
        try ema.update(from: store)
        let allocations = try Support.allocations {
            for k in 0..<10 {
                try ema.update(from: store)
                try ema.update(1, from: store, rate: 0.9 + 0.001 * Float(k))
                try ema.swap(0, with: store)
                try ema.swap(0, with: store)
                _ = try clipGradientNorm(store, maxNorm: 1)
            }
        }
        try #require(allocations != nil, "the allocation counter is not interposed in the test binary")
        #expect(allocations == 0)
    }
}

@Suite("Exponential moving averages of frozen entries")
struct FrozenEntryAverageTests {
    @Test("frozen entries (Fourier frequencies) stay bit-identical through every update; trainable ones blend")
    func frozenEntriesAreCopied() throws {
        let store = ParameterStore(seed: 11)
        let weight = try store.register(name: "weight", shape: [8], initializer: .normal(standardDeviation: 1))
        let frequencies = try store.register(name: "frequencies", shape: [1024], initializer: .normal(standardDeviation: 16),
                                             decays: false, trainable: false)
        let frozen = Array(store.values(of: frequencies))
        // Blending a value with itself is not exact in Float for some of these values, so the test can fail.
        #expect(frozen.contains { 0.95 * $0 + (1 - 0.95) * $0 != $0 })
        let ema = try ExponentialMovingAverage(of: store, rates: [0.95, 0.999])
        for k in 0..<50 {
            for i in 0..<8 { store.values(of: weight)[i] += Float(k + i) * 0.01 }
            try ema.update(from: store)
            try ema.update(1, from: store, rate: 0.9)
        }
        for index in 0..<2 {
            let averaged = ema.values(index)
            #expect(Array(averaged[frequencies.offset..<(frequencies.offset + 1024)]) == frozen)
            #expect(Array(averaged[weight.offset..<(weight.offset + 8)]) != Array(store.values(of: weight)))
        }
    }
}
