import Analysis
import Foundation
import HDF5
@testable import StepSizeBiasVariance
import Testing

@Suite("StepSizeBiasVariance experiment", .serialized)
struct StepSizeBiasVarianceTests {
    /// Times chosen so the conditional estimator's variance peak (intermediate t) is visible with few
    /// states: t = 0.05 (inside one mode), 1 (modes overlap), 40 (pure noise).
    static let arguments = ["--times", "0.05,1,40", "--step-count", "3", "--queries", "24", "--samples", "16",
                            "--reference-sizes", "4", "--train-steps", "30", "--environments", "ring8", "--resamples", "50"]

    /// One run shared by the tests of this suite.
    static let run: Result<String, any Error> = Result {
        let folder = try ExperimentBinary.temporaryFolder("step-size-bias-variance")
        let output = folder + "/step-size-bias-variance"
        let result = try ExperimentBinary.run("StepSizeBiasVariance", arguments + ["--output", output, "--seed", "3"], in: folder)
        guard result.status == 0, !result.timedOut else {
            throw ExperimentTestError("StepSizeBiasVariance failed (\(result.status)): \(result.standardOutput)\(result.standardError)")
        }
        return folder
    }

    static func values(_ group: HDF5Group, _ name: String) throws -> [Double] { try group.openDataset(name).read(as: Double.self) }

    @Test("the results file has arrays [estimator, t, Δt] of bias², variance and MSE with finite standard errors for both bootstraps")
    func resultsLayout() throws {
        let folder = try Self.run.get()
        let file = try HDF5File(folder + "/step-size-bias-variance/results.h5")
        #expect(try file.stringAttribute("format") == ResultsFile.format)
        #expect(try file.stringArrayAttribute("environments") == ["ring8"])
        #expect(try file.attribute("seed", as: UInt64.self) == 3)
        for bootstrap in ["exact", "network"] {
            let group = try file.openGroup("ring8/\(bootstrap)")
            let estimators = try group.stringArrayAttribute("estimators")
            #expect(estimators == ["exact", "teacher-euler", "teacher-heun", "conditional", "score-identity-4", "empirical-exact",
                                   "teacher-euler-network", "teacher-heun-network"])
            #expect(try Self.values(group, "times") == [0.05, 1, 40])
            #expect(try Self.values(group, "step_fractions").count == 3)
            for name in ["bias2", "bias2_stderr", "variance", "variance_stderr", "mse", "mse_stderr"] {
                #expect(try group.openDataset(name).shape() == [estimators.count, 3, 3])
                #expect(try Self.values(group, name).allSatisfy { $0.isFinite })
            }
            let mse = try Self.values(group, "mse"), bias2 = try Self.values(group, "bias2"), variance = try Self.values(group, "variance")
            for k in mse.indices { #expect(abs(mse[k] - bias2[k] - variance[k]) <= 1e-9 * max(1, abs(mse[k]))) }
            // The conditional estimator (index 3) is random: positive variance with positive standard errors.
            let errors = try Self.values(group, "variance_stderr")
            for k in (3 * 9)..<(4 * 9) { #expect(variance[k] > 0 && errors[k] > 0) }
        }
    }

    @Test("with f* as bootstrap the exact estimator has bias² ≈ 0 and variance 0")
    func exactEstimatorIsUnbiased() throws {
        let file = try HDF5File(try Self.run.get() + "/step-size-bias-variance/results.h5")
        let group = try file.openGroup("ring8/exact")
        let bias2 = try Self.values(group, "bias2"), variance = try Self.values(group, "variance")
        for k in 0..<9 {
            #expect(abs(bias2[k]) < 1e-12)
            #expect(variance[k] == 0)
        }
    }

