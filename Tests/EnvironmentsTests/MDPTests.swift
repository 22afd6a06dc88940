import Environments
import Foundation
import Tensors
import Testing

/// A policy for the tests: one Euler step of the PF-ODE with the exact denoiser of N(μ, s² I),
/// D(x, t) = (t² μ + s² x)/(s² + t²).
private struct GaussianEulerPolicy: TransitionPolicy {
    let mean: Double
    let variance: Double
    func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                 into output: UnsafeMutablePointer<Double>) throws {
        for i in 0..<(count * dimension) {
            let denoised = (t * t * mean + variance * points[i]) / (variance + t * t)
            output[i] = points[i] + (r - t) * (points[i] - denoised) / t
        }
    }
}

/// A policy that blows up (returns NaN) for the second episode.
private struct ExplodingPolicy: TransitionPolicy {
    func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                 into output: UnsafeMutablePointer<Double>) throws {
        for i in 0..<(count * dimension) { output[i] = i / dimension == 1 ? .nan : points[i] * r / t }
    }
}

@Suite("The denoising MDP")
struct MDPTests {
    let times = [80.0, 20, 5, 1, 0.2, 0.002]

    @Test("rewards along an episode sum to x_{t_min} − x_{t_max}, and terminated is set exactly on the last step")
    func rewardsTelescope() throws {
        let mdp = try DenoisingMDP(dimension: 3, times: times)
        var stream = RandomStream(seed: 1, purpose: "reset")
        var state = mdp.reset(count: 4, stream: &stream)
        let initial = state.points
        var rewardSums = [Double](repeating: 0, count: initial.count)
        for step in 0..<mdp.stepCount {
            let result = try mdp.step(&state, policy: GaussianEulerPolicy(mean: 0.5, variance: 0.04))
            for i in rewardSums.indices { rewardSums[i] += result.rewards[i] }
            #expect(result.terminated == Array(repeating: step == mdp.stepCount - 1, count: 4))
            #expect(result.truncated == Array(repeating: false, count: 4))
        }
        for i in rewardSums.indices { #expect(abs(rewardSums[i] - (state.points[i] - initial[i])) < 1e-9 * max(1, abs(initial[i]))) }
        #expect(state.terminated.allSatisfy { $0 })
        #expect(throws: EnvironmentError.self) { try mdp.step(&state, policy: GaussianEulerPolicy(mean: 0, variance: 1)) }
    }

    @Test("initial states are t_max · z with z standard normal")
    func resetDistribution() throws {
        let mdp = try DenoisingMDP(dimension: 2, times: times)
        var stream = RandomStream(seed: 2, purpose: "reset")
        let state = mdp.reset(count: 20_000, stream: &stream)
        let (mean, variance, _) = DoubleMath.meanAndVariance(state.points)
        #expect(abs(mean) < 4 * 80 / (40_000.0).squareRoot())
        #expect(abs(variance / 6400 - 1) < 0.03)
    }

    @Test("a non-finite point truncates only its episode: the action shows the policy's non-finite output, the state keeps its last finite point, the reward is zero")
    func nonFiniteGuardTruncates() throws {
        let mdp = try DenoisingMDP(dimension: 2, times: times)
        var stream = RandomStream(seed: 3, purpose: "reset")
        var state = mdp.reset(count: 3, stream: &stream)
        let before = state.points
        let result = try mdp.step(&state, policy: ExplodingPolicy())
        #expect(result.truncated == [false, true, false])
        #expect(result.terminated == [false, false, false])
        #expect(result.actions[2].isNaN && result.actions[3].isNaN, "the cut step's action is the policy's output: \(result.actions)")
        #expect(Array(state.points[2..<4]) == Array(before[2..<4]) && result.rewards[2] == 0 && result.rewards[3] == 0)
        #expect(state.points.allSatisfy { $0.isFinite })
        // The other episodes stepped: their actions are their next points.
        #expect(Array(result.actions[0..<2]) == Array(state.points[0..<2]) && Array(result.actions[4..<6]) == Array(state.points[4..<6]))
        #expect(state.points[0] == before[0] * times[1] / times[0])
        // Later steps hold the last finite point with zero reward and no new flag.
        let later = try mdp.step(&state, policy: ExplodingPolicy())
        #expect(Array(later.actions[2..<4]) == Array(before[2..<4]) && Array(state.points[2..<4]) == Array(before[2..<4]))
        #expect(later.rewards[2] == 0 && later.rewards[3] == 0 && later.truncated == [false, false, false])
        #expect(state.truncated == [false, true, false])
    }

    @Test("a step budget truncates (not terminates) episodes that have not reached t_min")
    func stepBudgetTruncates() throws {
        let mdp = try DenoisingMDP(dimension: 1, times: times, stepBudget: 2)
        var stream = RandomStream(seed: 4, purpose: "reset")
        var state = mdp.reset(count: 2, stream: &stream)
        _ = try mdp.step(&state, policy: GaussianEulerPolicy(mean: 0, variance: 1))
        let before = state.points
        let second = try mdp.step(&state, policy: GaussianEulerPolicy(mean: 0, variance: 1))
        #expect(second.truncated == [true, true] && second.terminated == [false, false])
        // The budget's last step is a real step: it moves the state and pays its reward.
        #expect(second.actions == state.points && state.points != before)
        #expect(zip(second.rewards, zip(state.points, before)).allSatisfy { $0 == $1.0 - $1.1 })
    }

    @Test("a state that does not fit the MDP is rejected with what was found and what was expected")
    func malformedStatesAreRejected() throws {
        let mdp = try DenoisingMDP(dimension: 2, times: times)
        var stream = RandomStream(seed: 6, purpose: "reset")
        let good = mdp.reset(count: 3, stream: &stream)
        let policy = GaussianEulerPolicy(mean: 0, variance: 1)
        var short = good
        short.points.removeLast()
        #expect { try mdp.step(&short, policy: policy) } throws: { "\($0)".contains("5 point values") && "\($0)".contains("= 6") }
        var missingFlag = good
        missingFlag.truncated.removeLast()
        #expect { try mdp.step(&missingFlag, policy: policy) } throws: { "\($0)".contains("2 truncated") && "\($0)".contains("3 episodes") }
        for index in [-1, 6] {
            var outside = good
            outside.stepIndex = index
            #expect { try mdp.step(&outside, policy: policy) } throws: { "\($0)".contains("step index is \(index)") && "\($0)".contains("0…5") }
        }
        var state = good
        #expect(try mdp.step(&state, policy: policy).actions.count == 6)
    }

    @Test("bad grids and settings are rejected with messages that say what is wrong")
    func invalidSettings() {
        for (times, fragment) in [([80.0], "at least 2"), ([80, 80], "strictly decreasing"), ([0.002, 80], "strictly decreasing"),
                                  ([80, 0], "> 0"), ([80, .nan], "finite")] {
            #expect { try DenoisingMDP(dimension: 2, times: times) } throws: { "\($0)".contains(fragment) }
        }
        #expect(throws: EnvironmentError.self) { try DenoisingMDP(dimension: 0, times: [80, 1]) }
        #expect(throws: EnvironmentError.self) { try DenoisingMDP(dimension: 2, times: [80, 1], stepBudget: 0) }
    }

    @Test("the conditional estimator's mean given x_t equals the exact Euler step with the true denoiser")
    func conditionalEstimatorIsUnbiased() throws {
        // Data N(μ, s²): given x_t the posterior of x₀ is N((t²μ + s²x)/(s² + t²), s²t²/(s² + t²)).
        let mu = 0.7, s2 = 0.09, t = 1.5, r = 0.6, xt = 2.0
        let posteriorMean = (t * t * mu + s2 * xt) / (s2 + t * t), posteriorVariance = s2 * t * t / (s2 + t * t)
        let samples = 200_000
        var stream = RandomStream(seed: 5, purpose: "posterior")
        var data = [Double](repeating: 0, count: samples), noise = data, noisy = data, estimate = data
        for i in 0..<samples {
            data[i] = posteriorMean + posteriorVariance.squareRoot() * stream.nextNormal()
            noise[i] = (xt - data[i]) / t
        }
        let times = [Double](repeating: t, count: samples), targets = [Double](repeating: r, count: samples)
        ConditionalSampleEstimator.transition(data: data, noise: noise, count: samples, dimension: 1, times: times,
                                              targetTimes: targets, noisy: &noisy, estimate: &estimate)
        #expect(noisy.allSatisfy { abs($0 - xt) < 1e-12 })
        let euler = xt + (r - t) * (xt - posteriorMean) / t
        let (mean, variance, _) = DoubleMath.meanAndVariance(estimate)
        #expect(abs(mean - euler) < 4 * (variance / Double(samples)).squareRoot())
        // Its variance is (t − r)² Var[x₀ | x_t] / t².
        #expect(abs(variance / ((t - r) * (t - r) * posteriorVariance / (t * t)) - 1) < 0.02)
    }
}

@Suite("Solver policies in the MDP")
struct SolverPolicyTests {
    @Test("with the exact policy on a Gaussian mixture, an episode ends at f*(x_{t_max}, t_max)")
    func exactPolicyEndsAtExactValue() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let mdp = try DenoisingMDP(dimension: 2, grid: try TimeGrid.karras(count: 6))
        var stream = RandomStream(seed: 7, purpose: "reset")
        var state = mdp.reset(count: 5, stream: &stream)
        let start = state.points
        let policy = SolverPolicy(solver: DormandPrinceSolver(), denoiser: ring)
        while state.stepIndex < mdp.stepCount { _ = try mdp.step(&state, policy: policy) }
        let exact = try ExactValue(distribution: ring, minimumTime: mdp.minimumTime).consistency(start, time: mdp.maximumTime)
        for i in exact.indices { #expect(abs(state.points[i] - exact[i]) < 1e-6) }
        #expect(state.terminated.allSatisfy { $0 })
    }

