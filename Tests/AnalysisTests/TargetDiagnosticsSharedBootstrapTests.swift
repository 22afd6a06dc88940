import Foundation
import Testing
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments

/// `run(bootstraps:)` shares the draws and the estimators' moves between bootstraps; each of its
/// results must be bit for bit the run with that bootstrap alone.
@Suite("Target diagnostics: several bootstraps in one run")
struct TargetDiagnosticsSharedBootstrapTests {
    @Test("each result of run(bootstraps:) is bit-identical to the run with that bootstrap alone, for every estimator and return")
    func sharedRunEqualsSeparateRuns() throws {
        let mixture = try diagnosticsTestMixture()
        let exact = try ExactValue(distribution: mixture, minimumTime: 0.002)
        let estimators: [TransitionEstimator] = [.exact, .teacher(.heun), .conditionalSample, .scoreIdentity(referenceSize: 1),
                                                 .scoreIdentity(referenceSize: 5), .empiricalExact]
        let columns = TargetDiagnosticsColumn.grid(estimators: estimators, targets: [.td0, .nStep(2), .lambda(0.7, horizon: 3)])
        let settings = TargetDiagnosticsSettings(times: [0.3, 2.0], steps: .ratios([0.6, 0]), columns: columns,
                                                 queryCount: 3, sampleCount: 4, seed: 9, empiricalSetSize: 40)
        let bootstraps: [DiagnosticBootstrap] = [
            .exact, .function(ShiftedExactValue(exact: exact, shift: [0.25, -0.5]), name: "shifted"),
        ]
        let shared = try TargetDiagnostics(distribution: mixture, settings: settings).run(bootstraps: bootstraps)
        #expect(shared.count == 2)
        for (b, bootstrap) in bootstraps.enumerated() {
            let alone = try TargetDiagnostics(distribution: mixture, settings: settings, bootstrap: bootstrap).run()
            #expect(shared[b].bootstrap == alone.bootstrap)
            #expect(shared[b].columnNames == alone.columnNames)
            #expect(resultBits(shared[b]) == resultBits(alone), "bootstrap \(bootstrap.name)")
        }
        // The shifted bootstrap really changes the targets, so the comparison above sees both.
        #expect(resultBits(shared[0]) != resultBits(shared[1]))
    }

    @Test("run(bootstraps:) rejects an empty list and a bootstrap of the wrong dimension, naming what is expected")
    func sharedRunChecksItsBootstraps() throws {
        let mixture = try diagnosticsTestMixture()
        let settings = TargetDiagnosticsSettings(times: [1], steps: .ratios([0.5]), columns: TargetDiagnosticsColumn.grid(estimators: [.exact]),
                                                 queryCount: 2, sampleCount: 2)
        let diagnostics = try TargetDiagnostics(distribution: mixture, settings: settings)
        #expect { try diagnostics.run(bootstraps: []) } throws: { "\($0)".contains("at least one bootstrap") }
        let threeDimensional = try GaussianMixture(weights: [1], means: [[0, 0, 0]], standardDeviations: [0.5])
        let other = try ExactValue(distribution: threeDimensional, minimumTime: 0.002)
        #expect { try diagnostics.run(bootstraps: [.exact, .function(ShiftedExactValue(exact: other, shift: [0]), name: "3-D")]) } throws: {
            "\($0)".contains("dimension 3")
        }
        // A function that returns the wrong number of values is refused (it used to index out of range or be cut short).
        let exact = try ExactValue(distribution: mixture, minimumTime: 0.002)
        for extra in [-1, 1] {
            let wrong = try TargetDiagnostics(distribution: mixture, settings: settings,
                                              bootstrap: .function(MiscountedValue(exact: exact, extra: extra), name: "miscounted"))
            #expect { try wrong.run() } throws: { "\($0)".contains("the bootstrap function returned") && "\($0)".contains("expected") }
        }
    }
}
