import ConsistencyTD
import Foundation

/// The sample metrics of one sampler (METHODS.md §9): on a Gaussian mixture, Analysis'
/// ``GaussianMixtureSampleQuality`` (exact NLL and its gap to the data's, mode coverage, precision);
/// for any data, ``SampleDistanceReport`` against a reference set of the same size (sliced W₂²,
/// unbiased MMD², energy distance).
struct SampleEvaluation {
    let name: String
    let quality: GaussianMixtureSampleQuality?
    let distances: SampleDistanceReport

    /// Scores `samples` against `reference` (same count) and, when `mixture` is given, its exact density
    /// with the data NLL `dataNLL`. The sliced-W₂ projections come from (seed, "cli.evaluate.projections", index).
    init(name: String, samples: [Double], reference: [Double], dimension: Int, mixture: GaussianMixture?,
         dataNLL: MonteCarloEstimate?, seed: UInt64, index: UInt64) throws {
        self.name = name
        if let mixture, let dataNLL {
            quality = try GaussianMixtureSampleQuality(samples: samples, mixture: mixture, dataNegativeLogLikelihood: dataNLL)
        } else {
            quality = nil
        }
        var stream = RandomStream(seed: seed, purpose: "cli.evaluate.projections", index: index)
        distances = try SampleDistanceReport(samples: samples, reference: reference, dimension: dimension, stream: &stream)
    }

    /// Every metric by name (mixture metrics when available, then the distances).
    var metrics: [String: Double] {
        (quality?.metrics ?? [:]).merging(distances.metrics) { first, _ in first }
    }

    /// A fixed-width table with one row per evaluation.
    static func table(_ rows: [SampleEvaluation]) -> String {
        let header = ["sampler", "NLL", "gap", "modes", "precision", "SW2²", "MMD²", "energy"]
        var lines: [[String]] = [header]
        for row in rows {
            let q = row.quality
            lines.append([
                row.name,
                q?.negativeLogLikelihood.map { format($0.mean) } ?? "–",
                q?.negativeLogLikelihoodGap.map { ($0 >= 0 ? "+" : "") + format($0) } ?? "–",
                q.map { "\($0.coveredModeCount)/\($0.modeCount)" } ?? "–",
                q.map { format($0.precision) } ?? "–",
                format(row.distances.squaredSlicedWasserstein2), format(row.distances.squaredMaximumMeanDiscrepancy),
                format(row.distances.energyDistance),
            ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { column, cell in
                column == 0 ? cell + String(repeating: " ", count: widths[column] - cell.count)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        return abs(value) >= 1e-3 || value == 0 ? String(format: "%.4f", value) : String(format: "%.2e", value)
    }

    /// Writes evaluations as JSON (`.json`) or HDF5 (any other extension): per sampler its metrics;
    /// the HDF5 file also holds the samples (`/<sampler>/samples`, float32 N × D).
    static func write(_ rows: [(SampleEvaluation, [Double])], dimension: Int, context: [String: String], to path: String) throws {
        if path.lowercased().hasSuffix(".json") {
            var object: [String: Any] = context
            object["samplers"] = Dictionary(uniqueKeysWithValues: rows.map { ($0.0.name, $0.0.metrics) })
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            return
        }
        let temporary = path + ".tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let file = try HDF5File(temporary, mode: .truncate)
            try file.setAttribute("format", "consistency-td.evaluation")
            try file.setAttribute("format_version", Int64(1))
            for (key, value) in context.sorted(by: { $0.key < $1.key }) { try file.setAttribute(key, value) }
            try file.setAttribute("samplers", rows.map { $0.0.name })
            for (evaluation, samples) in rows {
                let group = try file.createGroup(evaluation.name)
                for (key, value) in evaluation.metrics.sorted(by: { $0.key < $1.key }) { try group.setAttribute(key, value) }
                try group.createDataset("samples", values: samples.map { Float($0) }, shape: [samples.count / dimension, dimension])
            }
            try file.close()
            try FileSystemMove.replace(path, with: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CommandLineFailure("cannot write the evaluation to '\(path)': \(error)")
        }
    }
}