    /// Dormand–Prince throws for its whole group where Euler returns NaN rows; the policy must turn
    /// that into NaN for the failing episode only, so the MDP truncates it and advances the others.
    @Test("a Dormand–Prince policy whose denoiser fails for one episode truncates that episode and advances the others")
    func adaptivePolicyTruncatesOnlyTheFailingEpisode() throws {
        /// The ring's denoiser, NaN for points whose first coordinate exceeds 1000.
        struct FailingFarOut: Denoiser {
            let base: GaussianMixture
            func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
                try base.denoise(points, count: count, time: t, into: output)
                for row in 0..<count where points[2 * row] > 1000 { output[2 * row] = .nan }
            }
        }
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let mdp = try DenoisingMDP(dimension: 2, grid: try TimeGrid.karras(count: 6))
        var stream = RandomStream(seed: 7, purpose: "reset")
        var state = mdp.reset(count: 3, stream: &stream)
        state.points[2] = 5000     // episode 1 starts far out
        let before = state.points
        let policy = SolverPolicy(solver: DormandPrinceSolver(), denoiser: FailingFarOut(base: ring))
        _ = try mdp.step(&state, policy: policy)
        #expect(state.truncated == [false, true, false])
        #expect(Array(state.points[2..<4]) == Array(before[2..<4]), "the truncated episode keeps its state")
        // The other episodes moved exactly as a solve of each alone.
        for row in [0, 2] {
            let alone = try DormandPrinceSolver().solve(Array(before[2 * row..<2 * row + 2]), dimension: 2,
                                                        from: mdp.maximumTime, to: mdp.times[1], denoiser: ring)
            #expect(Array(state.points[2 * row..<2 * row + 2]) == alone)
        }
        // A caller mistake still throws.
        var scratch = [Double](repeating: 0, count: 6)
        #expect(throws: SolverError.self) {
            try scratch.withUnsafeMutableBufferPointer { try policy.advance(before, count: 3, dimension: 2, from: 1, to: 2, into: $0.baseAddress!) }
        }
    }

    @Test("a Heun teacher policy over a fine grid approaches the exact end point")
    func heunTeacherConverges() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        var errors: [Double] = []
        for count in [18, 72] {
            let mdp = try DenoisingMDP(dimension: 2, grid: try TimeGrid.karras(count: count))
            var stream = RandomStream(seed: 8, purpose: "reset")
            var state = mdp.reset(count: 16, stream: &stream)
            let start = state.points
            let policy = SolverPolicy(solver: HeunSolver(), denoiser: ring)
            while state.stepIndex < mdp.stepCount { _ = try mdp.step(&state, policy: policy) }
            let exact = try ExactValue(distribution: ring, minimumTime: mdp.minimumTime).consistency(start, time: mdp.maximumTime)
            errors.append(zip(state.points, exact).map { abs($0 - $1) }.max()!)
        }
        #expect(errors[1] < errors[0] / 4, "Heun errors at 18 and 72 grid points: \(errors)")
    }
}

