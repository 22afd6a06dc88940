import Foundation
import HDF5

extension TargetDiagnosticsResult {
    /// The format name stored in the root attribute `format`.
    public static let fileFormat = "consistency-td.target-diagnostics"

    /// Writes the result as HDF5 (the `consistency-td analyze-targets` contract). Layout:
    ///
    ///     /                      attributes format, seed, query_count (M), sample_count (S), dimension (D),
    ///                            bootstrap, estimators (the column names, in order)
    ///     /pairs/<k>             attributes t, r (k = 0, 1, … in pair order)
    ///         x0                 M × D     the query states' data points
    ///         xt                 M × D     x_t = x₀ + t z
    ///         exact_value        M × D     f*(x_t, t)
    ///         estimators/<name>/mean_target   M × D   mean_S(G)
    ///         estimators/<name>/bias          M       ‖mean_S(G) − f*(x_t, t)‖₂ / √D
    ///         estimators/<name>/variance      M       (1/D) Σ_d Var_S(G_d), ddof = 1
    ///     /summary/t, /summary/r                      one entry per pair
    ///     /summary/<name>/bias, variance, bias_stderr, variance_stderr   means over M and their
    ///                                                 standard errors (NaN when M = 1), one entry per pair
    ///
    /// All datasets are float64. The file is written whole or not at all
    /// (``HDF5File/writeAtomically(to:_:)``), so an interrupted write never leaves a partial file under `path`.
    public func write(to path: String) throws {
        try HDF5File.writeAtomically(to: path, writeContents)
    }

    private func writeContents(_ file: HDF5File) throws {
        try file.setAttribute("format", Self.fileFormat)
        try file.setAttribute("seed", seed)
        try file.setAttribute("query_count", Int64(queryCount))
        try file.setAttribute("sample_count", Int64(sampleCount))
        try file.setAttribute("dimension", Int64(dimension))
        try file.setAttribute("bootstrap", bootstrap)
        try file.setAttribute("estimators", columnNames)
        let matrix = [queryCount, dimension]
        for (k, pair) in pairs.enumerated() {
            let group = try file.createGroup("pairs/\(k)", createIntermediateGroups: true)
            try group.setAttribute("t", pair.time)
            try group.setAttribute("r", pair.targetTime)
            try group.createDataset("x0", values: pair.data, shape: matrix)
            try group.createDataset("xt", values: pair.noisy, shape: matrix)
            try group.createDataset("exact_value", values: pair.exactValue, shape: matrix)
            for estimate in pair.estimates {
                let prefix = "estimators/\(estimate.name)"
                try group.createDataset("\(prefix)/mean_target", values: estimate.meanTarget, shape: matrix, createIntermediateGroups: true)
                try group.createDataset("\(prefix)/bias", values: estimate.bias)
                try group.createDataset("\(prefix)/variance", values: estimate.variance)
            }
        }
        try file.createDataset("summary/t", values: pairs.map(\.time), createIntermediateGroups: true)
        try file.createDataset("summary/r", values: pairs.map(\.targetTime))
        for name in columnNames {
            let estimates = self.estimates(named: name)
            try file.createDataset("summary/\(name)/bias", values: estimates.map(\.biasSummary.mean), createIntermediateGroups: true)
            try file.createDataset("summary/\(name)/variance", values: estimates.map(\.varianceSummary.mean))
            try file.createDataset("summary/\(name)/bias_stderr", values: estimates.map(\.biasSummary.standardError))
            try file.createDataset("summary/\(name)/variance_stderr", values: estimates.map(\.varianceSummary.standardError))
        }
    }
}
