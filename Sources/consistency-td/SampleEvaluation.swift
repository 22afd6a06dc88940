import ConsistencyTD
import Foundation

/// The sample metrics of one sampler (METHODS.md §9): on a Gaussian mixture, Analysis'
/// ``GaussianMixtureSampleQuality`` (exact NLL and its gap to the data's, mode coverage, precision);
/// for any data, ``SampleDistanceReport`` against a reference set of the same size (sliced W₂²,
/// unbiased MMD², energy distance).
///
/// A sample with a NaN or infinite coordinate (a diverged model) does not abort the evaluation: it is
/// counted in ``nonFiniteSampleCount`` and the distances, undefined then, are NaN (as
/// ``ConsistencyModelEvaluation`` does); on a mixture the NLL averages the finite samples, and precision
/// and mode coverage count a non-finite sample as a miss.
struct SampleEvaluation {
    let name: String
    let quality: GaussianMixtureSampleQuality?
    /// The distances to the reference; nil when a sample is not finite (reported as NaN).
    let distances: SampleDistanceReport?
    /// Samples with a NaN or infinite coordinate.
    let nonFiniteSampleCount: Int
    /// N, the number of samples.
    let sampleCount: Int

    /// The keys of the distance metrics (``SampleDistanceReport/metrics``), NaN when a sample is not finite.
    static let distanceMetricNames = ["sliced_wasserstein2_squared", "mmd2", "energy_distance"]

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
        sampleCount = dimension >= 1 ? samples.count / dimension : 0
        nonFiniteSampleCount = samples.count % max(dimension, 1) == 0 ? SampleDistance.nonFiniteRowCount(samples, dimension: dimension) : 0
        if nonFiniteSampleCount > 0 {
            distances = nil
        } else {
            var stream = RandomStream(seed: seed, purpose: "cli.evaluate.projections", index: index)
            distances = try SampleDistanceReport(samples: samples, reference: reference, dimension: dimension, stream: &stream)
        }
    }

    /// Every metric by name (mixture metrics when available, then the distances — NaN when a sample is
    /// not finite — and `non_finite_samples`).
    var metrics: [String: Double] {
        let distanceMetrics = distances?.metrics
            ?? Dictionary(uniqueKeysWithValues: Self.distanceMetricNames.map { ($0, Double.nan) })
        return (quality?.metrics ?? [:]).merging(distanceMetrics) { first, _ in first }
            .merging(["non_finite_samples": Double(nonFiniteSampleCount)]) { first, _ in first }
    }

    /// A fixed-width table with one row per evaluation ("nan" where a distance is undefined), followed by
    /// one line per evaluation with non-finite samples saying how many.
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
                format(row.distances?.squaredSlicedWasserstein2 ?? .nan),
                format(row.distances?.squaredMaximumMeanDiscrepancy ?? .nan),
                format(row.distances?.energyDistance ?? .nan),
            ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        let table = lines.map { cells in
            cells.enumerated().map { column, cell in
                column == 0 ? cell + String(repeating: " ", count: widths[column] - cell.count)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let notes = rows.filter { $0.nonFiniteSampleCount > 0 }.map { row in
            "\(row.name): \(row.nonFiniteSampleCount) of \(row.sampleCount) samples are not finite (NaN or ±inf); "
                + "SW2², MMD² and energy are nan" + (row.quality == nil ? "" : ", NLL uses the finite samples only")
        }
        return (table + notes).joined(separator: "\n")
    }

    /// Four decimals (scientific notation with two decimals below 10⁻³); "nan", "inf" and
    /// "-inf" for non-finite values.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        return abs(value) >= 1e-3 || value == 0 ? String(format: "%.4f", value) : String(format: "%.2e", value)
    }

    /// Writes evaluations as JSON (`.json`) or HDF5 (any other extension): per sampler its metrics;
    /// the HDF5 file also holds the samples (`/<sampler>/samples`, float32 N × D). JSON has no NaN, so a
    /// non-finite metric is written as null there (HDF5 keeps NaN).
    static func write(_ rows: [(SampleEvaluation, [Double])], dimension: Int, context: [String: String], to path: String) throws {
        if path.lowercased().hasSuffix(".json") {
            var object: [String: Any] = context
            object["samplers"] = Dictionary(uniqueKeysWithValues: rows.map { row in
                (row.0.name, row.0.metrics.mapValues { $0.isFinite ? $0 as Any : NSNull() })
            })
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
