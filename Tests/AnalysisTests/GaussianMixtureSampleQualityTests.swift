import Foundation
import Testing
import Tensors
@testable import Analysis
@testable import Environments

/// The ring of 8 used throughout METHODS.md §9's checks: radius 2, standard deviation 0.1.
func analysisTestRing() throws -> GaussianMixture { try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1) }

@Suite("Gaussian-mixture sample quality: exact NLL, mode coverage, precision")
struct GaussianMixtureSampleQualityTests {
    @Test("samples of the mixture itself cover 8/8 modes, have precision 1 − e^{−4.5} and the data's NLL")
    func dataSamplesScoreLikeData() throws {
        let ring = try analysisTestRing()
        var dataStream = RandomStream(seed: 1, purpose: "analysis.samples")
        let samples = ring.sample(count: 20_000, stream: &dataStream)
        var referenceStream = RandomStream(seed: 1, purpose: "analysis.reference")
        let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: ring, dataSampleCount: 20_000,
                                                       stream: &referenceStream)
        #expect(quality.coveredModeCount == 8)
        #expect(quality.modeCoverage == 1)
        #expect(quality.nonFiniteSampleCount == 0)
        #expect(quality.samplesPerMode.reduce(0, +) == 20_000)
        // In 2-D, P(‖z‖ ≤ 3) = 1 − e^{−9/2}; binomial standard error √(p(1 − p)/n).
        let p = 1 - Foundation.exp(-4.5)
        #expect(abs(quality.precision - p) <= 4 * (p * (1 - p) / 20_000).squareRoot(), "precision \(quality.precision)")
        let nll = try #require(quality.negativeLogLikelihood)
        let data = quality.dataNegativeLogLikelihood
        let combined = (nll.standardError * nll.standardError + data.standardError * data.standardError).squareRoot()
        #expect(abs(nll.mean - data.mean) <= 4 * combined, "\(quality)")
    }

    @Test("samples all at one mode cover 1 of 8 modes, with precision 1")
    func oneModeCoversOne() throws {
        let ring = try analysisTestRing()
        var stream = RandomStream(seed: 2, purpose: "analysis.samples")
        var samples = [Double]()
        for _ in 0 ..< 500 { samples += [2 + 0.05 * stream.nextNormal(), 0.05 * stream.nextNormal()] }
        let quality = try GaussianMixtureSampleQuality(
            samples: samples, mixture: ring, dataNegativeLogLikelihood: MonteCarloEstimate(mean: 0, standardError: 0, count: 1))
        #expect(quality.coveredModeCount == 1)
        #expect(quality.samplesPerMode == [500, 0, 0, 0, 0, 0, 0, 0])
        #expect(quality.precision == 1)
        #expect(quality.description.contains("modes 1/8"))
    }

    @Test("the NLL of a single Gaussian at given points is (D/2) ln(2π s²) + ‖x − μ‖² / (2 s²)")
    func handComputedNegativeLogLikelihood() throws {
        let s = 0.5, mu = [1.0, -2.0]
        let gaussian = try GaussianMixture(weights: [1], means: [mu], standardDeviations: [s])
        let points: [Double] = [1, -2, 1.5, -2, 0, 0, 3, -1]
        let expected = stride(from: 0, to: 8, by: 2).map { i -> Double in
            let squared = (points[i] - mu[0]) * (points[i] - mu[0]) + (points[i + 1] - mu[1]) * (points[i + 1] - mu[1])
            return Foundation.log(2 * Double.pi * s * s) + squared / (2 * s * s)
        }
        let quality = try GaussianMixtureSampleQuality(
            samples: points, mixture: gaussian, dataNegativeLogLikelihood: MonteCarloEstimate(mean: 1, standardError: 0, count: 1))
        let nll = try #require(quality.negativeLogLikelihood)
        let mean = expected.reduce(0, +) / 4
        #expect(abs(nll.mean - mean) <= 1e-12 * abs(mean))
        let variance = expected.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3
        #expect(abs(nll.standardError - (variance / 4).squareRoot()) <= 1e-12)
        #expect(abs(try #require(quality.negativeLogLikelihoodGap) - (mean - 1)) <= 1e-12)
        // Distances 0, 1 s, 4.47 s, 4.47 s: two within 3 standard deviations.
        #expect(quality.precision == 0.5)
    }

    @Test("the data NLL of a single Gaussian estimates its entropy (D/2)(1 + ln 2π s²)")
    func dataNegativeLogLikelihoodIsEntropy() throws {
        let s = 0.3
        let gaussian = try GaussianMixture(weights: [1], means: [[0.5, 0.5, -1]], standardDeviations: [s])
        var stream = RandomStream(seed: 4, purpose: "analysis.reference")
        let estimate = try gaussian.dataNegativeLogLikelihood(sampleCount: 20_000, stream: &stream)
        let entropy = 1.5 * (1 + Foundation.log(2 * Double.pi * s * s))
        #expect(estimate.count == 20_000)
        // Var[−ln p] = D/2 for a Gaussian: the standard error is known too.
        #expect(abs(estimate.standardError - (1.5 / 20_000).squareRoot()) <= 0.05 * (1.5 / 20_000).squareRoot())
        #expect(abs(estimate.mean - entropy) <= 4 * estimate.standardError)
    }

    @Test("a mode with exactly 1 % of the samples is covered, one sample fewer is not")
    func coverageThresholdIsInclusive() throws {
        let ring = try analysisTestRing()
        let reference = MonteCarloEstimate(mean: 0, standardError: 0, count: 1)
        func points(atModeOne count: Int) -> [Double] {
            let rest = [Double](repeating: 0, count: 2 * (200 - count)).enumerated().map { $0.offset % 2 == 0 ? 2.0 : 0.0 }
            let modeOne = ring.mean(ofComponent: 1)
            return rest + (0 ..< count).flatMap { _ in modeOne }
        }
        let exactly = try GaussianMixtureSampleQuality(samples: points(atModeOne: 2), mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(exactly.samplesPerMode[1] == 2 && exactly.coveredModeCount == 2)
        let fewer = try GaussianMixtureSampleQuality(samples: points(atModeOne: 1), mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(fewer.samplesPerMode[1] == 1 && fewer.coveredModeCount == 1)
        // 0.07 · 200 rounds to 14.000000000000002 in Double; exactly 7 % of the samples must still count.
        let sevenPercent = try GaussianMixtureSampleQuality(samples: points(atModeOne: 14), mixture: ring,
                                                            dataNegativeLogLikelihood: reference, coverageThreshold: 0.07)
        #expect(sevenPercent.samplesPerMode[1] == 14 && sevenPercent.coveredModeCount == 2)
        let belowSeven = try GaussianMixtureSampleQuality(samples: points(atModeOne: 13), mixture: ring,
                                                          dataNegativeLogLikelihood: reference, coverageThreshold: 0.07)
        #expect(belowSeven.coveredModeCount == 1)
    }

    @Test("precision counts points within 3 standard deviations of a mean and no farther")
    func precisionRadius() throws {
        let ring = try analysisTestRing()
        let reference = MonteCarloEstimate(mean: 0, standardError: 0, count: 1)
        // Mode 0 is at (2, 0), s = 0.1; move outward along x (away from every other mode).
        let quality = try GaussianMixtureSampleQuality(samples: [2.299, 0, 2.301, 0, 2, 0.29, 2, -0.31],
                                                       mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(quality.precision == 0.5)
        let wider = try GaussianMixtureSampleQuality(samples: [2.299, 0, 2.301, 0, 2, 0.29, 2, -0.31], mixture: ring,
                                                     dataNegativeLogLikelihood: reference, precisionRadius: 4)
        #expect(wider.precision == 1)
    }

    @Test("non-finite samples are counted and reported, excluded from the NLL and counted as imprecise")
    func nonFiniteSamplesAreReported() throws {
        let ring = try analysisTestRing()
        let reference = MonteCarloEstimate(mean: 0, standardError: 0, count: 1)
        let finite: [Double] = [2, 0, 0, 2, -2, 0.01, 1.4, 1.4]
        let mixed = finite + [.nan, 0, 1, .infinity, -.infinity, -.infinity]
        let clean = try GaussianMixtureSampleQuality(samples: finite, mixture: ring, dataNegativeLogLikelihood: reference)
        let quality = try GaussianMixtureSampleQuality(samples: mixed, mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(quality.sampleCount == 7)
        #expect(quality.nonFiniteSampleCount == 3)
        #expect(quality.samplesPerMode.reduce(0, +) == 4)
        #expect(quality.negativeLogLikelihood == clean.negativeLogLikelihood)
        #expect(quality.precision == 4.0 / 7.0)
        #expect(quality.description.contains("3 of 7 non-finite"))
        #expect(quality.metrics["non_finite_samples"] == 3)
        let allBad = try GaussianMixtureSampleQuality(samples: [.nan, .nan], mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(allBad.negativeLogLikelihood == nil && allBad.coveredModeCount == 0 && allBad.precision == 0)
        #expect(allBad.metrics["nll"] == nil)
        #expect(allBad.description.contains("n/a"))
    }

    @Test("a non-finite sample is a miss: precision and the 1 % coverage threshold count all N samples, the NLL only the finite ones")
    func nonFiniteSamplesCountInEveryDenominator() throws {
        let ring = try analysisTestRing()
        let reference = MonteCarloEstimate(mean: 0, standardError: 0, count: 1)
        // 100 finite rows: 97 at mode 0's mean (2, 0), 1 at mode 1's mean, 2 at (3, 0) — nearest to mode 0
        // but 10 s away; each followed by a non-finite row (NaN, ±∞, or one bad coordinate): N = 200.
        let farOut: [Double] = [3, 0]
        let finiteRows = [[Double]](repeating: ring.mean(ofComponent: 0), count: 97) + [ring.mean(ofComponent: 1), farOut, farOut]
        let nonFiniteRows: [[Double]] = [[.nan, .nan], [2, .infinity], [-.infinity, 0], [.nan, 0]]
        let samples = finiteRows.enumerated().flatMap { index, row in row + nonFiniteRows[index % nonFiniteRows.count] }
        let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: ring, dataNegativeLogLikelihood: reference)
        #expect(quality.sampleCount == 200 && quality.nonFiniteSampleCount == 100)
        #expect(quality.samplesPerMode == [99, 1, 0, 0, 0, 0, 0, 0])
        // Precision: 98 of N = 200 within 3 s (98/100 = 0.98 if non-finite rows were dropped).
        #expect(quality.precision == 0.49)
        // Coverage: a mode needs 1 % of N = 2 samples, so mode 1's single sample does not cover it
        // (1 % of the 100 finite rows would be 1 sample, and 2 modes would be covered).
        #expect(quality.coveredModeCount == 1 && quality.modeCoverage == 0.125)
        // The NLL is the mean over the 100 finite rows alone.
        let finiteOnly = try GaussianMixtureSampleQuality(samples: finiteRows.flatMap { $0 }, mixture: ring,
                                                          dataNegativeLogLikelihood: reference)
        #expect(quality.negativeLogLikelihood == finiteOnly.negativeLogLikelihood)
        #expect(quality.negativeLogLikelihood?.count == 100)
        #expect(finiteOnly.precision == 0.98 && finiteOnly.coveredModeCount == 2)
    }

    @Test("empty samples, wrong dimensions, bad settings and bad reference counts are rejected")
    func invalidInputsThrow() throws {
        let ring = try analysisTestRing()
        let reference = MonteCarloEstimate(mean: 0, standardError: 0, count: 1)
        #expect(throws: SampleQualityError.emptySamples) {
            try GaussianMixtureSampleQuality(samples: [], mixture: ring, dataNegativeLogLikelihood: reference)
        }
        #expect(throws: SampleQualityError.dimensionMismatch(values: 3, dimension: 2)) {
            try GaussianMixtureSampleQuality(samples: [1, 2, 3], mixture: ring, dataNegativeLogLikelihood: reference)
        }
        for threshold in [0.0, -0.1, 1.5, Double.nan] {
            #expect(throws: SampleQualityError.self) {
                try GaussianMixtureSampleQuality(samples: [1, 2], mixture: ring, dataNegativeLogLikelihood: reference,
                                                 coverageThreshold: threshold)
            }
        }
        #expect(throws: SampleQualityError.self) {
            try GaussianMixtureSampleQuality(samples: [1, 2], mixture: ring, dataNegativeLogLikelihood: reference, precisionRadius: 0)
        }
        var stream = RandomStream(seed: 1, purpose: "analysis")
        #expect(throws: SampleQualityError.invalidSampleCount(0)) {
            try GaussianMixtureSampleQuality(samples: [1, 2], mixture: ring, dataSampleCount: 0, stream: &stream)
        }
        #expect(SampleQualityError.dimensionMismatch(values: 3, dimension: 2).description.contains("count × 2"))
    }
}