    @Test("the teacher's Heun step has less bias² than its Euler step at small Δt (closed-form teacher)")
    func heunBeatsEulerAtSmallSteps() throws {
        let file = try HDF5File(try Self.run.get() + "/step-size-bias-variance/results.h5")
        let bias2 = try Self.values(try file.openGroup("ring8/exact"), "bias2")
        // Index [estimator, t, Δt] with Δt/t = 10^-1.5 (step 1): Euler is estimator 1, Heun 2.
        for i in 0..<3 { #expect(bias2[(2 * 3 + i) * 3 + 1] < bias2[(1 * 3 + i) * 3 + 1]) }
    }

    @Test("the conditional estimator's variance peaks at intermediate t, and the table shows the stored peak")
    func variancePeakIsVisible() throws {
        let folder = try Self.run.get()
        let file = try HDF5File(folder + "/step-size-bias-variance/results.h5")
        let group = try file.openGroup("ring8/exact")
        let j = Int(try group.attribute("peak_step_index", as: Int64.self))
        let variance = try Self.values(group, "variance")
        let curve = (0..<3).map { variance[(3 * 3 + $0) * 3 + j] }
        let peaks = try group.openDataset("variance_peak_index").read(as: Int64.self)
        let peak = Int(peaks[3 * 3 + j])
        #expect(peak == 1)
        #expect(curve[peak] > curve[0] && curve[peak] > curve[2])
        #expect(try Self.values(group, "variance_peak_time")[3] == 1)
        #expect(try Self.values(group, "variance_peak_time")[0].isNaN)
        let table = try String(contentsOfFile: folder + "/step-size-bias-variance/table.md", encoding: .utf8)
        #expect(table.contains("| conditional | 1 | \(String(format: "%.3e", curve[0])) | \(String(format: "%.3e", curve[1])) | \(String(format: "%.3e", curve[2])) |"))
        let bias2 = try Self.values(group, "bias2")
        #expect(table.contains("| teacher-euler | 1 | \(String(format: "%.3e", 1.0 * (try Self.values(group, "step_fractions")[j]))) | \(String(format: "%.3e", bias2[(1 * 3 + 1) * 3 + j]))"))
    }

    @Test("bias², variance and MSE per pair are the means of the decomposition, and the peak is the argmax over t")
    func gridAggregatesHandComputedValues() throws {
        func estimate(_ name: String, _ bias: [Double], _ variance: [Double]) -> TargetDiagnosticsEstimate {
            TargetDiagnosticsEstimate(name: name, meanTarget: [0, 0], bias: bias, variance: variance)
        }
        let pairs = [(0.5, [0.2, 0.4], [1.0, 3.0]), (2.0, [0.1, 0.3], [5.0, 7.0]), (8.0, [0.0, 0.2], [0.5, 0.5])].map { t, bias, variance in
            TargetDiagnosticsPair(time: t, targetTime: t / 2, data: [0, 0], noisy: [0, 0], exactValue: [0, 0],
                                  estimates: [estimate("conditional", bias, variance), estimate("exact", [0.1, 0.1], [0, 0])])
        }
        let result = TargetDiagnosticsResult(dimension: 1, queryCount: 2, sampleCount: 4, seed: 0, bootstrap: "exact",
                                             columnNames: ["conditional", "exact"], pairs: pairs)
        let grid = try BiasVarianceGrid(runs: [(result, { $0 }), (result, { $0 + "-copy" })], times: [0.5, 2, 8], stepFractions: [0.5],
                                        resamples: 20, seed: 1)
        #expect(grid.estimators == ["conditional", "exact", "conditional-copy", "exact-copy"])
        #expect(abs(grid.squaredBias[grid.index(0, 0, 0)] - ((0.04 - 0.25) + (0.16 - 0.75)) / 2) < 1e-15)
        #expect(grid.variance[grid.index(0, 1, 0)] == 6)
        #expect(abs(grid.meanSquaredError[grid.index(0, 2, 0)] - ((0 - 0.125 + 0.5) + (0.04 - 0.125 + 0.5)) / 2) < 1e-15)
        #expect(abs(grid.squaredBias[grid.index(1, 0, 0)] - 0.01) < 1e-15)
        #expect(grid.varianceError[grid.index(1, 0, 0)] == 0)
        #expect(grid.variancePeak(estimator: 0, step: 0) == 1)
        #expect(grid.variancePeak(estimator: 1, step: 0) == nil)
        #expect(grid.stepIndex(closestTo: 0.1) == 0)
    }

    @Test("the step fractions are log-spaced from 1e-3 to 1", arguments: [1, 3, 16])
    func stepFractionsAreLogSpaced(count: Int) {
        var size = ExperimentSize.quick
        size.stepCount = count
        let fractions = size.stepFractions
        #expect(fractions.count == count)
        #expect(fractions.last == 1)
        if count > 1 {
            #expect(abs(fractions[0] - 1e-3) < 1e-15)
            let ratios = (1..<count).map { fractions[$0] / fractions[$0 - 1] }
            for ratio in ratios { #expect(abs(ratio - ratios[0]) < 1e-9) }
        }
    }

    @Test("bad sizes fail with a one-line message and a non-zero exit")
    func badSizesFail() throws {
        let folder = try ExperimentBinary.temporaryFolder("step-size-bias-variance-bad")
        let result = try ExperimentBinary.run("StepSizeBiasVariance", ["--samples", "1", "--output", folder + "/out"], in: folder)
        #expect(result.status != 0)
        #expect(result.standardError.contains("--samples 1 is not valid; expected ≥ 2"))
    }

    @Test("the notebook executes against the fresh results", .enabled(if: NotebookRunner.shouldRun))
    func notebookExecutes() throws {
        try NotebookRunner.execute("step-size-bias-variance.ipynb", results: try Self.run.get())
    }
}