@Suite("Conditional training batches")
struct ConditionalTrainingBatchTests {
    @Test("x_t = x₀ + t z and x̂_r = x₀ + r z with r < t, and a batch depends only on (seed, iteration)")
    func batchesAreConsistentAndReproducible() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let sampler = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800)
        let batch = try ConditionalTrainingBatch(count: 64, from: ring, pairs: sampler, iteration: 10, seed: 3)
        for row in 0..<64 {
            #expect(batch.targetTimes[row] < batch.times[row] && batch.targetTimes[row] >= 0)
            for j in 0..<2 {
                let i = row * 2 + j
                #expect(batch.noisy[i] == batch.data[i] + batch.times[row] * batch.noise[i])
                #expect(batch.estimate[i] == batch.data[i] + batch.targetTimes[row] * batch.noise[i])
            }
        }
        #expect(batch.labels?.count == 64)
        #expect(try ConditionalTrainingBatch(count: 64, from: ring, pairs: sampler, iteration: 10, seed: 3) == batch)
        #expect(try ConditionalTrainingBatch(count: 64, from: ring, pairs: sampler, iteration: 11, seed: 3) != batch)
        #expect(throws: EnvironmentError.self) { try ConditionalTrainingBatch(count: 0, from: ring, pairs: sampler, iteration: 0, seed: 0) }
    }

    @Test("a negative iteration is rejected (not clamped for the streams and passed on to the pair sampler)")
    func negativeIterationIsRejected() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let sampler = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800)
        #expect { try ConditionalTrainingBatch(count: 4, from: ring, pairs: sampler, iteration: -1, seed: 3) } throws: {
            "\($0)".contains("≥ 0") && "\($0)".contains("-1")
        }
        #expect(try ConditionalTrainingBatch(count: 4, from: ring, pairs: sampler, iteration: 0, seed: 3).count == 4)
    }
}

