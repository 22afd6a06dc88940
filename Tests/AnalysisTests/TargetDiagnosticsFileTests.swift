import Foundation
import HDF5
import Testing
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments

/// The diagnostics' outputs: the HDF5 layout of the CLI contract, determinism, the table, progress and
/// errors for bad settings.
@Suite("Target diagnostics: file layout, determinism, table and settings")
struct TargetDiagnosticsFileTests {
    func smallSettings(seed: UInt64 = 8) -> TargetDiagnosticsSettings {
        let columns = [TargetDiagnosticsColumn(estimator: .exact), TargetDiagnosticsColumn(estimator: .conditionalSample),
                       TargetDiagnosticsColumn(estimator: .scoreIdentity(referenceSize: 4)),
                       TargetDiagnosticsColumn(estimator: .teacher(.heun), target: .nStep(2))]
        return TargetDiagnosticsSettings(times: [1.0, 2.5], steps: .ratios([0.8]), columns: columns, queryCount: 4, sampleCount: 3, seed: seed)
    }

    @Test("an r in (0, t_min) is recorded as t_min, where its path goes: the results equal those of r = t_min; r = 0 stays 0")
    func smallTargetTimeIsRecordedAsUsed() throws {
        let mixture = try diagnosticsTestMixture()
        var settings = smallSettings()
        settings.times = [0.003]
        settings.steps = .ratios([0.5, 0])         // r = 0.0015 < t_min = 0.002, and a denoising target
        let ratios = try TargetDiagnostics(distribution: mixture, settings: settings).run()
        #expect(ratios.pairs.map(\.targetTime) == [0.002, 0])
        settings.steps = .targetTimes([0.002, 0])
        let explicit = try TargetDiagnostics(distribution: mixture, settings: settings).run()
        #expect(resultBits(ratios) == resultBits(explicit))
    }

