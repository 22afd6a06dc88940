import Foundation
import HDF5

/// The layout of `metrics.h5`, and how to create, check and read it.
///
/// ```
/// /                    attrs: format = "consistency-td.metrics", format_version = 1 (int64),
///                             created_utc ("2026-11-21T18:30:00Z"),
///                             series_names (strings: the series in first-seen order, the CSV's column order)
/// /scalars/step        int64   (rows,)   the optimizer step of each row, strictly increasing
/// /scalars/<name>      float64 (rows,)   one per series, e.g. /scalars/train/loss; NaN = not recorded
/// ```
/// Every dataset has the same length, one entry per row. All are extendible along their only axis
/// (maxshape `(None,)`), chunked by ``chunkRows`` rows, byte-shuffled and gzip-compressed at level
/// ``gzipLevel`` — a small level: metrics are small, and each flush recompresses the last chunk.
/// Steps are int64 rather than float64 because they count optimizer updates and must compare
/// exactly (float64 would be exact only up to 2⁵³ anyway).
///
/// In h5py: `f["scalars/train/loss"][()]` against `f["scalars/step"][()]`.
enum MetricsFileLayout {
    static let formatName = "consistency-td.metrics"
    static let formatVersion: Int64 = 1
    static let scalarsGroup = "scalars"
    static let stepPath = scalarsGroup + "/" + MetricSeriesName.stepName
    static let seriesNamesAttribute = "series_names"
    /// Rows per chunk: 1024 float64 values are 8 KiB.
    static let chunkRows = 1024
    static let gzipLevel = 1

    static var datasetOptions: HDF5DatasetOptions {
        HDF5DatasetOptions(chunkShape: [chunkRows], gzipLevel: gzipLevel, shuffle: true, maxShape: .unlimitedFirstAxis)
    }

    // MARK: Creating

    /// Creates `path` (replacing any file there) with the root attributes and an empty step series,
    /// and flushes it, so the file on disk is a valid, empty metrics file from the start.
    static func create(_ path: String) throws -> (file: HDF5File, steps: HDF5Dataset) {
        let file = try HDF5File(path, mode: .truncate)
        try file.setAttribute("format", formatName)
        try file.setAttribute("format_version", formatVersion)
        try file.setAttribute("created_utc", timestamp())
        let steps = try file.createDataset(stepPath, of: Int64.self, shape: [0], options: datasetOptions,
                                           createIntermediateGroups: true)
        try file.flush()
        return (file, steps)
    }

    /// Creates the empty float64 dataset of the series `name`.
    static func createSeries(_ name: String, in file: HDF5File) throws -> HDF5Dataset {
        try file.createDataset(MetricSeriesName.datasetPath(of: name), of: Double.self, shape: [0],
                               options: datasetOptions, createIntermediateGroups: true)
    }

    /// "2026-11-21T18:30:00Z".
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    // MARK: Opening

    /// An existing metrics file, checked: its step series (values read) and its series datasets in
    /// column order.
    struct Contents {
        let file: HDF5File
        let steps: HDF5Dataset
        let stepValues: [Int64]
        let series: [(name: String, dataset: HDF5Dataset)]
    }

    /// Opens `path` and checks it: the format attributes, an int64 step series with strictly
    /// increasing steps, and float64 series of the same length. The column order is the
    /// `series_names` attribute's; series it does not list (none, in files this toolkit wrote)
    /// follow in name order.
    static func open(_ path: String, mode: HDF5File.Mode) throws -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { throw MetricsError.fileNotFound(path: path) }
        let file = try HDF5File(path, mode: mode)
        do {
            return try check(file, path: path)
        } catch {
            try? file.close()
            throw error
        }
    }

    private static func check(_ file: HDF5File, path: String) throws -> Contents {
        let format: String? = try file.hasAttribute("format") ? (try? file.stringAttribute("format")) : nil
        guard format == formatName else { throw MetricsError.notAMetricsFile(path: path, format: format) }
        guard try file.hasAttribute("format_version") else {
            throw MetricsError.inconsistentFile(path: path, problem: "the root attribute format_version is missing")
        }
        let version = try file.attribute("format_version", as: Int64.self)
        guard version == formatVersion else {
            throw MetricsError.unsupportedFormatVersion(path: path, found: version, supported: formatVersion)
        }

        guard try file.contains(stepPath) else {
            throw MetricsError.inconsistentFile(path: path, problem: "the step series /\(stepPath) is missing")
        }
        let steps = try file.openDataset(stepPath)
        try requireSeriesShape(steps, type: .int64, path: path)
        let stepValues = try steps.read(as: Int64.self)
        if let index = stepValues.indices.dropFirst().first(where: { stepValues[$0] <= stepValues[$0 - 1] }) {
            throw MetricsError.inconsistentFile(
                path: path, problem: "/\(stepPath) is not strictly increasing: row \(index) holds step "
                    + "\(stepValues[index]) after step \(stepValues[index - 1])")
        }

        var names = try seriesNames(in: file.openGroup(scalarsGroup), prefix: "")
        let listed = try file.hasAttribute(seriesNamesAttribute) ? (try file.stringArrayAttribute(seriesNamesAttribute)) : []
        let rank = Dictionary(listed.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        names.sort { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        let series = try names.map { name in
            let dataset = try file.openDataset(MetricSeriesName.datasetPath(of: name))
            try requireSeriesShape(dataset, type: .float64, path: path)
            let length = try dataset.shape()[0]
            guard length == stepValues.count else {
                throw MetricsError.inconsistentFile(
                    path: path, problem: "series '\(name)' has \(length) rows but /\(stepPath) has \(stepValues.count)")
            }
            return (name: name, dataset: dataset)
        }
        return Contents(file: file, steps: steps, stepValues: stepValues, series: series)
    }

    /// The series names below `group` (the datasets under /scalars, except /scalars/step).
    private static func seriesNames(in group: HDF5Group, prefix: String) throws -> [String] {
        try group.members().flatMap { member -> [String] in
            let name = prefix + member.name
            switch member.kind {
            case .group: return try seriesNames(in: group.openGroup(member.name), prefix: name + "/")
            case .dataset: return name == MetricSeriesName.stepName ? [] : [name]
            case .namedDatatype, .unresolved: return []
            }
        }
    }

    private static func requireSeriesShape(_ dataset: HDF5Dataset, type: HDF5ElementType, path: String) throws {
        let stored = try dataset.elementType()
        let shape = try dataset.shape()
        guard stored == type, shape.count == 1 else {
            throw MetricsError.inconsistentFile(
                path: path, problem: "\(dataset.objectPath) is \(stored) with shape \(shape); expected 1-D \(type)")
        }
    }
}
