import Foundation
import Testing
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments
import NeuralNetworks

/// The bias half of METHODS.md §10 on a Gaussian mixture, against oracles computed independently of
/// the diagnostics' code path.
@Suite("Target diagnostics: bias of exact and teacher targets")
struct TargetDiagnosticsBiasTests {
    @Test("the exact estimator with the f* bootstrap has bias < 1e−5 for TD(0), n-step, TD(λ), Monte Carlo and r = 0")
    func exactEstimatorIsUnbiased() throws {
        let mixture = try diagnosticsTestMixture()
        let columns = TargetDiagnosticsColumn.grid(estimators: [.exact], targets: [.td0, .nStep(3), .lambda(0.8), .monteCarlo()])
        let settings = TargetDiagnosticsSettings(times: [0.5, 2.0], steps: .ratios([0.9, 0.5, 0]), columns: columns,
                                                 queryCount: 6, sampleCount: 2, seed: 3)
        let result = try TargetDiagnostics(distribution: mixture, settings: settings).run()
        #expect(result.pairs.count == 6)
        for pair in result.pairs {
            for estimate in pair.estimates {
                #expect(estimate.bias.allSatisfy { $0 < 1e-5 }, "t = \(pair.time), r = \(pair.targetTime), \(estimate.name): \(estimate.bias)")
                #expect(estimate.variance.allSatisfy { $0 == 0 })
            }
        }
    }

    /// bias(x_t) = ‖f*(x̂_r, r) − f*(x_t, t)‖/√D and f*(x_t, t) = f*(x_r, r) on the exact path, so the bias
    /// is the one step's local error carried to t_min: ‖f*(x̂_r, r) − f*(x_r^fine, r)‖/√D, with x̂_r from
    /// Environments' `EulerSolver`/`HeunSolver` (one step) and x_r^fine from 4000 Heun steps on a
    /// geometric grid (global error ~1e−9, far below the local errors measured).
    @Test("teacher Euler and Heun (closed-form denoiser) biases equal the local error predicted by a finer solve")
    func teacherBiasIsTheLocalError() throws {
        let mixture = try diagnosticsTestMixture()
        let columns = TargetDiagnosticsColumn.grid(estimators: [.teacher(.euler), .teacher(.heun)])
        let settings = TargetDiagnosticsSettings(times: [1.0, 3.0], steps: .ratios([0.9, 0.6]), columns: columns,
                                                 queryCount: 6, sampleCount: 2, seed: 11)
        let diagnostics = try TargetDiagnostics(distribution: mixture, settings: settings)
        let result = try diagnostics.run()
        let d = mixture.dimension
        let ode = try ProbabilityFlowODE(denoiser: mixture, dimension: d)
        for pair in result.pairs {
            let t = pair.time, r = pair.targetTime
            let fineGrid = (0...4000).map { t * Foundation.pow(r / t, Double($0) / 4000) }
            let fine = try HeunSolver().trajectory(pair.noisy, along: fineGrid, ode: ode).last!
            let reference = try diagnostics.exactValue.consistency(fine, time: r)
            for (estimate, solver) in zip(pair.estimates, [EulerSolver() as any ProbabilityFlowSolver, HeunSolver()]) {
                let step = try solver.solve(pair.noisy, from: t, to: r, along: ode)
                let carried = try diagnostics.exactValue.consistency(step, time: r)
                for i in 0..<settings.queryCount {
                    let predicted = TargetDiagnostics<GaussianMixture>.bias(carried, reference, row: i, dimension: d)
                    #expect(predicted > 1e-6, "the local error must be measurable: \(estimate.name) t = \(t) r = \(r)")
                    #expect(abs(estimate.bias[i] - predicted) <= 1e-3 * predicted + 1e-8,
                            "\(estimate.name) t = \(t) r = \(r) query \(i): bias \(estimate.bias[i]) vs predicted \(predicted)")
                }
            }
            let euler = pair.estimates[0].biasSummary.mean, heun = pair.estimates[1].biasSummary.mean
            #expect(heun < euler, "Heun (second order) must beat Euler at t = \(t), r = \(r): \(heun) vs \(euler)")
        }
    }

    /// With f_θ⁻ = f* + c away from t_min, an exact transition makes every bootstrapped return f* + c along
    /// the path (TD(λ)'s weights sum to 1), so bias = ‖c‖/√D; Monte Carlo and r = 0 (terminal: the value
    /// is the point itself) never call the bootstrap, so their bias stays 0.
    @Test("a ConsistencyFunction bootstrap f* + c gives bias ‖c‖/√D exactly where the return bootstraps")
    func functionBootstrapIsUsed() throws {
        let mixture = try diagnosticsTestMixture()
        let shift = [0.03, -0.04]
        let exact = try ExactValue(distribution: mixture)
        let bootstrap = DiagnosticBootstrap.function(ShiftedExactValue(exact: exact, shift: shift), name: "shifted")
        let columns = TargetDiagnosticsColumn.grid(estimators: [.exact], targets: [.td0, .lambda(0.7), .monteCarlo()])
        let settings = TargetDiagnosticsSettings(times: [1.5], steps: .ratios([0.9, 0]), columns: columns,
                                                 queryCount: 4, sampleCount: 2, seed: 5)
        let result = try TargetDiagnostics(distribution: mixture, settings: settings, bootstrap: bootstrap).run()
        #expect(result.bootstrap == "shifted")
        let expected = (shift.map { $0 * $0 }.reduce(0, +) / 2).squareRoot()
        let step = result.pairs[0], terminal = result.pairs[1]
        for name in ["exact", "exact-lambda-0.7"] {
            let estimate = try #require(step.estimates.first { $0.name == name })
            #expect(estimate.bias.allSatisfy { abs($0 - expected) < 1e-6 }, "\(name): \(estimate.bias) vs \(expected)")
        }
        let monteCarlo = try #require(step.estimates.first { $0.name == "exact-monte-carlo" })
        #expect(monteCarlo.bias.allSatisfy { $0 < 1e-5 }, "\(monteCarlo.bias)")
        for estimate in terminal.estimates {
            #expect(estimate.bias.allSatisfy { $0 < 1e-5 }, "r = 0, \(estimate.name): \(estimate.bias)")
        }
    }

    /// For a finite dataset the empirical-exact estimator (the score identity over the whole set) is the
    /// Euler step with the dataset's exact denoiser — the closed-form teacher's Euler step.
    @Test("on a finite dataset, empirical-exact targets equal teacher-Euler targets with the closed-form denoiser")
    func empiricalExactIsTheEulerStepOfTheDatasetDenoiser() throws {
        var stream = RandomStream(seed: 9, purpose: "analysis.test-dataset")
        var points = [Float](repeating: 0, count: 24)
        points.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: 24) }
        let dataset = try EmpiricalDataset(points: points, dimension: 2)
        let settings = TargetDiagnosticsSettings(times: [1.0], steps: .ratios([0.7]),
                                                 columns: TargetDiagnosticsColumn.grid(estimators: [.empiricalExact, .teacher(.euler)]),
                                                 queryCount: 5, sampleCount: 2, seed: 2)
        let result = try TargetDiagnostics(distribution: dataset, settings: settings).run()
        let empirical = result.pairs[0].estimates[0].meanTarget, teacher = result.pairs[0].estimates[1].meanTarget
        for (a, b) in zip(empirical, teacher) { #expect(abs(a - b) < 1e-9, "\(a) vs \(b)") }
    }

    @Test("grid-step counts give r = the n-th grid point below t, and the path keeps that stride")
    func gridStepsFollowTheGrid() throws {
        let grid = try TimeGrid.karras(count: 12, minimum: 0.002, maximum: 10)
        let rule = TargetStepRule.gridSteps([1, 3], grid: grid)
        let t = 5.0
        let below = grid.ascending.filter { $0 < t }.reversed().map { $0 }
        #expect(rule.targetTime(at: t, index: 0) == below[0])
        #expect(rule.targetTime(at: t, index: 1) == below[2])
        let pair = TimePair(time: t, targetTime: below[2])
        #expect(rule.nextTime(after: below[2], pair: pair, index: 1) == below[5])
        #expect(TargetStepRule.ratios([0.5]).nextTime(after: 0.8, pair: TimePair(time: 2, targetTime: 1), index: 0) == 0.4)
        #expect(TargetStepRule.targetTimes([1.5]).nextTime(after: 1.5, pair: TimePair(time: 2, targetTime: 1.5), index: 0) == 1.0)
    }
}

