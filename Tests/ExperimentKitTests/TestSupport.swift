import ExperimentKit
import Foundation
import Testing

/// A fresh directory under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("experimentkit-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

/// Whether two value lists are equal element by element, NaN equal to NaN and otherwise bit for
/// bit (so −0.0 ≠ 0.0).
func sameValues(_ first: [Double], _ second: [Double]) -> Bool {
    first.count == second.count && zip(first, second).allSatisfy { a, b in
        (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
    }
}

/// `metrics.csv` parsed back, independently of the writer: the header's series names and, per
/// series, its column of values, plus the steps.
struct ParsedCSV {
    var seriesNames: [String]
    var steps: [Int64]
    var series: [String: [Double]]
    var text: String

    init(path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "metrics.csv must end with a newline", sourceLocation: sourceLocation)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let header = try #require(lines.first, "metrics.csv has no header", sourceLocation: sourceLocation)
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header.first == "step", "the first column is step: \(header)", sourceLocation: sourceLocation)
        seriesNames = Array(header.dropFirst())
        steps = []
        var columns = [[Double]](repeating: [], count: seriesNames.count)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count == header.count, "line '\(line)' has \(fields.count) fields, header \(header.count)",
                         sourceLocation: sourceLocation)
            steps.append(try #require(Int64(fields[0]), "step field '\(fields[0])'", sourceLocation: sourceLocation))
            for (column, field) in fields.dropFirst().enumerated() {
                columns[column].append(try #require(Double(field), "value field '\(field)'", sourceLocation: sourceLocation))
            }
        }
        series = Dictionary(uniqueKeysWithValues: zip(seriesNames, columns).map { ($0, $1) })
    }
}

/// Expects `steps` and `series` (NaN-aware, bit for bit) from both `metrics.h5` and
/// `metrics.csv` in `runFolder`, and the CSV's columns in `order` when given.
func expectStoredTable(
    in runFolder: String, steps: [Int64], series: [String: [Double]], order: [String]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let stored = try MetricsStore.read(runFolder + "/metrics.h5")
    #expect(stored.steps == steps, "metrics.h5 steps", sourceLocation: sourceLocation)
    #expect(Set(stored.series.keys) == Set(series.keys), "metrics.h5 series", sourceLocation: sourceLocation)
    for (name, values) in series {
        #expect(sameValues(stored.series[name] ?? [], values),
                "metrics.h5 \(name): \(stored.series[name] ?? []) ≠ \(values)", sourceLocation: sourceLocation)
    }
    let csv = try ParsedCSV(path: runFolder + "/metrics.csv", sourceLocation: sourceLocation)
    #expect(csv.steps == steps, "metrics.csv steps", sourceLocation: sourceLocation)
    #expect(Set(csv.seriesNames) == Set(series.keys), "metrics.csv columns \(csv.seriesNames)", sourceLocation: sourceLocation)
    if let order { #expect(csv.seriesNames == order, "metrics.csv column order", sourceLocation: sourceLocation) }
    for (name, values) in series {
        #expect(sameValues(csv.series[name] ?? [], values),
                "metrics.csv \(name): \(csv.series[name] ?? []) ≠ \(values)", sourceLocation: sourceLocation)
    }
}

/// Runs `body`, expects it to throw a `MetricsError` whose description contains `fragment`.
func expectMetricsError(
    containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected a MetricsError mentioning '\(fragment)', but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MetricsError {
        #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a MetricsError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}