@Suite("The conditional estimator on a Gaussian mixture")
struct ConditionalEstimatorMixtureTests {
    @Test("given x_t, the mean of x₀ + r z over posterior draws equals the Euler step with the exact mixture denoiser")
    func unbiasedOnTheRing() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let t = 1.2, r = 0.5, samples = 100_000
        for xt in [[0.3, 0.1], [1.9, -0.4], [-1.0, 1.6]] {
            let queries = Array((0..<samples).flatMap { _ in xt })
            var posterior = [Double](repeating: 0, count: 2 * samples)
            var stream = RandomStream(seed: 12, purpose: "posterior")
            ring.samplePosterior(queries, count: samples, time: t, into: &posterior, stream: &stream)
            var noise = posterior, noisy = posterior, estimate = posterior
            for i in noise.indices { noise[i] = (queries[i] - posterior[i]) / t }
            ConditionalSampleEstimator.transition(
                data: posterior, noise: noise, count: samples, dimension: 2,
                times: [Double](repeating: t, count: samples), targetTimes: [Double](repeating: r, count: samples),
                noisy: &noisy, estimate: &estimate)
            var denoised = [0.0, 0.0]
            ring.denoise(xt, count: 1, time: t, into: &denoised)
            for j in 0..<2 {
                let column = stride(from: j, to: 2 * samples, by: 2).map { estimate[$0] }
                let (mean, variance, _) = DoubleMath.meanAndVariance(column)
                let euler = xt[j] + (r - t) * (xt[j] - denoised[j]) / t
                #expect(abs(mean - euler) < 5 * (variance / Double(samples)).squareRoot() + 1e-12,
                        "x_t = \(xt), coordinate \(j): mean \(mean), Euler \(euler)")
            }
        }
    }
}
