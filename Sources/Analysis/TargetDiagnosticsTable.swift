import Foundation

extension TargetDiagnosticsResult {
    /// A terminal table, one line per pair and target: t, r, the target's name, then the means over the
    /// M query states of bias and variance with their standard errors (METHODS.md §10.4), e.g.
    ///
    ///          t          r  estimator        bias ± s.e.             variance ± s.e.
    ///      1.000      0.900  conditional      1.234e-03 ± 2.1e-04     5.678e-02 ± 3.0e-03
    public var table: String {
        let nameWidth = max(9, columnNames.map(\.count).max() ?? 0)
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + padding : padding + text
        }
        var lines = ["target diagnostics · M = \(queryCount) query states · S = \(sampleCount) draws · D = \(dimension) · bootstrap \(bootstrap) · seed \(seed)"]
        lines.append(pad("t", 10) + " " + pad("r", 10) + "  " + pad("estimator", nameWidth, left: true)
            + "  " + pad("bias ± s.e.", 22, left: true) + "  " + "variance ± s.e.")
        for pair in pairs {
            for estimate in pair.estimates {
                func summary(_ estimate: MonteCarloEstimate) -> String {
                    String(format: "%.3e ", estimate.mean) + estimate.formattedStandardError { String(format: "%.1e", $0) }
                }
                let bias = summary(estimate.biasSummary), variance = summary(estimate.varianceSummary)
                lines.append(pad(String(format: "%.4g", pair.time), 10) + " " + pad(String(format: "%.4g", pair.targetTime), 10)
                    + "  " + pad(estimate.name, nameWidth, left: true) + "  " + pad(bias, 22, left: true) + "  " + variance)
            }
        }
        return lines.joined(separator: "\n")
    }
}
