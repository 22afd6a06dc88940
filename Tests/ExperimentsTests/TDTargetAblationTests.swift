import Analysis
import Foundation
import HDF5
import Testing
@testable import TDTargetAblation

@Suite("TDTargetAblation: grid, aggregation, results file, notebook")
struct TDTargetAblationTests {
    @Test("the grid is every target (TD(0), n-step 2/4/8, TD(λ) 0.5/0.9) × every estimator (conditional, score identity 64/256/1024, teacher), once")
    func gridIsTheFullCrossProduct() {
        let grid = AblationConfiguration.grid
        #expect(grid.count == 30)
        #expect(Set(grid.map { "\($0.target)|\($0.estimator)" }).count == 30)
        #expect(Set(grid.map { "\($0.target)" }) == ["td0", "nstep-2", "nstep-4", "nstep-8", "lambda-0.5", "lambda-0.9"])
        #expect(Set(grid.map { "\($0.estimator)" })
            == ["conditional", "score-identity-64", "score-identity-256", "score-identity-1024", "teacher-heun"])
    }

    @Test("table cells are mean ± SE over seeds, matching hand-computed values")
    func tableAggregatesMeanAndStandardError() throws {
        let environment = try AblationEnvironment.all()[0]
        func run(_ gap: Double) -> AblationRunResult {
            let score = SampleScore(samples: [], squaredSlicedWasserstein2: 2 * gap, nonFiniteSampleCount: 0,
                                    negativeLogLikelihood: nil, negativeLogLikelihoodGap: gap, modeCoverage: 1)
            return AblationRunResult(curve: [score], oneStep: score, twoStep: score, seconds: 0)
        }
        let table = AblationTable(environment: environment, configurations: [AblationConfiguration.grid[0]], runs: [[run(0.1), run(0.2), run(0.6)]])
        let estimate = table.estimate(.nllGapOneStep, configuration: 0)
        // mean 0.3; deviations −0.2, −0.1, 0.3 → s² = 0.14 / 2 = 0.07; SE = √(0.07 / 3).
        #expect(abs(estimate.mean - 0.3) < 1e-12)
        #expect(abs(estimate.standardError - (0.07 / 3).squareRoot()) < 1e-12)
        #expect(table.markdown.contains("| td0 | conditional | +0.300 ± 0.153 | +0.300 ± 0.153 | 1.000 ± 0.000 | 0.6000 ± 0.3055 |"))
    }

    @Test("bad sizes fail with a message naming the option and what is expected")
    func badSizesAreRejected() throws {
        var size = AblationSize.quick
        size.steps = 0
        #expect(throws: AblationError.self) { try size.validate() }
        #expect(throws: (any Error).self) { try TDTargetAblationCommand.parse(["--seeds", "0"]).resolvedSize() }
        size = AblationSize.quick
        #expect(size.evaluationSteps == [0, 50, 100, 150])
        #expect(throws: AblationError.self) { try TDTargetAblationCommand.parse(["--environments", "ring9"]).selectedEnvironments() }
        #expect(try TDTargetAblationCommand.parse(["--environments", "gmm16"]).selectedEnvironments().map(\.name) == ["gmm16"])
    }

    /// One tiny run (full grid, 2 seeds, 6 steps, MLP 16×1) shared by the layout and notebook tests: the
    /// results folder, or the failure.
    static let tinyRun: Result<String, any Error> = Result {
        let folder = try ExperimentBinary.temporaryFolder("td-target-ablation")
        let result = try ExperimentBinary.run("TDTargetAblation", [
            "--quick", "--output", folder + "/td-target-ablation", "--seeds", "2", "--steps", "6", "--pretraining-steps", "20",
            "--batch", "16", "--evaluations", "2", "--samples", "64", "--width", "16", "--depth", "1",
        ], in: folder)
        guard result.status == 0, result.standardOutput.contains("[120/120]") else {
            throw ExperimentTestError("TDTargetAblation failed (exit \(result.status)): \(result.standardError)")
        }
        return folder
    }

    @Test("a tiny run writes a results file consistent with table.md and with its own laws", .timeLimit(.minutes(10)))
    func tinyRunResultsFile() throws {
        let output = try Self.tinyRun.get() + "/td-target-ablation"
        let file = try HDF5File(output + "/results.h5")
        #expect(try file.stringAttribute("format") == "consistency-td.td-target-ablation")
        #expect(try file.attributeArray("seeds", as: Int64.self) == [0, 1])
        #expect(try file.attribute("run_seconds", as: Double.self) > 0)
        #expect(!(try file.stringAttribute("toolkit_version")).isEmpty)
        let table = try String(contentsOfFile: output + "/table.md", encoding: .utf8)
        for environment in ["ring8", "gmm16"] {
            let group = try file.openGroup(environment)
            let targets = try group.openDataset("configurations/target").readStrings()
            let estimators = try group.openDataset("configurations/estimator").readStrings()
            #expect(targets.count == 30 && estimators.count == 30)
            let gaps = try group.openDataset("runs/nll_gap_1step").read(as: Double.self)
            #expect(gaps.count == 60)
            let curves = try group.openDataset("curves/nll_gap_1step")
            #expect(try curves.shape() == [60, 3])
            let curve = try curves.read(as: Double.self)
            for run in 0..<60 {
                // The last curve point is the final one-step evaluation (same model, same noise).
                #expect(curve[run * 3 + 2] == gaps[run])
                // Step 0 is the teacher's consistency output: identical for every configuration of a seed.
                let seed = run % 2
                #expect(curve[run * 3] == curve[seed * 3])
            }
            let means = try group.openDataset("table/nll_gap_1step_mean").read(as: Double.self)
            let errors = try group.openDataset("table/nll_gap_1step_se").read(as: Double.self)
            let coverage = try group.openDataset("runs/coverage_1step").read(as: Double.self)
            #expect(coverage.allSatisfy { $0 >= 0 && $0 <= 1 })
            for c in 0..<30 {
                let estimate = MonteCarloEstimate(values: [gaps[2 * c], gaps[2 * c + 1]])
                #expect(abs(estimate.mean - means[c]) < 1e-12)
                #expect(abs(estimate.standardError - errors[c]) < 1e-12)
                #expect(errors[c].isFinite && errors[c] >= 0)
                let cell = AblationTable.format(estimate, decimals: 3, signed: true)
                #expect(table.contains("| \(targets[c]) | \(estimators[c]) | \(cell) |"), "\(environment) row \(c): \(cell)")
            }
            #expect(try group.openDataset("samples_1step").shape() == [30, 64, environment == "ring8" ? 2 : 16])
        }
    }

    @Test("the notebook executes on a fresh tiny run", .enabled(if: NotebookRunner.shouldRun), .timeLimit(.minutes(10)))
    func notebookExecutes() throws {
        try NotebookRunner.execute("td-target-ablation.ipynb", results: try Self.tinyRun.get())
    }
}
