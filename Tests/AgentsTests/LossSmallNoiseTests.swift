import Agents
import Environments
import Foundation
import PropertyBased
import Testing

@Suite("sLCT extras: the small-noise diffusion loss and the adaptive constant")
struct LossSmallNoiseTests {
    typealias Support = LossTestSupport

    /// numpy.quantile(values, q) (method "linear") written out from its definition over a sorted copy.
    static func numpyQuantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted(), h = Double(sorted.count - 1) * q
        let i = Int(h.rounded(.down)), g = h - Double(i)
        let a = sorted[i], b = sorted[min(i + 1, sorted.count - 1)]
        return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g
    }

    @Test("the threshold is numpy's linear quantile of the batch times, to the last bit")
    func thresholdMatchesNumpy() throws {
        // numpy.quantile([0.8, 0.002, 5.0, 0.04, 1.3, 0.25, 12.0, 0.011, 2.2, 0.6], 0.3) = 0.18699999999999994
        let times = [0.8, 0.002, 5.0, 0.04, 1.3, 0.25, 12.0, 0.011, 2.2, 0.6]
        #expect(try SmallNoiseDiffusionLoss().threshold(times: times) == 0.18699999999999994)
        // numpy.quantile([0.5, 0.1, 2.0, 0.3, 1.0], 0.3) = 0.33999999999999997; with q = 0.25 exactly 0.3
        #expect(try SmallNoiseDiffusionLoss(quantile: 0.3).threshold(times: [0.5, 0.1, 2.0, 0.3, 1.0]) == 0.33999999999999997)
        #expect(try SmallNoiseDiffusionLoss(quantile: 0.25).threshold(times: [0.5, 0.1, 2.0, 0.3, 1.0]) == 0.3)
        #expect(try SmallNoiseDiffusionLoss(quantile: 0).threshold(times: times) == 0.002)
        #expect(try SmallNoiseDiffusionLoss(quantile: 1).threshold(times: times) == 12.0)
        #expect(try SmallNoiseDiffusionLoss().threshold(times: [0.7]) == 0.7)
        #expect(try SmallNoiseDiffusionLoss().threshold(times: []) == -.infinity)
    }

    @Test("random batches (with ties): the selection-based threshold equals the quantile of the sorted times")
    func thresholdPropertyAgainstSorting() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...9).array(of: 1...40), Gen.double(in: 0...1)) { levels, q in
            let times = levels.map { 0.002 * Foundation.pow(2, Double($0)) }
            #expect(try! SmallNoiseDiffusionLoss(quantile: q).threshold(times: times) == Self.numpyQuantile(times, q))
        }
    }

    @Test("exactly the rows at or below the threshold add λ·scale·‖f − x₀‖², and their gradient rows 2λ·scale·(f − x₀)")
    func selectsRowsAtOrBelowThreshold() throws {
        let loss = try SmallNoiseDiffusionLoss(quantile: 0.25, weight: 2)
        let times = [0.5, 0.1, 2.0, 0.3, 1.0]
        let threshold = loss.threshold(times: times)                 // 0.3: rows 1 and 3 (0.3 itself included)
        let outputs: [Float] = [1, 1, 3, 4, 9, 9, -1, 2, 9, 9]
        let clean: [Float] = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]          // f − x₀: row 1 (3, 4), row 3 (−2, 2)
        var gradient = [Float](repeating: 0.5, count: 10)
        let (value, selected) = gradient.withUnsafeMutableBufferPointer { g in
            loss.addLossAndGradient(outputs: outputs, cleanData: clean, times: times, threshold: threshold, rows: 5, dimension: 2,
                                    scale: 0.2, gradient: g.baseAddress!)
        }
        #expect(selected == 2)
        #expect(abs(value - 0.2 * 2 * (25 + 8)) < 1e-12)
        // Selected rows gain 2·2·0.2·(f − x₀) = 0.8·(f − x₀); the others keep their 0.5.
        let gained: [Float] = [0, 0, 2.4, 3.2, 0, 0, -1.6, 1.6, 0, 0]
        for (value, gain) in zip(gradient, gained) { #expect(value == 0.5 + gain) }
    }

    @Test("the small-noise loss gradient matches finite differences of its Double value")
    func gradientMatchesFiniteDifferences() throws {
        let loss = try SmallNoiseDiffusionLoss(quantile: 0.4, weight: 1.5)
        let rows = 6, dimension = 3, scale = 1.0 / 6
        let times = [0.9, 0.02, 3.0, 0.2, 0.05, 10.0]
        let threshold = loss.threshold(times: times)
        let outputs = Support.vector(rows * dimension, seed: 31), clean = Support.vector(rows * dimension, seed: 32)
        func exact(_ f: [Double]) -> Double {
            var total = 0.0
            for row in 0..<rows where times[row] <= threshold {
                for j in 0..<dimension { total += Foundation.pow(f[row * dimension + j] - clean[row * dimension + j], 2) }
            }
            return loss.weight * scale * total
        }
        var gradient = [Float](repeating: 0, count: rows * dimension)
        let (value, selected) = gradient.withUnsafeMutableBufferPointer { g in
            loss.addLossAndGradient(outputs: outputs.map { Float($0) }, cleanData: clean.map { Float($0) }, times: times,
                                    threshold: threshold, rows: rows, dimension: dimension, scale: scale, gradient: g.baseAddress!)
        }
        #expect(selected == 3)
        #expect(abs(value - exact(outputs)) <= 1e-6 * exact(outputs))
        let numeric = Support.finiteDifferenceGradient(at: outputs, exact)
        #expect(Support.relativeError(gradient.map { Double($0) }, numeric) < 1e-6)
    }

    @Test("a quantile outside [0, 1] or a negative or non-finite weight is rejected")
    func invalidSmallNoiseSettings() {
        #expect { try SmallNoiseDiffusionLoss(quantile: 1.2) } throws: { error in "\(error)".contains("[0, 1]") }
        #expect { try SmallNoiseDiffusionLoss(quantile: .nan) } throws: { error in "\(error)".contains("[0, 1]") }
        #expect { try SmallNoiseDiffusionLoss(weight: -1) } throws: { error in "\(error)".contains("λ") }
    }

    @Test("the adaptive constant follows c_k = c₀·N₀/N(k) along the iCT doubling curriculum")
    func adaptiveConstantFollowsCurriculum() throws {
        // s₀ = 10, s₁ = 1280, K = 1000: K′ = ⌊1000 / (log₂ 128 + 1)⌋ = 125, N(k) = min(10·2^⌊k/125⌋, 1280) + 1.
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 1000)
        let adaptive = try AdaptiveHuberConstant(initialConstant: 0.05, curriculum: sampler)
        #expect(adaptive.initialGridPointCount == 11)
        let expected: [(Int, Double)] = [(0, 0.05), (124, 0.05), (125, 0.05 * 11 / 21), (250, 0.05 * 11 / 41), (999, 0.05 * 11 / 1281)]
        for (iteration, c) in expected {
            #expect(abs(adaptive.constant(iteration: iteration, curriculum: sampler) - c) <= 1e-15, "k = \(iteration)")
        }
        let direct = try AdaptiveHuberConstant(initialConstant: 0.3, initialGridPointCount: 18)
        #expect(direct.constant(gridPointCount: 18) == 0.3 && abs(direct.constant(gridPointCount: 36) - 0.15) < 1e-16)
    }

    @Test("an adaptive constant with c₀ ≤ 0 or N₀ < 2 is rejected")
    func invalidAdaptiveSettings() {
        #expect { try AdaptiveHuberConstant(initialConstant: 0, initialGridPointCount: 11) } throws: { error in "\(error)".contains("c_0") }
        #expect { try AdaptiveHuberConstant(initialConstant: 0.1, initialGridPointCount: 1) } throws: { error in "\(error)".contains("N_0") }
    }
}
