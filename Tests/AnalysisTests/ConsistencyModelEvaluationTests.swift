import Agents
import Foundation
import Testing
import Tensors
@testable import Analysis
@testable import Environments

/// A consistency function that ignores its input and returns fixed points: the oracle "sampler"
/// whose samples are known exactly.
struct FixedPointsModel: ConsistencyFunction {
    let points: [Double]
    let dimension: Int
    var minimumTime: Double { 0.002 }
    func consistency(_ input: [Double], time t: Double) throws -> [Double] { points }
}

@Suite("Consistency-model evaluation: one/multistep sample quality and mean ± SE over seeds")
struct ConsistencyModelEvaluationTests {
    @Test("mean ± standard error of a list equals the hand-computed mean and √(s²/n) with ddof = 1")
    func monteCarloEstimateOfValues() {
        let estimate = MonteCarloEstimate(values: [1, 2, 4])
        // mean 7/3; squares (4/3)² + (1/3)² + (5/3)² = 42/9; s² = 21/9; SE = √(21/27).
        #expect(abs(estimate.mean - 7.0 / 3.0) < 1e-15)
        #expect(abs(estimate.standardError - (21.0 / 27.0).squareRoot()) < 1e-15)
        #expect(estimate.count == 3)
        #expect(estimate.hasStandardError)
        #expect(estimate.formattedStandardError { String(format: "%.3f", $0) } == "± 0.882")
    }

    @Test("one value has no standard error: NaN, printed ± n/a (not ± 0), in the analytic and the bootstrap estimate")
    func singleValueHasNoStandardError() {
        for single in [MonteCarloEstimate(values: [5]), MonteCarloEstimate.bootstrap([5], resamples: 20, seed: 1)] {
            #expect(single.mean == 5)
            #expect(single.count == 1)
            #expect(single.standardError.isNaN)
            #expect(!single.hasStandardError)
            #expect(single.formattedStandardError { String(format: "%.3f", $0) } == "± n/a")
            #expect(single.description == "5.0 ± n/a (n = 1)")
        }
        // Two identical single-value estimates are equal although their standard errors are NaN.
        #expect(MonteCarloEstimate(values: [5]) == MonteCarloEstimate(values: [5]))
        #expect(MonteCarloEstimate(values: [5]) != MonteCarloEstimate(values: [6]))
        #expect(MonteCarloEstimate(values: [5, 5]).standardError == 0)
    }

    @Test("samples equal to the held-out data score SW₂² = 0 and the data's NLL sample mean, with full coverage")
    func heldOutDataScoresPerfectly() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let evaluation = try ConsistencyModelEvaluation(distribution: ring, sampleCount: 400, seed: 3)
        let model = FixedPointsModel(points: evaluation.reference, dimension: 2)
        let score = try evaluation.evaluate(model, maximumTime: 20)
        #expect(score.squaredSlicedWasserstein2 == 0)
        #expect(score.modeCoverage == 1)
        let direct = try GaussianMixtureSampleQuality(samples: evaluation.reference, mixture: ring,
                                                      dataNegativeLogLikelihood: evaluation.dataNegativeLogLikelihood!)
        #expect(score.negativeLogLikelihood == direct.negativeLogLikelihood)
        #expect(score.negativeLogLikelihoodGap == direct.negativeLogLikelihoodGap)
    }

    @Test("in 1-D, held-out data shifted by μ score SW₂² = μ² exactly and a higher NLL")
    func shiftedDataScoreTheShift() throws {
        let mixture = try GaussianMixture(weights: [1, 1], means: [[-1], [1]], standardDeviations: [0.2, 0.2])
        let evaluation = try ConsistencyModelEvaluation(distribution: mixture, sampleCount: 300, seed: 1)
        let shifted = try evaluation.score(evaluation.reference.map { $0 + 0.5 })
        #expect(abs(shifted.squaredSlicedWasserstein2 - 0.25) < 1e-12)
        #expect(shifted.negativeLogLikelihoodGap! > 1)
    }

    @Test("the exact consistency function f* samples the ring: NLL gap within 4 SE of 0, all 8 modes, small SW₂²")
    func exactValueIsAPerfectSampler() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let evaluation = try ConsistencyModelEvaluation(distribution: ring, sampleCount: 600, seed: 5)
        let exact = try ExactValue(distribution: ring)
        let score = try evaluation.evaluate(exact, maximumTime: 20)
        let nll = try #require(score.negativeLogLikelihood)
        let tolerance = 4 * (nll.standardError * nll.standardError
            + evaluation.dataNegativeLogLikelihood!.standardError * evaluation.dataNegativeLogLikelihood!.standardError).squareRoot()
        #expect(abs(score.negativeLogLikelihoodGap!) < tolerance, "gap \(score.negativeLogLikelihoodGap!) tolerance \(tolerance)")
        #expect(score.modeCoverage == 1)
        #expect(score.squaredSlicedWasserstein2 < 0.05)
        // Two steps through τ₁ = 0.8 also sample the data.
        let twoStep = try evaluation.evaluate(exact, maximumTime: 20, middleTimes: [0.8])
        #expect(abs(twoStep.negativeLogLikelihoodGap!) < tolerance + 0.05)
    }

    @Test("every model sees the same noise: one model evaluated twice scores identically")
    func commonRandomNumbers() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let evaluation = try ConsistencyModelEvaluation(distribution: ring, sampleCount: 100, seed: 9)
        let exact = try ExactValue(distribution: ring)
        #expect(try evaluation.evaluate(exact, maximumTime: 20) == evaluation.evaluate(exact, maximumTime: 20))
    }

    @Test("non-Gaussian-mixture data get SW₂² only; non-finite samples are counted and make SW₂² NaN")
    func otherDataAndNonFiniteSamples() throws {
        let heavy = try StudentTMixture(weights: [1], means: [[0, 0]], scales: [1], degreesOfFreedom: [3])
        let evaluation = try ConsistencyModelEvaluation(distribution: heavy, sampleCount: 50, seed: 2)
        var points = evaluation.reference
        let clean = try evaluation.score(points)
        #expect(clean.squaredSlicedWasserstein2 == 0 && clean.negativeLogLikelihoodGap == nil && clean.modeCoverage == nil)
        points[7] = .nan
        let broken = try evaluation.score(points)
        #expect(broken.nonFiniteSampleCount == 1)
        #expect(broken.squaredSlicedWasserstein2.isNaN)
        #expect(throws: SampleQualityError.self) { try evaluation.score([1, 2, 3]) }
        #expect(throws: SampleQualityError.self) { try ConsistencyModelEvaluation(distribution: heavy, sampleCount: 0, seed: 1) }
    }
}
