import Agents
import Environments
import Foundation
import Testing

@Suite("Weighted TD loss: metric × pair weighting over a batch")
struct LossWeightingTests {
    typealias Support = LossTestSupport

    static let weightings: [PairWeighting] = [
        .uniform, .inverseGridStep, .inverseTimeGap, .inverseSquaredTimePlusData(dataStandardDeviation: 0.5), .edm(dataStandardDeviation: 0.5),
    ]

    /// Runs the Float batch kernel; returns (loss, gradient).
    static func run(_ loss: WeightedTDLoss, outputs: [Double], targets: [Double], dimension: Int,
                    times: [Double], targetTimes: [Double]) -> (Double, [Double]) {
        let f = outputs.map { Float($0) }, g = targets.map { Float($0) }
        var gradient = [Float](repeating: .nan, count: outputs.count)
        let value = gradient.withUnsafeMutableBufferPointer { buffer in
            loss.lossAndGradient(outputs: f, targets: g, rows: times.count, dimension: dimension,
                                 times: times, targetTimes: targetTimes, gradient: buffer.baseAddress!)
        }
        return (value, gradient.map { Double($0) })
    }

    @Test("on a hand-computed batch, L = (1/B) Σ w(t, r)·m(Δ) and ∂L/∂f_b = (w_b/B)·∂m/∂Δ_b")
    func handComputedBatch() throws {
        // Δ₁ = (3, −4) at (t, r) = (1, 0.5): w = 1/(t − r) = 2;  Δ₂ = (1, 0) at (2, 1): w = 1.
        let loss = try WeightedTDLoss(metric: .squaredL2, weighting: .inverseTimeGap)
        let (value, gradient) = Self.run(loss, outputs: [3.5, -3, 2, 2], targets: [0.5, 1, 1, 2], dimension: 2,
                                         times: [1, 2], targetTimes: [0.5, 1])
        #expect(abs(value - 25.5) < 1e-12)                         // (2·25 + 1·1) / 2
        #expect(gradient == [6, -8, 1, 0])                         // (2/2)·2Δ₁, (1/2)·2Δ₂
    }

    @Test("for every metric and weighting the Float batch loss equals the Double ground truth and its gradient matches finite differences")
    func batchMatchesGroundTruth() throws {
        let rows = 5, dimension = 3
        let times = [0.01, 0.3, 1.2, 7.5, 40], targetTimes = [0.002, 0.2, 1.0, 5.0, 30]
        let outputs = Support.vector(rows * dimension, seed: 21), targets = Support.vector(rows * dimension, seed: 22)
        for metric in Support.metrics {
            for weighting in Self.weightings {
                let loss = try WeightedTDLoss(metric: metric, weighting: weighting)
                let (value, gradient) = Self.run(loss, outputs: outputs, targets: targets, dimension: dimension,
                                                 times: times, targetTimes: targetTimes)
                let exact = loss.loss(outputs: outputs, targets: targets, times: times, targetTimes: targetTimes)
                #expect(abs(value - exact) <= 2e-6 * abs(exact), "\(metric), \(weighting)")
                let numeric = Support.finiteDifferenceGradient(at: outputs) { f in
                    loss.loss(outputs: f, targets: targets, times: times, targetTimes: targetTimes)
                }
                #expect(Support.relativeError(gradient, numeric) < 2e-5, "\(metric), \(weighting)")
            }
        }
    }

    @Test("the gradient buffer may be the outputs buffer itself")
    func gradientAliasesOutputs() throws {
        let loss = try WeightedTDLoss(metric: .pseudoHuber(c: 0.1), weighting: .inverseTimeGap)
        let outputs = Support.vector(12, seed: 23), targets = Support.vector(12, seed: 24)
        let times = [0.5, 1.0, 2.0], targetTimes = [0.25, 0.5, 1.5]
        let (value, gradient) = Self.run(loss, outputs: outputs, targets: targets, dimension: 4, times: times, targetTimes: targetTimes)
        var buffer = outputs.map { Float($0) }
        let target = targets.map { Float($0) }
        let inPlace = buffer.withUnsafeMutableBufferPointer { b in
            loss.lossAndGradient(outputs: b.baseAddress!, targets: target, rows: 3, dimension: 4, times: times, targetTimes: targetTimes,
                                 gradient: b.baseAddress!)
        }
        #expect(inPlace == value)
        #expect(buffer.map { Double($0) } == gradient)
    }

    @Test("a weighting with a non-positive or non-finite σ_d, or a metric with an invalid c, is rejected")
    func invalidSettings() {
        #expect { try WeightedTDLoss(metric: .l1, weighting: .edm(dataStandardDeviation: 0)) } throws: { error in
            "\(error)".contains("σ_d")
        }
        #expect { try WeightedTDLoss(metric: .l1, weighting: .inverseSquaredTimePlusData(dataStandardDeviation: .nan)) } throws: { error in
            "\(error)".contains("σ_d")
        }
        #expect { try WeightedTDLoss(metric: .cauchy(c: 0), weighting: .uniform) } throws: { error in "\(error)".contains("cauchy") }
    }
}
