import Foundation
import Testing
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments

/// The variance half of METHODS.md §10 on a Gaussian mixture.
@Suite("Target diagnostics: variance of conditional and score-identity targets")
struct TargetDiagnosticsVarianceTests {
    /// The conditional target with the f* bootstrap is G = f*(x̂_r, r) with x̂_r = (r/t)·x_t + (1 − r/t)·x₀′,
    /// x₀′ ~ p(x₀ | x_t), so Cov[x̂_r | x_t] = ((t − r)/t)² Cov[x₀ | x_t] (METHODS.md §3.3) around the mean
    /// x̄_r = (r/t)·x_t + (1 − r/t)·D(x_t, t). For a small step the spread of x̂_r is small and
    /// f*(·, r) is linear over it: G ≈ f*(x̄_r, r) + J (x̂_r − x̄_r) with J = ∂f*(x, r)/∂x at x̄_r, so
    ///
    ///     variance(x_t) = (1/D) tr Cov[G] = (t − r)² tr(J Cov[x₀ | x_t] Jᵀ) / (t² D)
    ///
    /// — the closed form "composed through f*". The neglected terms are of relative order
    /// ((t − r)/t)²·(posterior spread · curvature of f*)², negligible at r/t = 0.995; at
    /// r/t = 0.98 states near the boundary between two modes (bimodal x̂_r straddling the fold of f*)
    /// already leave the linear regime, which is why the step is this small. Cov[x₀ | x_t] is the mixture's
    /// exact posterior covariance, J comes from central finite differences of f* (h = 1e−4, solver
    /// tolerance 1e−11). The measured variance has S = 400 draws per state; its Monte-Carlo error is
    /// judged by the spread of variance/prediction over the M states (all have expectation 1).
    @Test("the conditional estimator's variance matches (t − r)² tr(J Cov[x₀|x_t] Jᵀ)/(t² D) within Monte-Carlo error")
    func conditionalVarianceMatchesClosedForm() throws {
        let mixture = try diagnosticsTestMixture()
        let settings = TargetDiagnosticsSettings(times: [1.0, 2.0], steps: .ratios([0.995]),
                                                 columns: [TargetDiagnosticsColumn(estimator: .conditionalSample)],
                                                 queryCount: 24, sampleCount: 400, seed: 21)
        let result = try TargetDiagnostics(distribution: mixture, settings: settings).run()
        let precise = try ExactValue(distribution: mixture, solver: DormandPrinceSolver(relativeTolerance: 1e-11, absoluteTolerance: 1e-11))
        let d = mixture.dimension, h = 1e-4
        for pair in result.pairs {
            let t = pair.time, r = pair.targetTime, m = settings.queryCount
            var denoised = [Double](repeating: 0, count: m * d)
            pair.noisy.withUnsafeBufferPointer { x in
                denoised.withUnsafeMutableBufferPointer { mixture.denoise(x.baseAddress!, count: m, time: t, into: $0.baseAddress!) }
            }
            let centre = (0..<(m * d)).map { (r / t) * pair.noisy[$0] + (1 - r / t) * denoised[$0] }
            // Column b of J at every state: (f*(x̄ + h e_b) − f*(x̄ − h e_b)) / 2h.
            var jacobianColumns: [[Double]] = []
            for b in 0..<d {
                var plus = centre, minus = centre
                for i in 0..<m { plus[i * d + b] += h; minus[i * d + b] -= h }
                let fPlus = try precise.consistency(plus, time: r), fMinus = try precise.consistency(minus, time: r)
                jacobianColumns.append((0..<(m * d)).map { (fPlus[$0] - fMinus[$0]) / (2 * h) })
            }
            let estimate = pair.estimates[0]
            var ratios: [Double] = []
            for i in 0..<m {
                let covariance = posteriorCovariance(mixture, at: Array(pair.noisy[(i * d)..<((i + 1) * d)]), time: t)
                // tr(J C Jᵀ) = Σ_{a,b,c} J_ab C_bc J_ac.
                var trace = 0.0
                for a in 0..<d {
                    for b in 0..<d {
                        for c in 0..<d { trace += jacobianColumns[b][i * d + a] * covariance[b * d + c] * jacobianColumns[c][i * d + a] }
                    }
                }
                let predicted = (t - r) * (t - r) * trace / (t * t * Double(d))
                ratios.append(estimate.variance[i] / predicted)
            }
            let meanRatio = ratios.reduce(0, +) / Double(m)
            let spread = (ratios.map { ($0 - meanRatio) * ($0 - meanRatio) }.reduce(0, +) / Double(m - 1)).squareRoot()
            let standardError = spread / Double(m).squareRoot()
            #expect(abs(meanRatio - 1) <= 4 * standardError + 1e-3,
                    "t = \(t), r = \(r): variance/closed form = \(meanRatio) ± \(standardError) (ratios \(ratios))")
            #expect(standardError < 0.05, "the check must be sharp: s.e. \(standardError)")
        }
    }

    /// With r = 0 the conditional target is x̂₀ = x₀′ + 0·z′ = x₀′ and the value there is the point itself, so
    /// the S targets of query state i are exactly its posterior draws, reproduced here from the documented
    /// stream ("analysis.target-diagnostics.posterior", index k·2³² + i). With S = 2 the unbiased variance
    /// of one coordinate is (a − b)²/2 (ddof = 0 would give (a − b)²/4); S = 3 uses Σ(x − x̄)²/2.
    @Test("with S = 2 and S = 3 draws the variance is exactly the unbiased (ddof = 1) sample variance of the targets")
    func smallSampleVarianceIsUnbiased() throws {
        let mixture = try diagnosticsTestMixture()
        let d = mixture.dimension, m = 5
        for s in [2, 3] {
            // Two pairs, so the stream layout of pair k (index k·2³² + i) is exercised beyond k = 0.
            let settings = TargetDiagnosticsSettings(times: [0.8, 1.3], steps: .ratios([0]), columns: [TargetDiagnosticsColumn(estimator: .conditionalSample)],
                                                     queryCount: m, sampleCount: s, seed: 13)
            let pairs = try TargetDiagnostics(distribution: mixture, settings: settings).run().pairs
            try #require(pairs.count == 2)
            for (k, pair) in pairs.enumerated() {
                #expect(pair.targetTime == 0)
                let estimate = pair.estimates[0]
                for i in 0..<m {
                    let repeated = (0..<s).flatMap { _ in pair.noisy[(i * d)..<((i + 1) * d)] }
                    var draws = [Double](repeating: 0, count: s * d)
                    var posteriorStream = RandomStream(seed: 13, purpose: "analysis.target-diagnostics.posterior",
                                                       index: UInt64(k) << 32 + UInt64(i))
                    repeated.withUnsafeBufferPointer { x in
                        draws.withUnsafeMutableBufferPointer {
                            mixture.samplePosterior(x.baseAddress!, count: s, time: pair.time, into: $0.baseAddress!, stream: &posteriorStream)
                        }
                    }
                    var expected = 0.0
                    for j in 0..<d {
                        let column = (0..<s).map { draws[$0 * d + j] }
                        let mean = column.reduce(0, +) / Double(s)
                        #expect(abs(estimate.meanTarget[i * d + j] - mean) <= 1e-12 * Swift.max(abs(mean), 1),
                                "S = \(s), pair \(k), state \(i), coordinate \(j)")
                        if s == 2 {
                            expected += (column[0] - column[1]) * (column[0] - column[1]) / 2
                        } else {
                            expected += column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2
                        }
                    }
                    expected /= Double(d)
                    #expect(expected > 1e-6, "the draws must differ")
                    #expect(abs(estimate.variance[i] - expected) <= 1e-12 * expected,
                            "S = \(s), pair \(k), state \(i): variance \(estimate.variance[i]) vs unbiased \(expected)")
                }
            }
        }
    }

    /// Every n sees the same posterior draws (common random numbers). The reference pools do not extend
    /// each other: each query state's pool stream is laid out draw by draw (draw s takes the pool samples
    /// s·(n − 1) … (s + 1)·(n − 1) − 1), so for n ≠ n′ the draws other than the first get different
    /// references. More references average the denoiser estimate over more data: the variance falls with
    /// n. A reference set of one is {x₀′}: D̂ = x₀′, which is the conditional estimator itself
    /// (METHODS.md §3.4).
    @Test("the score identity's variance falls as the reference grows, and n = 1 is the conditional estimator")
    func scoreIdentityVarianceFallsWithReferenceSize() throws {
        let mixture = try diagnosticsTestMixture()
        let sizes = [1, 4, 32, 256]
        let estimators: [TransitionEstimator] = [.conditionalSample] + sizes.map { .scoreIdentity(referenceSize: $0) }
        let settings = TargetDiagnosticsSettings(times: [1.5], steps: .ratios([0.5]), columns: TargetDiagnosticsColumn.grid(estimators: estimators),
                                                 queryCount: 12, sampleCount: 48, seed: 4)
        let result = try TargetDiagnostics(distribution: mixture, settings: settings).run()
        let pair = result.pairs[0]
        let conditional = pair.estimates[0], single = pair.estimates[1]
        #expect(single.name == "score-identity-1")
        for (a, b) in zip(conditional.meanTarget, single.meanTarget) { #expect(abs(a - b) < 1e-10) }
        for (a, b) in zip(conditional.variance, single.variance) { #expect(abs(a - b) <= 1e-9 * a) }
        let variances = pair.estimates.dropFirst().map(\.varianceSummary.mean)
        for k in 1..<variances.count {
            #expect(variances[k] < variances[k - 1], "variance must fall with the reference size \(sizes): \(variances)")
        }
        #expect(variances.last! < 0.5 * variances.first!, "\(variances)")
    }
}
