import Foundation
import HDF5

/// The merged results of a sweep: one row per run, in run order, whatever shards produced them — so
/// merging the summaries of a sharded sweep gives exactly the table of the serial sweep. Columns:
/// `index`, `run`, the axis keys (text, sorted) and the result names (numbers, sorted; a result a run
/// lacks is NaN).
///
/// Written as `<name>.h5` (`/index` int64, `/run` strings, `/parameters/<key>` strings,
/// `/values/<name>` float64, one entry per row; a result name with slashes such as `train/loss` is
/// nested in groups, `/values/train/loss`), `<name>.csv` and `<name>.md` (a Markdown table).
public struct SweepTable: Equatable, Sendable {
    public let rows: [RunSummary]
    public let parameterKeys: [String]
    public let valueNames: [String]

    /// Sorts `summaries` by index; throws when two share an index.
    public init(summaries: [RunSummary]) throws {
        let sorted = summaries.sorted { $0.index < $1.index }
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.index == second.index {
            throw ConfigurationError.invalidSweep("two summaries for run \(first.index) (\(first.run), \(second.run))")
        }
        rows = sorted
        parameterKeys = Set(sorted.flatMap(\.parameters.keys)).sorted()
        valueNames = Set(sorted.flatMap(\.values.keys)).sorted()
    }

    /// Collects every `summary.json` under `roots` (searched recursively).
    public static func collect(under roots: [String]) throws -> SweepTable {
        var summaries: [RunSummary] = []
        for root in roots {
            guard let walker = FileManager.default.enumerator(atPath: root) else {
                throw ConfigurationError.invalidSweep("cannot read the folder \(root)")
            }
            for case let relative as String in walker where (relative as NSString).lastPathComponent == RunSummary.fileName {
                summaries.append(try RunSummary.read((root as NSString).appendingPathComponent(relative)))
            }
        }
        return try SweepTable(summaries: summaries)
    }

    /// The run indices in `0..<runCount` with no summary.
    public func missingRuns(of runCount: Int) -> [Int] {
        let present = Set(rows.map(\.index))
        return (0..<runCount).filter { !present.contains($0) }
    }

    private func value(_ row: RunSummary, _ name: String) -> Double { row.values[name] ?? .nan }

    static func format(_ value: Double) -> String {
        value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : "\(value)"
    }

    /// CSV with a header line; text fields quoted when they contain `,`, `"` or a line break.
    public var csv: String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [(["index", "run"] + parameterKeys + valueNames).map(field).joined(separator: ",")]
        for row in rows {
            let cells = [String(row.index), row.run] + parameterKeys.map { row.parameters[$0] ?? "" }
                + valueNames.map { Self.format(value(row, $0)) }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table (`|` in text escaped).
    public var markdown: String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        let header = ["index", "run"] + parameterKeys + valueNames
        var lines = ["| " + header.map(cell).joined(separator: " | ") + " |",
                     "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows {
            let cells = [String(row.index), row.run] + parameterKeys.map { row.parameters[$0] ?? "" }
                + valueNames.map { Self.format(value(row, $0)) }
            lines.append("| " + cells.map(cell).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the HDF5 file all at once or not at all (``HDF5File/writeAtomically(to:_:)``): a reader, a
    /// crash or a second writer (two sweep shards merging the table at once) sees the previous table or
    /// the whole new one, and a failed write leaves the previous table in place.
    public func writeHDF5(to path: String) throws {
        try HDF5File.writeAtomically(to: path) { file in
            try file.createDataset("index", values: rows.map { Int64($0.index) })
            try file.createStringDataset("run", strings: rows.map(\.run))
            _ = try file.createGroup("parameters")
            for key in parameterKeys {
                try file.createStringDataset("parameters/\(key)", strings: rows.map { $0.parameters[key] ?? "" })
            }
            _ = try file.createGroup("values")
            for name in valueNames {
                let parent = ("values/\(name)" as NSString).deletingLastPathComponent
                if parent != "values", try !file.contains(parent) { _ = try file.createGroup(parent, createIntermediateGroups: true) }
                try file.createDataset("values/\(name)", values: rows.map { value($0, name) })
            }
        }
    }

    /// Writes `<name>.h5`, `<name>.csv` and `<name>.md` into `folder`; returns the three paths.
    @discardableResult
    public func write(toFolder folder: String, name: String = "sweep") throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let base = (folder as NSString).appendingPathComponent(name)
        try writeHDF5(to: base + ".h5")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: base + ".csv"), options: .atomic)
        try Data(markdown.utf8).write(to: URL(fileURLWithPath: base + ".md"), options: .atomic)
        return [base + ".h5", base + ".csv", base + ".md"]
    }
}