    @Test("the HDF5 file has /pairs/<k> with t, r, x0, xt, exact_value, estimators/<name>/… and /summary vectors")
    func fileLayoutMatchesTheContract() throws {
        let mixture = try diagnosticsTestMixture()
        let result = try TargetDiagnostics(distribution: mixture, settings: smallSettings()).run()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("target-diagnostics-\(getpid())-layout")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bv.h5").path
        try result.write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["bv.h5"])
        let file = try HDF5File(path)
        defer { try? file.close() }
        #expect(try file.stringAttribute("format") == TargetDiagnosticsResult.fileFormat)
        #expect(try file.stringArrayAttribute("estimators") == ["exact", "conditional", "score-identity-4", "teacher-heun-nstep-2"])
        for (k, pair) in result.pairs.enumerated() {
            let group = try file.openGroup("pairs/\(k)")
            #expect(try group.attribute("t", as: Double.self) == pair.time)
            #expect(try group.attribute("r", as: Double.self) == pair.targetTime)
            for (name, values) in [("x0", pair.data), ("xt", pair.noisy), ("exact_value", pair.exactValue)] {
                let dataset = try group.openDataset(name)
                #expect(try dataset.shape() == [4, 2])
                #expect(try dataset.read(as: Double.self) == values)
            }
            for estimate in pair.estimates {
                let prefix = "estimators/\(estimate.name)"
                #expect(try group.openDataset("\(prefix)/mean_target").shape() == [4, 2])
                #expect(try group.openDataset("\(prefix)/mean_target").read(as: Double.self) == estimate.meanTarget)
                #expect(try group.openDataset("\(prefix)/bias").read(as: Double.self) == estimate.bias)
                #expect(try group.openDataset("\(prefix)/variance").read(as: Double.self) == estimate.variance)
            }
        }
        #expect(try file.openDataset("summary/t").read(as: Double.self) == [1.0, 2.5])
        #expect(try file.openDataset("summary/r").read(as: Double.self) == result.pairs.map(\.targetTime))
        for name in result.columnNames {
            let estimates = result.estimates(named: name)
            #expect(try file.openDataset("summary/\(name)/bias").read(as: Double.self) == estimates.map(\.biasSummary.mean))
            #expect(try file.openDataset("summary/\(name)/variance").read(as: Double.self) == estimates.map(\.varianceSummary.mean))
            #expect(try file.openDataset("summary/\(name)/bias_stderr").read(as: Double.self) == estimates.map(\.biasSummary.standardError))
            #expect(try file.openDataset("summary/\(name)/variance_stderr").read(as: Double.self)
                == estimates.map(\.varianceSummary.standardError))
        }
    }

    @Test("the same seed gives bit-identical results; another seed gives other query states")
    func resultsAreDeterministic() throws {
        let mixture = try diagnosticsTestMixture()
        let first = try TargetDiagnostics(distribution: mixture, settings: smallSettings()).run()
        let second = try TargetDiagnostics(distribution: mixture, settings: smallSettings()).run()
        #expect(resultBits(first) == resultBits(second))
        #expect(first.table == second.table)
        let other = try TargetDiagnostics(distribution: mixture, settings: smallSettings(seed: 9)).run()
        #expect(other.pairs[0].data != first.pairs[0].data)
        #expect(resultBits(other) != resultBits(first))
    }

    @Test("the table has a line per pair and target, and progress is reported after each")
    func tableAndProgress() throws {
        let mixture = try diagnosticsTestMixture()
        var reports: [TargetDiagnosticsProgress] = []
        let result = try TargetDiagnostics(distribution: mixture, settings: smallSettings()).run { reports.append($0) }
        #expect(reports.map(\.completed) == Array(1...8))
        #expect(reports.allSatisfy { $0.total == 8 && $0.pairCount == 2 })
        let lines = result.table.split(separator: "\n")
        #expect(lines.count == 2 + 8)
        let rows = lines.dropFirst(2)
        for name in result.columnNames { #expect(rows.filter { $0.contains(" \(name) ") }.count == 2, "\(name)\n\(result.table)") }
    }

    @Test("impossible settings throw errors that name the setting and what is expected")
    func badSettingsAreRejected() throws {
        let mixture = try diagnosticsTestMixture()
        func message(_ change: (inout TargetDiagnosticsSettings) -> Void) -> String {
            var settings = smallSettings()
            change(&settings)
            do { _ = try TargetDiagnostics(distribution: mixture, settings: settings); return "" } catch { return "\(error)" }
        }
        #expect(message { $0.steps = .targetTimes([1.5]) }.contains("0 ≤ r < t"))
        #expect(message { $0.steps = .ratios([1.0]) }.contains("0 ≤ r/t < 1"))
        #expect(message { $0.sampleCount = 1 }.contains("S ≥ 2"))
        #expect(message { $0.times = [0.001] }.contains("t > t_min"))
        #expect(message { $0.columns = [TargetDiagnosticsColumn(estimator: .scoreIdentity(referenceSize: nil))] }.contains("reference size"))
        for size in [0, -3] {   // used to abort the process (an array of negative size) instead of throwing
            #expect(message { $0.columns = [TargetDiagnosticsColumn(estimator: .scoreIdentity(referenceSize: size))] }
                        .contains("reference size n = \(size)"))
        }
        #expect(message { $0.columns = [] }.contains("at least one"))
        #expect(throws: (any Error).self) { try TargetDiagnosticsColumn.estimators(named: ["score-identity"], referenceSizes: []) }
        let expanded = try TargetDiagnosticsColumn.estimators(named: ["exact", "score-identity"], referenceSizes: [8, 64])
        #expect(expanded == [.exact, .scoreIdentity(referenceSize: 8), .scoreIdentity(referenceSize: 64)])
        let exact = try ExactValue(distribution: mixture, minimumTime: 0.01)
        #expect(throws: TargetDiagnosticsError.self) {
            try TargetDiagnostics(distribution: mixture, settings: smallSettings(),
                                  bootstrap: .function(ShiftedExactValue(exact: exact, shift: [0]), name: "other t_min"))
        }
    }
}
