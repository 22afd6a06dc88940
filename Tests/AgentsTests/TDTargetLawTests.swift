import Agents
import Environments
import PropertyBased
import Tensors
import Testing

/// The laws of METHODS.md §4 on the ring of 8 Gaussians (std 0.1, radius 2).
@Suite("TD target laws")
struct TDTargetLawTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
    static let minimumTime = 0.002

    /// A batch x_t = x₀ + t z with (x₀, z) from `seed` and the given pairs.
    static func batch(_ pairs: [TimePair], seed: UInt64) -> (data: [Double], noise: [Double], noisy: [Double]) {
        var dataStream = RandomStream(seed: seed, purpose: "data", index: 0)
        var noiseStream = RandomStream(seed: seed, purpose: "noise", index: 0)
        let data = ring.sample(count: pairs.count, stream: &dataStream)
        var noise = [Double](repeating: 0, count: data.count)
        noise.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: $0.count) }
        var noisy = data
        for i in noisy.indices { noisy[i] += pairs[i / 2].time * noise[i] }
        return (data, noise, noisy)
    }

    /// Karras-grid pairs: row i starts at a grid point and its path follows the grid down.
    static func gridPaths(rows: Int, horizon: Int, forceTerminal: Bool = false, seed: UInt64) throws -> (TimePaths, [TimePair]) {
        let grid = try TimeGrid.karras(count: 12, minimum: minimumTime, maximum: 80).descending
        var stream = RandomStream(seed: seed, purpose: "time", index: 0)
        let pairs = (0..<rows).map { _ -> TimePair in
            let i = try! stream.nextCategory(weights: [Double](repeating: 1, count: grid.count - 1))
            return TimePair(time: grid[i], targetTime: grid[i + 1])
        }
        let paths = try TimePaths(pairs: pairs, horizon: horizon, minimumTime: minimumTime, forceTerminal: forceTerminal) { t in
            grid.first(where: { $0 < t * (1 - 1e-12) }) ?? minimumTime
        }
        return (paths, pairs)
    }

    /// A smooth made-up bootstrap value (any function works for the algebraic laws).
    static func madeUpValue(_ points: [Double], _ times: [Double]) -> [Double] {
        points.enumerated().map { i, x in 0.9 * x + 0.1 * Foundation.sin(x * times[i / 2]) }
    }

    static func teacher() -> TeacherTransition {
        TeacherTransition(teacher: ClosedFormTeacher(ring, dimension: 2), solver: .heun)
    }

    @Test("n-step with n = 1 equals TD(0), for any seed and estimator")
    func nStepOneIsTD0() async throws {
        await propertyCheck(count: 20, input: Gen.int(in: 0...1_000_000)) { seedValue in
            let seed = UInt64(seedValue)
            let (paths, pairs) = try! Self.gridPaths(rows: 16, horizon: 1, seed: seed)
            let batch = Self.batch(pairs, seed: seed)
            let conditional = try! ConditionalSampleTransition(data: batch.data, noise: batch.noise, dimension: 2)
            for estimator in [conditional as any TransitionEstimating, Self.teacher()] {
                let td0 = try! TDTargetKernels.target(.td0, start: batch.noisy, paths: paths, estimator: estimator, bootstrap: Self.madeUpValue)
                let oneStep = try! TDTargetKernels.target(.nStep(1), start: batch.noisy, paths: paths, estimator: estimator, bootstrap: Self.madeUpValue)
                #expect(td0 == oneStep)
            }
        }
    }

    @Test("TD(λ) with λ = 0 equals TD(0); with λ = 1 it equals Monte Carlo on the same horizon")
    func lambdaLimits() throws {
        for seed: UInt64 in [1, 2, 3] {
            let horizon = 4
            let (paths, pairs) = try Self.gridPaths(rows: 32, horizon: horizon, forceTerminal: true, seed: seed)
            let batch = Self.batch(pairs, seed: seed)
            let estimator = Self.teacher()
            let td0 = try TDTargetKernels.target(.td0, start: batch.noisy, paths: paths, estimator: estimator, bootstrap: Self.madeUpValue)
            let lambdaZero = try TDTargetKernels.target(.lambda(0, horizon: horizon), start: batch.noisy, paths: paths,
                                                        estimator: estimator, bootstrap: Self.madeUpValue)
            #expect(zip(td0, lambdaZero).allSatisfy { abs($0 - $1) <= 1e-15 * max(1, abs($0)) })
            let monteCarlo = try TDTargetKernels.target(.monteCarlo(maximumSteps: horizon), start: batch.noisy, paths: paths,
                                                        estimator: estimator, bootstrap: Self.madeUpValue)
            let lambdaOne = try TDTargetKernels.target(.lambda(1, horizon: horizon), start: batch.noisy, paths: paths,
                                                       estimator: estimator, bootstrap: Self.madeUpValue)
            #expect(monteCarlo == lambdaOne)
            // And the made-up bootstrap really matters elsewhere: λ = 0.5 differs from both limits.
            let lambdaHalf = try TDTargetKernels.target(.lambda(0.5, horizon: horizon), start: batch.noisy, paths: paths,
                                                        estimator: estimator, bootstrap: Self.madeUpValue)
            #expect(lambdaHalf != monteCarlo && lambdaHalf != td0)
        }
    }

    /// Monte Carlo reads x̂ at the paths' last step: a shorter rollout used to index past the states
    /// (a trap), and paths ending above t_min returned that state as if it were x̂_{t_min}.
    @Test("a Monte-Carlo return refuses paths longer than its rollout and paths that do not end at t_min")
    func monteCarloNeedsMatchingTerminalPaths() throws {
        let (terminal, pairs) = try Self.gridPaths(rows: 8, horizon: 4, forceTerminal: true, seed: 5)
        let batch = Self.batch(pairs, seed: 5)
        #expect(throws: AgentError.self) {
            try TDTargetKernels.target(.monteCarlo(maximumSteps: 2), start: batch.noisy, paths: terminal,
                                       estimator: Self.teacher(), bootstrap: Self.madeUpValue)
        }
        let (open, _) = try Self.gridPaths(rows: 8, horizon: 4, forceTerminal: false, seed: 5)
        #expect { try TDTargetKernels.target(.monteCarlo(maximumSteps: 4), start: batch.noisy, paths: open,
                                             estimator: Self.teacher(), bootstrap: Self.madeUpValue) }
            throws: { "\($0)".contains("t_min") && "\($0)".contains("terminal last step") }
        #expect(try TDTargetKernels.target(.monteCarlo(maximumSteps: 4), start: batch.noisy, paths: terminal,
                                           estimator: Self.teacher(), bootstrap: Self.madeUpValue).count == batch.noisy.count)
    }

    @Test("every TD target's name reads back as that target (non-default λ horizons and Monte-Carlo caps included)")
    func namesRoundTrip() throws {
        let targets: [TDTarget] = [.td0, .nStep(4), .lambda(0.8), .lambda(0.8, horizon: 4), .lambda(1, horizon: 1),
                                   .monteCarlo(), .monteCarlo(maximumSteps: 32)]
        for target in targets { #expect(try TDTarget.named(target.description) == target, "\(target)") }
        for bad in ["lambda-0.8-h0", "lambda-0.8-hx", "monte-carlo-0", "lambda-2"] {
            #expect(throws: AgentError.self, "\(bad)") { try TDTarget.named(bad) }
        }
    }

    @Test("the λ-return weights sum to one: equal n-step returns give that return")
    func lambdaWeightsSumToOne() {
        let returns = [[Double]](repeating: [1.5, -2.0], count: 6)
        for lambda in [0.0, 0.3, 0.8, 1.0] {
            let g = TDTargetKernels.lambdaReturn(returns, lambda: lambda)
            #expect(abs(g[0] - 1.5) < 1e-14 && abs(g[1] + 2.0) < 1e-14)
        }
    }

    @Test("with the exact estimator and the exact f* as bootstrap every TD target equals f*(x_t, t) to 1e−6")
    func exactTargetsAreTheExactValue() throws {
        let exact = try ExactValue(distribution: Self.ring, minimumTime: Self.minimumTime)
        let estimator = ExactTransition(distribution: Self.ring, minimumTime: Self.minimumTime)
        let (paths, pairs) = try Self.gridPaths(rows: 12, horizon: 4, forceTerminal: false, seed: 7)
        let batch = Self.batch(pairs, seed: 7)
        let truth = try exact.consistency(batch.noisy, times: pairs.map(\.time))
        let bootstrap: ([Double], [Double]) throws -> [Double] = { points, times in try exact.consistency(points, times: times) }
        let terminalPaths = try Self.gridPaths(rows: 12, horizon: 12, forceTerminal: true, seed: 7).0
        for (target, usedPaths) in [(TDTarget.td0, paths), (.nStep(3), paths), (.lambda(0.8, horizon: 4), paths),
                                    (.monteCarlo(maximumSteps: 12), terminalPaths)] {
            let g = try TDTargetKernels.target(target, start: batch.noisy, paths: usedPaths, estimator: estimator, bootstrap: bootstrap)
            let error = zip(g, truth).map { abs($0 - $1) }.max()!
            #expect(error < 1e-6, "\(target): max error \(error)")
        }
    }

    @Test("at a terminal time the bootstrap value is the point itself (r = 0 gives the estimator's x₀)")
    func boundaryIsExact() throws {
        let pairs = [TimePair(time: 1.0, targetTime: 0), TimePair(time: 2.0, targetTime: 0.001)]
        let paths = try TimePaths(pairs: pairs, horizon: 1, minimumTime: Self.minimumTime) { $0 / 2 }
        let batch = Self.batch(pairs, seed: 3)
        let conditional = try ConditionalSampleTransition(data: batch.data, noise: batch.noise, dimension: 2)
        let g = try TDTargetKernels.target(.td0, start: batch.noisy, paths: paths, estimator: conditional) { points, _ in
            points.map { _ in Double.nan }  // never used at terminal times
        }
        // Row 0: r = 0 → x₀. Row 1: r below t_min → clamped to t_min, the point x₀ + t_min z itself.
        #expect(Array(g[0..<2]) == Array(batch.data[0..<2]))
        #expect(abs(g[2] - (batch.data[2] + Self.minimumTime * batch.noise[2])) < 1e-15)
    }

    @Test("with the conditional estimator every n-step point lies on x₀ + τ z: n-step equals one step to τ_n")
    func conditionalNStepIsOneLongStep() throws {
        let (paths, pairs) = try Self.gridPaths(rows: 16, horizon: 3, seed: 11)
        let batch = Self.batch(pairs, seed: 11)
        let conditional = try ConditionalSampleTransition(data: batch.data, noise: batch.noise, dimension: 2)
        let states = try TDTargetKernels.rollout(from: batch.noisy, paths: paths, steps: 3, estimator: conditional)
        for row in 0..<16 {
            let tau = paths.time(row: row, step: 3)
            for j in 0..<2 {
                let expected = tau <= Self.minimumTime && paths.time(row: row, step: 2) <= Self.minimumTime
                    ? states[2][row * 2 + j] : batch.data[row * 2 + j] + tau * batch.noise[row * 2 + j]
                #expect(abs(states[3][row * 2 + j] - expected) < 1e-12)
            }
        }
    }

    @Test("the teacher estimator with a closed-form denoiser equals the environment's Euler and Heun solvers")
    func teacherMatchesSolvers() throws {
        let points: [Double] = [0.3, -1.2, 2.5, 0.4, -0.7, 1.9]
        for (solver, reference) in [(TeacherSolver.euler, EulerSolver() as any ProbabilityFlowSolver), (.heun, HeunSolver())] {
            let estimator = TeacherTransition(teacher: ClosedFormTeacher(Self.ring, dimension: 2), solver: solver)
            let ours = try estimator.advance(points, times: [1.5, 1.5, 1.5], targetTimes: [0.9, 0.9, 0.9])
            let theirs = try reference.solve(points, dimension: 2, from: 1.5, to: 0.9, denoiser: Self.ring)
            #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) < 1e-12 })
        }
    }
}

import Foundation
