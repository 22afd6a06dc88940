import Foundation
import Testing
import Tensors
@testable import Environments

/// Laws of the closed-form Gaussian mixture, each checked against an independent computation.
@Suite("Gaussian mixture closed forms")
struct DistributionGaussianMixtureTests {
    private static func unevenMixture() throws -> GaussianMixture {
        try GaussianMixture(weights: [1, 2, 0.5], means: [[-2, 0], [1.5, 1], [0.5, -2.5]], standardDeviations: [0.4, 0.7, 0.3])
    }

    private static func denoise(_ mixture: GaussianMixture, _ x: [Double], t: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { mixture.denoise(p.baseAddress!, count: x.count / mixture.dimension, time: t, into: $0.baseAddress!) } }
        return out
    }

    private static func logDensity(_ mixture: GaussianMixture, _ x: [Double], t: Double) -> Double {
        var out = 0.0
        x.withUnsafeBufferPointer { p in mixture.logDensity(p.baseAddress!, count: 1, time: t, into: &out) }
        return out
    }

    @Test("weights are normalised and need not sum to 1")
    func weightsNormalised() throws {
        let mixture = try Self.unevenMixture()
        #expect(abs(mixture.weights.reduce(0, +) - 1) < 1e-15)
        #expect(abs(mixture.weights[1] - 2 / 3.5) < 1e-15)
    }

    @Test("the denoiser equals the Monte-Carlo mean of posterior samples and an importance-weighted prior average")
    func denoiserEqualsMonteCarloPosteriorMean() throws {
        let mixture = try Self.unevenMixture()
        var stream = RandomStream(seed: 7, purpose: "test.gmm.denoiser")
        for t in [0.3, 1.0, 3.0] {
            // A query state from the forward process.
            let x0 = mixture.sample(count: 1, stream: &stream)
            let xt = [x0[0] + t * stream.nextNormal(), x0[1] + t * stream.nextNormal()]
            let exact = Self.denoise(mixture, xt, t: t)

            // (a) the mean of many posterior samples.
            let n = 40_000
            let queries = [Double]((0 ..< n).flatMap { _ in xt })
            var draws = [Double](repeating: 0, count: 2 * n)
            queries.withUnsafeBufferPointer { q in
                draws.withUnsafeMutableBufferPointer { mixture.samplePosterior(q.baseAddress!, count: n, time: t, into: $0.baseAddress!, stream: &stream) }
            }
            for d in 0 ..< 2 {
                let column = stride(from: d, to: 2 * n, by: 2).map { draws[$0] }
                let mean = column.reduce(0, +) / Double(n)
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
                let standardError = (variance / Double(n)).squareRoot()
                #expect(abs(mean - exact[d]) < 5 * standardError + 1e-12, "t = \(t), d = \(d): \(mean) vs \(exact[d]) (SE \(standardError))")
            }

            // (b) self-normalised importance sampling over the prior: E[x₀ N(x_t; x₀, t²)] / E[N(x_t; x₀, t²)].
            let m = 400_000
            let prior = mixture.sample(count: m, stream: &stream)
            var logWeights = [Double](repeating: 0, count: m)
            for j in 0 ..< m {
                let a = xt[0] - prior[2 * j], b = xt[1] - prior[2 * j + 1]
                logWeights[j] = -(a * a + b * b) / (2 * t * t)
            }
            let maximum = logWeights.max()!
            let weights = logWeights.map { exp($0 - maximum) }
            let total = weights.reduce(0, +)
            for d in 0 ..< 2 {
                var estimate = 0.0
                for j in 0 ..< m { estimate += weights[j] * prior[2 * j + d] }
                estimate /= total
                var spread = 0.0
                for j in 0 ..< m { let e = prior[2 * j + d] - estimate; spread += weights[j] * weights[j] * e * e }
                let standardError = spread.squareRoot() / total
                #expect(abs(estimate - exact[d]) < 5 * standardError + 1e-9, "t = \(t), d = \(d): IS \(estimate) vs \(exact[d]) (SE \(standardError))")
            }
        }
    }

    @Test("the score equals the central finite-difference gradient of logDensity", arguments: [0.0, 0.05, 0.5, 2.0, 20.0])
    func scoreIsGradientOfLogDensity(t: Double) throws {
        let mixture = try GaussianMixture.random(dimension: 5, modes: 4, seed: 3, spread: 1.5, std: 0.6)
        var stream = RandomStream(seed: 11, purpose: "test.gmm.score")
        for _ in 0 ..< 5 {
            var x = mixture.sample(count: 1, stream: &stream)
            for d in 0 ..< 5 { x[d] += max(t, 0.3) * stream.nextNormal() }
            var score = [Double](repeating: 0, count: 5)
            x.withUnsafeBufferPointer { p in score.withUnsafeMutableBufferPointer { mixture.score(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) } }
            let h = 1e-5
            var finiteDifference = [Double](repeating: 0, count: 5)
            for d in 0 ..< 5 {
                var plus = x, minus = x
                plus[d] += h; minus[d] -= h
                finiteDifference[d] = (Self.logDensity(mixture, plus, t: t) - Self.logDensity(mixture, minus, t: t)) / (2 * h)
            }
            let error = zip(score, finiteDifference).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let norm = score.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(error / norm < 1e-6, "t = \(t): score \(score) vs finite differences \(finiteDifference)")
            if t > 0 {
                // Tweedie: score = (D − x)/t².
                let denoised = Self.denoise(mixture, x, t: t)
                for d in 0 ..< 5 { #expect(abs((denoised[d] - x[d]) / (t * t) - score[d]) < 1e-9 * max(1, abs(score[d]))) }
            }
        }
    }

    @Test("posterior samples have the exact posterior mean and covariance")
    func posteriorMomentsMatch() throws {
        let mixture = try Self.unevenMixture()
        let t = 0.8
        let x = [0.2, -0.6]
        // Exact: Cov = Σ_k r_k (v_k I + m_k m_kᵀ) − D Dᵀ.
        var r = [Double](repeating: 0, count: 3)
        x.withUnsafeBufferPointer { p in r.withUnsafeMutableBufferPointer { mixture.componentPosterior(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) } }
        #expect(abs(r.reduce(0, +) - 1) < 1e-12)
        var mean = [0.0, 0.0], second = [[0.0, 0.0], [0.0, 0.0]]
        for k in 0 ..< 3 {
            let s2 = mixture.standardDeviations[k] * mixture.standardDeviations[k]
            let mu = mixture.mean(ofComponent: k)
            let m = (0 ..< 2).map { (t * t * mu[$0] + s2 * x[$0]) / (s2 + t * t) }
            let v = s2 * t * t / (s2 + t * t)
            for a in 0 ..< 2 {
                mean[a] += r[k] * m[a]
                for b in 0 ..< 2 { second[a][b] += r[k] * ((a == b ? v : 0) + m[a] * m[b]) }
            }
        }
        let denoised = Self.denoise(mixture, x, t: t)
        for d in 0 ..< 2 { #expect(abs(denoised[d] - mean[d]) < 1e-12) }

        let n = 100_000
        var stream = RandomStream(seed: 5, purpose: "test.gmm.posterior-moments")
        let queries = [Double]((0 ..< n).flatMap { _ in x })
        var draws = [Double](repeating: 0, count: 2 * n)
        queries.withUnsafeBufferPointer { q in
            draws.withUnsafeMutableBufferPointer { mixture.samplePosterior(q.baseAddress!, count: n, time: t, into: $0.baseAddress!, stream: &stream) }
        }
        for a in 0 ..< 2 {
            for b in 0 ..< 2 {
                let exactCovariance = second[a][b] - mean[a] * mean[b]
                let products = (0 ..< n).map { (draws[2 * $0 + a] - mean[a]) * (draws[2 * $0 + b] - mean[b]) }
                let estimate = products.reduce(0, +) / Double(n)
                let spread = products.map { ($0 - estimate) * ($0 - estimate) }.reduce(0, +) / Double(n - 1)
                let standardError = (spread / Double(n)).squareRoot()
                #expect(abs(estimate - exactCovariance) < 5 * standardError, "Cov[\(a)][\(b)]: \(estimate) vs \(exactCovariance) (SE \(standardError))")
            }
        }
    }

    @Test("the 1-D mixture density integrates to 1 at every noise level", arguments: [0.0, 0.3, 2.0])
    func densityNormalises(t: Double) throws {
        let mixture = try GaussianMixture(weights: [0.2, 0.5, 0.3], means: [[-3], [0], [4]], standardDeviations: [0.5, 1, 0.25])
        let lower = -30.0, upper = 30.0, steps = 120_000
        let h = (upper - lower) / Double(steps)
        let grid = (0 ... steps).map { lower + Double($0) * h }
        var logs = [Double](repeating: 0, count: grid.count)
        grid.withUnsafeBufferPointer { p in logs.withUnsafeMutableBufferPointer { mixture.logDensity(p.baseAddress!, count: grid.count, time: t, into: $0.baseAddress!) } }
        var integral = 0.0
        for i in 0 ... steps { integral += (i == 0 || i == steps ? 0.5 : 1) * exp(logs[i]) }
        integral *= h
        #expect(abs(integral - 1) < 1e-6, "∫ p_t = \(integral)")
    }

    @Test("log-density stays finite far from every mode (log-sum-exp)")
    func logDensityStableFarAway() throws {
        let mixture = try Self.unevenMixture()
        let value = Self.logDensity(mixture, [500, -400], t: 0.01)
        #expect(value.isFinite && value < -1e5)
        var r = [Double](repeating: 0, count: 3)
        [500.0, -400].withUnsafeBufferPointer { p in r.withUnsafeMutableBufferPointer { mixture.componentPosterior(p.baseAddress!, count: 1, time: 0.01, into: $0.baseAddress!) } }
        #expect(r.allSatisfy(\.isFinite) && abs(r.reduce(0, +) - 1) < 1e-12)
    }

    /// Σ_k r_k m_k with r_k from `componentPosterior` (its own log-sum-exp, not the denoiser's) and
    /// m_k = (t² μ_k + s_k² x)/(s_k² + t²) written out in Double.
    private static func posteriorMeanFromResponsibilities(_ mixture: GaussianMixture, _ x: [Double], t: Double) -> [Double] {
        var r = [Double](repeating: 0, count: mixture.componentCount)
        x.withUnsafeBufferPointer { p in r.withUnsafeMutableBufferPointer { mixture.componentPosterior(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) } }
        var mean = [Double](repeating: 0, count: x.count)
        for k in 0 ..< mixture.componentCount {
            let s2 = mixture.standardDeviations[k] * mixture.standardDeviations[k], mu = mixture.mean(ofComponent: k)
            for d in x.indices { mean[d] += r[k] * (t * t * mu[d] + s2 * x[d]) / (s2 + t * t) }
        }
        return mean
    }

    @Test("the denoiser stays finite at t = 0.002 and t = 80 far from every mode and equals Σ_k r_k m_k",
          arguments: [0.002, 0.01, 80])
    func denoiserStableFarAway(t: Double) throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 4, std: 0.1), uneven = try Self.unevenMixture()
        // The ring's centre is ≈ 4 from every mode: at t = 0.002 every logit is ≈ −800 (e^−800 = 0 in Double).
        for (mixture, x) in [(ring, [0.0, 0.0]), (ring, [500.0, -400.0]), (uneven, [500.0, -400.0]), (uneven, [-30.0, 45.0])] {
            let denoised = Self.denoise(mixture, x, t: t)
            let expected = Self.posteriorMeanFromResponsibilities(mixture, x, t: t)
            #expect(denoised.allSatisfy { $0.isFinite }, "x = \(x), t = \(t): \(denoised)")
            for d in 0 ..< 2 {
                #expect(abs(denoised[d] - expected[d]) <= 1e-12 * (1 + abs(x[d])), "x = \(x), t = \(t), d = \(d): \(denoised[d]) vs \(expected[d])")
            }
        }
    }

    @Test("at t = 0.002 near a mode the denoiser is that mode's posterior mean (t² μ_k + s² x)/(s² + t²)")
    func denoiserNearModeIsItsPosteriorMean() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 4, std: 0.1)
        let t = 0.002, s2 = 0.01, mu = ring.mean(ofComponent: 3)
        let x = [mu[0] + 0.03, mu[1] - 0.02]
        let denoised = Self.denoise(ring, x, t: t)
        for d in 0 ..< 2 {
            let modeMean = (t * t * mu[d] + s2 * x[d]) / (s2 + t * t)
            #expect(abs(denoised[d] - modeMean) < 1e-12, "d = \(d): \(denoised[d]) vs \(modeMean)")
        }
    }

    /// log p_t, score, D, r_k and one posterior draw of each point (`points` of the mixture's dimension).
    private static func everyClosedForm(_ mixture: GaussianMixture, _ points: [Double], t: Double, stream: inout RandomStream)
        -> (logDensity: [Double], score: [Double], denoised: [Double], posterior: [Double], draws: [Double]) {
        let count = points.count / mixture.dimension
        var logDensity = [Double](repeating: 0, count: count), score = [Double](repeating: 0, count: points.count)
        var denoised = score, draws = score, posterior = [Double](repeating: 0, count: count * mixture.componentCount)
        points.withUnsafeBufferPointer { p in
            mixture.logDensity(p.baseAddress!, count: count, time: t, into: &logDensity)
            mixture.score(p.baseAddress!, count: count, time: t, into: &score)
            mixture.denoise(p.baseAddress!, count: count, time: t, into: &denoised)
            mixture.componentPosterior(p.baseAddress!, count: count, time: t, into: &posterior)
            mixture.samplePosterior(p.baseAddress!, count: count, time: t, into: &draws, stream: &stream)
        }
        return (logDensity, score, denoised, posterior, draws)
    }

    @Test("a NaN coordinate gives NaN from every closed form for its point only")
    func nanPointPropagates() throws {
        let mixture = try Self.unevenMixture()
        let points = [0.3, 0.7, .nan, 0.1], t = 0.5
        var stream = RandomStream(seed: 3, purpose: "test.gmm.nan-point")
        let (logDensity, score, denoised, r, draws) = Self.everyClosedForm(mixture, points, t: t, stream: &stream)
        #expect(logDensity[0].isFinite && logDensity[1].isNaN, "log p_t = \(logDensity)")
        #expect(logDensity[0] == Self.logDensity(mixture, [0.3, 0.7], t: t))
        #expect(score[0 ..< 2].allSatisfy(\.isFinite) && score[2 ..< 4].allSatisfy(\.isNaN), "score = \(score)")
        #expect(denoised[0 ..< 2].allSatisfy(\.isFinite) && denoised[2 ..< 4].allSatisfy(\.isNaN), "D = \(denoised)")
        #expect(r[0 ..< 3].allSatisfy(\.isFinite) && r[3 ..< 6].allSatisfy(\.isNaN), "r = \(r)")
        #expect(draws[0 ..< 2].allSatisfy(\.isFinite) && draws[2 ..< 4].allSatisfy(\.isNaN), "draws = \(draws)")
    }

    @Test("an infinite coordinate: log p_t = −∞ and NaN score, denoiser, posterior and draw for that point only (not a 0 score)",
          arguments: [Double.infinity, -.infinity, 1e200])
    func infinitePointHasNoScore(coordinate: Double) throws {
        let mixture = try Self.unevenMixture()
        let points = [0.3, 0.7, coordinate, 0.1], t = 0.5
        var stream = RandomStream(seed: 5, purpose: "test.gmm.infinite-point")
        let (logDensity, score, denoised, r, draws) = Self.everyClosedForm(mixture, points, t: t, stream: &stream)
        #expect(logDensity[0] == Self.logDensity(mixture, [0.3, 0.7], t: t) && logDensity[1] == -.infinity, "log p_t = \(logDensity)")
        #expect(score[0 ..< 2].allSatisfy(\.isFinite) && score[2 ..< 4].allSatisfy(\.isNaN), "score = \(score)")
        #expect(denoised[0 ..< 2].allSatisfy(\.isFinite) && denoised[2 ..< 4].allSatisfy(\.isNaN), "D = \(denoised)")
        #expect(r[0 ..< 3].allSatisfy(\.isFinite) && r[3 ..< 6].allSatisfy(\.isNaN), "r = \(r)")
        #expect(draws[0 ..< 2].allSatisfy(\.isFinite) && draws[2 ..< 4].allSatisfy(\.isNaN), "draws = \(draws)")
        // The finite point's draw does not depend on its neighbour: the same as with a finite neighbour.
        var reference = RandomStream(seed: 5, purpose: "test.gmm.infinite-point")
        let withFiniteNeighbour = Self.everyClosedForm(mixture, [0.3, 0.7, -1.2, 0.4], t: t, stream: &reference)
        #expect(Array(draws[0 ..< 2]) == Array(withFiniteNeighbour.draws[0 ..< 2]))
    }

    @Test("a negative or NaN t gives NaN from every closed form (t = −1 does not act as t = 1)", arguments: [-1.0, -1e-300, .nan])
    func negativeOrNaNTimeGivesNaN(t: Double) throws {
        let mixture = try Self.unevenMixture()
        let points = [0.3, 0.7, -1.2, 0.4]
        var stream = RandomStream(seed: 4, purpose: "test.gmm.negative-time")
        let before = stream
        let (logDensity, score, denoised, r, draws) = Self.everyClosedForm(mixture, points, t: t, stream: &stream)
        for (name, values) in [("log p_t", logDensity), ("score", score), ("D", denoised), ("r", r), ("posterior draws", draws)] {
            #expect(values.allSatisfy { $0.isNaN }, "t = \(t): \(name) = \(values)")
        }
        var untouched = before
        #expect(stream.nextUniform() == untouched.nextUniform(), "the stream must not advance")
        // t = 0 is inside the domain: D(x, 0) = x and a finite density.
        #expect(Self.denoise(mixture, [0.3, 0.7], t: 0) == [0.3, 0.7] && Self.logDensity(mixture, [0.3, 0.7], t: 0).isFinite)
    }

    @Test("the per-dimension data standard deviation matches the sample standard deviation")
    func dataStandardDeviationMatchesSamples() throws {
        let mixture = try Self.unevenMixture()
        var stream = RandomStream(seed: 9, purpose: "test.gmm.sigma-d")
        let n = 200_000
        let points = mixture.sample(count: n, stream: &stream)
        let exact = mixture.dataStandardDeviation
        for d in 0 ..< 2 {
            let column = stride(from: d, to: 2 * n, by: 2).map { points[$0] }
            let mean = column.reduce(0, +) / Double(n)
            let sd = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
            #expect(abs(sd - exact[d]) / exact[d] < 0.01, "d = \(d): \(sd) vs \(exact[d])")
            #expect(abs(mean - mixture.dataMean[d]) < 0.02)
        }
    }

    /// Σ w (s² + μ²) − m² lost everything to cancellation here; the centred sum is exact.
    @Test("σ_d of far-off components is their spread, not a cancellation residue", arguments: [(1e6, 0.01), (1e8, 0.1), (-3e9, 2.5)])
    func dataStandardDeviationFarFromZero(offset: Double, std: Double) throws {
        let single = try GaussianMixture(weights: [1], means: [[offset, 0]], standardDeviations: [std])
        #expect(single.dataStandardDeviation.allSatisfy { abs($0 - std) <= 1e-12 * std }, "\(single.dataStandardDeviation)")
        // Two components at offset ± 1: σ² = s² + 1 in the first coordinate.
        let pair = try GaussianMixture(weights: [1, 1], means: [[offset - 1, 0], [offset + 1, 0]], standardDeviations: [std, std])
        let spread = (std * std + 1).squareRoot()
        #expect(abs(pair.dataStandardDeviation[0] - spread) <= 1e-9 * spread && abs(pair.dataStandardDeviation[1] - std) <= 1e-12 * std)
    }

    @Test("presets place their modes where documented, and the random preset is reproducible")
    func presets() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 4, std: 0.1)
        #expect(ring.componentCount == 8 && ring.dimension == 2)
        for k in 0 ..< 8 {
            let mu = ring.mean(ofComponent: k)
            #expect(abs((mu[0] * mu[0] + mu[1] * mu[1]).squareRoot() - 4) < 1e-12)
        }
        let grid = try GaussianMixture.grid(side: 3, spacing: 2, std: 0.1)
        #expect(grid.componentCount == 9)
        #expect(grid.mean(ofComponent: 0) == [-2, -2] && grid.mean(ofComponent: 4) == [0, 0] && grid.mean(ofComponent: 8) == [2, 2])
        let a = try GaussianMixture.random(dimension: 16, modes: 5, seed: 42, spread: 2, std: 0.3)
        let b = try GaussianMixture.random(dimension: 16, modes: 5, seed: 42, spread: 2, std: 0.3)
        let c = try GaussianMixture.random(dimension: 16, modes: 5, seed: 43, spread: 2, std: 0.3)
        #expect(a == b && a != c && a.dimension == 16)
    }

    @Test("samples carry their component as label with the component frequencies")
    func sampleLabels() throws {
        let mixture = try Self.unevenMixture()
        #expect(mixture.classCount == 3)
        var stream = RandomStream(seed: 12, purpose: "test.gmm.labels")
        let n = 30_000
        var points = [Double](repeating: 0, count: 2 * n), labels = [Int32](repeating: -1, count: n)
        points.withUnsafeMutableBufferPointer { p in labels.withUnsafeMutableBufferPointer { mixture.sample(count: n, into: p.baseAddress!, labels: $0.baseAddress!, stream: &stream) } }
        for k in 0 ..< 3 {
            let frequency = Double(labels.filter { $0 == Int32(k) }.count) / Double(n)
            let w = mixture.weights[k]
            #expect(abs(frequency - w) < 5 * (w * (1 - w) / Double(n)).squareRoot())
        }
        // Each point is within 6 standard deviations of its own component's mean.
        for i in 0 ..< n {
            let k = Int(labels[i]), mu = mixture.mean(ofComponent: k)
            let distance = ((points[2 * i] - mu[0]) * (points[2 * i] - mu[0]) + (points[2 * i + 1] - mu[1]) * (points[2 * i + 1] - mu[1])).squareRoot()
            #expect(distance < 6 * mixture.standardDeviations[k])
        }
    }

    @Test("the denoiser at t = 0 is the identity and at large t tends to the data mean")
    func denoiserLimits() throws {
        let mixture = try Self.unevenMixture()
        #expect(Self.denoise(mixture, [0.3, 0.7], t: 0) == [0.3, 0.7])
        let far = Self.denoise(mixture, [0.3, 0.7], t: 1e4)
        for d in 0 ..< 2 { #expect(abs(far[d] - mixture.dataMean[d]) < 1e-6) }
    }
}
