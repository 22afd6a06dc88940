import Analysis
import Foundation

/// The metrics reported per run and aggregated over seeds, with their HDF5 names.
enum AblationMetric: String, CaseIterable {
    case nllGapOneStep = "nll_gap_1step"
    case nllGapTwoStep = "nll_gap_2step"
    case coverageOneStep = "coverage_1step"
    case coverageTwoStep = "coverage_2step"
    case slicedWassersteinOneStep = "sw2_1step"
    case slicedWassersteinTwoStep = "sw2_2step"

    /// The metric of one run (NaN when undefined: no finite sample).
    func value(_ run: AblationRunResult) -> Double {
        switch self {
        case .nllGapOneStep: return run.oneStep.negativeLogLikelihoodGap ?? .nan
        case .nllGapTwoStep: return run.twoStep.negativeLogLikelihoodGap ?? .nan
        case .coverageOneStep: return run.oneStep.modeCoverage ?? .nan
        case .coverageTwoStep: return run.twoStep.modeCoverage ?? .nan
        case .slicedWassersteinOneStep: return run.oneStep.squaredSlicedWasserstein2
        case .slicedWassersteinTwoStep: return run.twoStep.squaredSlicedWasserstein2
        }
    }

    /// The columns of `table.md` with their decimals.
    static let tableColumns: [(AblationMetric, String, Int)] = [
        (.nllGapOneStep, "NLL gap 1-step", 3), (.nllGapTwoStep, "NLL gap 2-step", 3),
        (.coverageOneStep, "coverage 1-step", 3), (.slicedWassersteinOneStep, "SW₂² 1-step", 4),
    ]
}

/// Mean ± standard error over seeds of every metric of every configuration of one environment:
/// mean = (1/S) Σ_s v_s, SE = √(Σ_s (v_s − mean)² / (S − 1)) / √S (``MonteCarloEstimate``).
struct AblationTable {
    let environment: AblationEnvironment
    let configurations: [AblationConfiguration]
    /// runs[c][s]: configuration c, seed s.
    let runs: [[AblationRunResult]]

    func estimate(_ metric: AblationMetric, configuration c: Int) -> MonteCarloEstimate {
        MonteCarloEstimate(values: runs[c].map(metric.value))
    }

    /// "+0.123 ± 0.045" with `decimals` digits (signed for gaps).
    static func format(_ estimate: MonteCarloEstimate, decimals: Int, signed: Bool) -> String {
        let mean = String(format: "%\(signed ? "+" : "").\(decimals)f", estimate.mean)
        return "\(mean) \(estimate.formattedStandardError { String(format: "%.\(decimals)f", $0) })"
    }

    /// One Markdown section: a heading and a row per configuration.
    var markdown: String {
        let seeds = runs.first?.count ?? 0
        var lines = ["### \(environment.name): \(environment.summary)", "",
                     "Mean ± standard error over \(seeds) seed\(seeds == 1 ? "" : "s"). NLL gap = exact NLL of the samples − the data's own NLL (0 is perfect).", "",
                     "| target | estimator | " + AblationMetric.tableColumns.map(\.1).joined(separator: " | ") + " |",
                     "|---|---|" + String(repeating: "---:|", count: AblationMetric.tableColumns.count)]
        for (c, configuration) in configurations.enumerated() {
            let cells = AblationMetric.tableColumns.map { metric, _, decimals in
                Self.format(estimate(metric, configuration: c), decimals: decimals, signed: metric.rawValue.hasPrefix("nll"))
            }
            lines.append("| \(configuration.target) | \(configuration.estimator) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