/// A checkpoint's network as the bootstrap: the whole TD target as training sees it.
@Suite("Target diagnostics: a network bootstrap")
struct TargetDiagnosticsNetworkBootstrapTests {
    @Test("with a network f_θ the exact TD(0) target is f_θ(x_r, r) at the exact x_r, and the bias is measured against f*")
    func networkBootstrapIsTheTarget() throws {
        let mixture = try diagnosticsTestMixture()
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2), seed: 3)
        let network = try PreconditionedNetwork(network: mlp, preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.8))
        let settings = TargetDiagnosticsSettings(times: [1.2], steps: .ratios([0.7]), columns: [TargetDiagnosticsColumn(estimator: .exact)],
                                                 queryCount: 5, sampleCount: 2, seed: 6, minimumTime: network.minimumTime)
        let diagnostics = try TargetDiagnostics(distribution: mixture, settings: settings, bootstrap: .function(network, name: "untrained"))
        let pair = try diagnostics.run().pairs[0]
        let exactStep = try ExactTransition(distribution: mixture, minimumTime: settings.minimumTime)
            .advance(pair.noisy, times: [Double](repeating: 1.2, count: 5), targetTimes: [Double](repeating: pair.targetTime, count: 5))
        let expected = try network.consistency(exactStep, time: pair.targetTime)
        let estimate = pair.estimates[0]
        for (a, b) in zip(estimate.meanTarget, expected) { #expect(abs(a - b) < 1e-9, "\(a) vs \(b)") }
        for i in 0..<5 {
            let bias = TargetDiagnostics<GaussianMixture>.bias(expected, pair.exactValue, row: i, dimension: 2)
            #expect(abs(estimate.bias[i] - bias) < 1e-9)
            #expect(bias > 1e-3, "an untrained network is far from f*")
        }
    }
}
