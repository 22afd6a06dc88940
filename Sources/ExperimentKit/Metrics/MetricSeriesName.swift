/// The rules for scalar series names and where a series lives in `metrics.h5`.
///
/// A series name is one or more parts joined by "/", and it is also the dataset's path under
/// `/scalars`: "train/loss" → `/scalars/train/loss` (group "train", dataset "loss"), "loss" →
/// `/scalars/loss`, "eval/fid/ema0.999" → `/scalars/eval/fid/ema0.999`. The same name heads its
/// column in `metrics.csv`.
///
/// A name is valid when
/// - every part is non-empty (no leading or trailing "/", no "//") and is neither "." nor "..";
/// - it has no comma, double quote or control character (so the CSV header needs no quoting);
/// - its first part is not "step", which `/scalars/step` (the step series) takes.
///
/// Two series conflict when one is a group prefix of the other ("train" and "train/loss" would
/// need `/scalars/train` to be both a dataset and a group).
enum MetricSeriesName {
    /// The name of the step series: the CSV's first column and `/scalars/step`.
    static let stepName = "step"

    /// Throws ``MetricsError/invalidSeriesName(_:reason:)`` unless `name` follows the rules above.
    static func validate(_ name: String) throws {
        guard !name.isEmpty else { throw MetricsError.invalidSeriesName(name, reason: "the name is empty") }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: \.isEmpty) {
            throw MetricsError.invalidSeriesName(
                name, reason: "every part between slashes must be non-empty (no leading, trailing or double '/')")
        }
        if let dotted = parts.first(where: { $0 == "." || $0 == ".." }) {
            throw MetricsError.invalidSeriesName(name, reason: "the part '\(dotted)' is not allowed")
        }
        if let character = name.unicodeScalars.first(where: isForbidden) {
            let shown = character.properties.generalCategory == .control
                ? "the control character U+\(String(character.value, radix: 16, uppercase: true))"
                : "'\(character)'"
            throw MetricsError.invalidSeriesName(
                name, reason: "\(shown) is not allowed (names head metrics.csv columns unquoted)")
        }
        if parts[0] == stepName {
            throw MetricsError.invalidSeriesName(
                name, reason: "'step' is reserved for the step series (/scalars/step and the CSV's first column)")
        }
    }

    /// Whether `first` and `second` cannot both exist because one is a group prefix of the other.
    static func conflict(_ first: String, _ second: String) -> Bool {
        first.hasPrefix(second + "/") || second.hasPrefix(first + "/")
    }

    /// The dataset path of a series relative to the file's root, e.g. "scalars/train/loss".
    static func datasetPath(of name: String) -> String {
        MetricsFileLayout.scalarsGroup + "/" + name
    }

    private static func isForbidden(_ character: Unicode.Scalar) -> Bool {
        character == "," || character == "\"" || character.properties.generalCategory == .control
    }
}
