import Foundation
import HDF5

/// The scalar metrics of one run: `<run>/metrics.h5` and, with the same rows, `<run>/metrics.csv`.
///
/// ```swift
/// let metrics = try MetricsStore(runFolder: run, start: .fresh)
/// for step in 1...steps {
///     try metrics.record(step: step, ["train/loss": loss, "train/lr": lr])
///     if step % 1000 == 0 { try metrics.record(step: step, ["eval/fid": fid]) }   // joins the same row
/// }
/// try metrics.close()
/// let (steps, series) = try MetricsStore.read(run + "/metrics.h5")
/// ```
///
/// **Table.** The metrics form one table: a row per recorded step, a column per series. In
/// `metrics.h5` a column is the float64 dataset `/scalars/<name>` ("train/loss" →
/// `/scalars/train/loss`) and the steps are the int64 dataset `/scalars/step`, all of one length
/// (layout: ``MetricsFileLayout``; name rules: ``MetricSeriesName``). A series missing from a row
/// holds NaN there; a series that first appears after some rows is back-filled with NaN for them.
/// Columns keep first-seen order (series new in the same `record` call: by name). `metrics.csv`
/// holds the same table as text (format: ``MetricsCSVFile``).
///
/// **Steps.** A step is an optimizer-update count: ≥ 0, and steps never decrease. Recording the
/// same step as the previous row adds its series to that row (even if that row was already
/// flushed); a series may be recorded again at that step only with the bit-identical value.
///
/// **Flushing.** Rows are buffered in memory. They are written — appended to every HDF5 dataset,
/// `H5Fflush`, and appended to `metrics.csv` — by ``flush()``, by ``close()``, and by ``record(step:_:)``
/// whenever `flushInterval` (default 5 s) has passed since the last flush. So a crash loses at
/// most the rows recorded in the `flushInterval` before the last `record` call (a loop that stalls
/// with rows pending keeps them pending until it records again or flushes). Call ``flush()`` when
/// saving a checkpoint, so the files cover every step the checkpoint covers.
///
/// **Resuming.** A resumed run must produce the same files as an uninterrupted one. Open the
/// run's files with `.resuming(fromStep: s)`, s being the checkpoint's step: rows with step ≤ s
/// are kept, rows with step > s — recorded after the checkpoint by the run that crashed — are
/// removed, so the resumed run records them again from the checkpoint's state. `.continuing`
/// keeps every row and continues after the last one. Either way the next row needs a step ≥ the
/// last kept step (equal joins that row, as above), and `metrics.csv` is rewritten from
/// `metrics.h5`, which is the reference when the two disagree after a crash. Series that first
/// appeared only in removed rows keep their (now all-NaN) columns, where the uninterrupted run
/// has them too. If `metrics.h5` cannot be read when resuming (a process killed inside a flush can
/// leave damaged compressed chunks), it is rebuilt from `metrics.csv`'s rows up to the resume step
/// (``MetricsCSVRecovery``; the CSV holds them, bit-identical, since the trainer flushes before every
/// checkpoint), the damaged file is kept as `metrics.h5.damaged-<time>`, and a warning says so.
///
/// While the store is open it holds `metrics.h5` open for writing: another process cannot open it
/// (libhdf5's file lock); read `metrics.csv` instead, or `metrics.h5` in this process with
/// ``read(_:)``. If a flush throws, the files may hold part of the pending rows; close the store
/// and resume the run from its last checkpoint.
///
/// Not thread-safe: one task records.
public final class MetricsStore {
    /// What to do with files already in the run folder.
    public enum Start: Sendable, Equatable {
        /// Create the files; throw if `metrics.h5` or `metrics.csv` already exists.
        case fresh
        /// Create the files, deleting any that exist.
        case replacing
        /// Keep every stored row and continue after the last one.
        case continuing
        /// Keep the rows with step ≤ the given step and remove the later ones (the run resumes
        /// from a checkpoint at that step).
        case resuming(fromStep: Int64)
    }

    public static let hdf5FileName = "metrics.h5"
    public static let csvFileName = "metrics.csv"
    public static let defaultFlushInterval: Duration = .seconds(5)

    /// `<run>/metrics.h5`.
    public let hdf5Path: String
    /// `<run>/metrics.csv`.
    public let csvPath: String
    /// Rows are written when this much time has passed since the last flush (zero: at every record).
    public let flushInterval: Duration
    /// The series, in column order (first-seen order).
    public private(set) var seriesNames: [String]

    private let file: HDF5File
    private let stepDataset: HDF5Dataset
    /// The datasets of the first `seriesDatasets.count` columns; later columns get theirs at the next flush.
    private var seriesDatasets: [HDF5Dataset]
    private let csv: MetricsCSVFile
    private var columnOfSeries: [String: Int]
    /// Rows in the files.
    private var storedRowCount: Int
    /// The last row in the files (with series added since it was flushed).
    private var lastStoredRow: MetricsRow?
    /// Columns of `lastStoredRow` set after it was flushed.
    private var amendedColumns: Set<Int> = []
    /// Rows recorded since the last flush.
    private var pendingRows: [MetricsRow] = []
    private let clock = ContinuousClock()
    private var lastFlush: ContinuousClock.Instant
    private var isClosed = false

    /// Opens the metrics files in `runFolder` (created if missing) as `start` says.
    public init(runFolder: String, start: Start = .fresh, flushInterval: Duration = defaultFlushInterval) throws {
        guard flushInterval >= .zero else {
            throw MetricsError.invalidConfiguration("flushInterval \(flushInterval) is negative")
        }
        if case let .resuming(resumeStep) = start, resumeStep < 0 {
            throw MetricsError.invalidStep("resume step \(resumeStep) is negative")
        }
        let folder = URL(fileURLWithPath: runFolder, isDirectory: true)
        hdf5Path = folder.appendingPathComponent(MetricsStore.hdf5FileName).path
        csvPath = folder.appendingPathComponent(MetricsStore.csvFileName).path
        self.flushInterval = flushInterval
        let opened = try MetricsStore.openFiles(start: start, folder: folder, hdf5Path: hdf5Path, csvPath: csvPath)
        file = opened.file
        stepDataset = opened.steps
        seriesNames = opened.series.map(\.name)
        seriesDatasets = opened.series.map(\.dataset)
        storedRowCount = opened.storedRowCount
        lastStoredRow = opened.lastStoredRow
        columnOfSeries = Dictionary(uniqueKeysWithValues: opened.series.enumerated().map { ($1.name, $0) })
        let (steps, series) = (opened.steps, opened.series.map(\.dataset))
        csv = try MetricsCSVFile(path: csvPath, columns: seriesNames, rowCount: storedRowCount) { range in
            try MetricsStore.readRows(range, steps: steps, series: series)
        }
        lastFlush = ContinuousClock.now
    }

    /// The HDF5 side of `init`: creates the file, or opens, checks and (when resuming) truncates it.
    private static func openFiles(start: Start, folder: URL, hdf5Path: String, csvPath: String) throws -> (
        file: HDF5File, steps: HDF5Dataset, series: [(name: String, dataset: HDF5Dataset)], storedRowCount: Int,
        lastStoredRow: MetricsRow?
    ) {
        let files = FileManager.default
        switch start {
        case .fresh, .replacing:
            if start == .fresh, let existing = [hdf5Path, csvPath].first(where: { files.fileExists(atPath: $0) }) {
                throw MetricsError.fileExists(path: existing)
            }
            try files.createDirectory(at: folder, withIntermediateDirectories: true)
            let created = try MetricsFileLayout.create(hdf5Path)
            return (created.file, created.steps, [], 0, nil)
        case .continuing:
            return try openExisting(start: start, hdf5Path: hdf5Path)
        case .resuming(let resumeStep):
            do {
                return try openExisting(start: start, hdf5Path: hdf5Path)
            } catch {
                guard files.fileExists(atPath: csvPath), let recovered = try? MetricsCSVRecovery.rows(csvPath, upTo: resumeStep) else {
                    throw error
                }
                return try rebuild(hdf5Path: hdf5Path, from: recovered, csvPath: csvPath, because: error)
            }
        }
    }

    /// Opens the existing `metrics.h5`, truncated to the resume step when resuming, and reads every
    /// kept row once (so a damaged chunk is found here, where a resume can still fall back on the CSV).
    private static func openExisting(start: Start, hdf5Path: String) throws -> (
        file: HDF5File, steps: HDF5Dataset, series: [(name: String, dataset: HDF5Dataset)], storedRowCount: Int,
        lastStoredRow: MetricsRow?
    ) {
        let contents = try MetricsFileLayout.open(hdf5Path, mode: .readWrite)
        do {
            var keptRowCount = contents.stepValues.count
            if case let .resuming(resumeStep) = start {
                keptRowCount = contents.stepValues.firstIndex { $0 > resumeStep } ?? keptRowCount
            }
            let datasets = contents.series.map(\.dataset)
            let lastRow = try readRows(0..<keptRowCount, steps: contents.steps, series: datasets).last
            if keptRowCount < contents.stepValues.count {
                for dataset in [contents.steps] + datasets { try dataset.resize(to: [keptRowCount]) }
                try contents.file.flush()
            }
            return (contents.file, contents.steps, contents.series, keptRowCount, lastRow)
        } catch {
            try? contents.file.close()
            throw error
        }
    }

    /// Replaces an unreadable `metrics.h5` by one holding `recovered` (from `metrics.csv`, see
    /// ``MetricsCSVRecovery``); the damaged file is kept beside it as `metrics.h5.damaged-<time>`,
    /// and a warning on stderr says so.
    private static func rebuild(hdf5Path: String, from recovered: (columns: [String], rows: [MetricsRow]), csvPath: String,
                                because error: any Error) throws -> (
        file: HDF5File, steps: HDF5Dataset, series: [(name: String, dataset: HDF5Dataset)], storedRowCount: Int,
        lastStoredRow: MetricsRow?
    ) {
        let files = FileManager.default
        var kept = ""
        if files.fileExists(atPath: hdf5Path) {
            kept = hdf5Path + ".damaged-" + MetricsFileLayout.timestamp().replacingOccurrences(of: ":", with: "")
            try files.moveItem(atPath: hdf5Path, toPath: kept)
        }
        let created = try MetricsFileLayout.create(hdf5Path)
        let rows = recovered.rows
        var series: [(name: String, dataset: HDF5Dataset)] = []
        for name in recovered.columns {
            series.append((name, try MetricsFileLayout.createSeries(name, in: created.file)))
        }
        if !rows.isEmpty {
            try created.steps.append(rows.map(\.step))
            for (column, entry) in series.enumerated() { try entry.dataset.append(rows.map { $0.value(column) }) }
        }
        if !recovered.columns.isEmpty { try created.file.setAttribute(MetricsFileLayout.seriesNamesAttribute, recovered.columns) }
        try created.file.flush()
        let message = "warning: \(hdf5Path) could not be read (\(error)); rebuilt it from \(csvPath) with its \(rows.count) rows up to "
            + "the resume step" + (kept.isEmpty ? "" : "; the damaged file is kept as \(kept)") + "\n"
        FileHandle.standardError.write(Data(message.utf8))
        return (created.file, created.steps, series, rows.count, rows.last)
    }

    deinit {
        guard !isClosed else { return }
        do {
            try close()
        } catch {
            FileHandle.standardError.write(Data("warning: closing the metrics store \(hdf5Path) failed: \(error)\n".utf8))
        }
    }

    // MARK: Recording

    /// The step of the last row recorded (flushed or not), or nil before the first.
    public var lastStep: Int64? { pendingRows.last?.step ?? lastStoredRow?.step }

    /// Rows recorded so far, flushed or not (after a resume: including the kept rows).
    public var rowCount: Int { storedRowCount + pendingRows.count }

    /// The last row recorded (flushed or not): its step and the value of series `name` there (NaN
    /// when the row has none, or the series is unknown); nil before the first row. After opening with
    /// `.resuming(fromStep: s)` this is the last kept row — the one a checkpoint at step s needs —
    /// read from `metrics.h5` or, when that was damaged, from the rows rebuilt out of `metrics.csv`.
    public func lastRecorded(_ name: String) -> (step: Int64, value: Double)? {
        guard let row = pendingRows.last ?? lastStoredRow else { return nil }
        return (row.step, columnOfSeries[name].map { row.value($0) } ?? .nan)
    }

    /// The last row recorded (flushed or not), as in ``lastRecorded(_:)``, with every series it has a
    /// value for (NaN entries, i.e. series the row lacks, are left out); nil before the first row.
    public func lastRecordedRow() -> (step: Int64, values: [String: Double])? {
        guard let row = pendingRows.last ?? lastStoredRow else { return nil }
        var values: [String: Double] = [:]
        for (name, column) in columnOfSeries {
            let value = row.value(column)
            if !value.isNaN { values[name] = value }
        }
        return (row.step, values)
    }

    /// Records `values` (series name → value) at `step`: a new row when `step` is above the last
    /// row's step, or more series of the last row when equal (see the type's notes). Validates
    /// everything before changing anything, so a rejected call (a ``MetricsError``) records
    /// nothing. Then flushes if `flushInterval` has passed since the last flush; an error from
    /// that flush comes after the row was recorded.
    public func record(step: some BinaryInteger, _ values: [String: Double]) throws {
        try requireOpen()
        guard let step = Int64(exactly: step) else { throw MetricsError.invalidStep("\(step) does not fit in Int64") }
        guard step >= 0 else {
            throw MetricsError.invalidStep("step \(step) is negative; steps count optimizer updates from 0")
        }
        let newNames = values.keys.filter { columnOfSeries[$0] == nil }.sorted()
        try validateNewSeries(newNames)
        let previousStep = lastStep
        if let previousStep, step < previousStep {
            throw MetricsError.stepNotIncreasing(step: step, previous: previousStep)
        }
        let joinsLastRow = step == previousStep
        if joinsLastRow, let row = pendingRows.last ?? lastStoredRow {
            for (name, value) in values {
                guard let column = columnOfSeries[name] else { continue }
                let stored = row.value(column)
                if !stored.isNaN && stored.bitPattern != value.bitPattern {
                    throw MetricsError.conflictingValue(series: name, step: step, stored: stored, new: value)
                }
            }
        }

        for name in newNames {
            columnOfSeries[name] = seriesNames.count
            seriesNames.append(name)
        }
        if joinsLastRow && !pendingRows.isEmpty {
            for (name, value) in values { pendingRows[pendingRows.count - 1].set(columnOfSeries[name]!, value) }
        } else if joinsLastRow, var row = lastStoredRow {
            for (name, value) in values {
                let column = columnOfSeries[name]!
                if row.value(column).bitPattern != value.bitPattern {
                    row.set(column, value)
                    amendedColumns.insert(column)
                }
            }
            lastStoredRow = row
        } else {
            var row = MetricsRow(step: step, values: [Double](repeating: .nan, count: seriesNames.count))
            for (name, value) in values { row.values[columnOfSeries[name]!] = value }
            pendingRows.append(row)
        }
        if lastFlush.duration(to: clock.now) >= flushInterval { try write() }
    }

    /// Writes every pending row to both files now (see the type's notes).
    public func flush() throws {
        try requireOpen()
        try write()
    }

    /// Flushes, then closes both files. Idempotent; recording afterwards throws.
    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        var firstError: Error?
        do { try write() } catch { firstError = error }
        do { try csv.close() } catch { firstError = firstError ?? error }
        do { try file.close() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    // MARK: Reading

    /// The steps and every series of the metrics file at `path` (series name → one value per step,
    /// NaN where it was not recorded). Opens the file read-only; within one process this works
    /// while a store has the file open (it sees what that store has flushed).
    public static func read(_ path: String) throws -> (steps: [Int64], series: [String: [Double]]) {
        let contents = try MetricsFileLayout.open(path, mode: .readOnly)
        defer { try? contents.file.close() }
        var series: [String: [Double]] = [:]
        for (name, dataset) in contents.series { series[name] = try dataset.read(as: Double.self) }
        try contents.file.close()
        return (contents.stepValues, series)
    }

    // MARK: Writing

    /// The flush: new series get datasets back-filled with NaN for the stored rows; series added
    /// to the last stored row are written in place; pending rows are appended to every dataset;
    /// `H5Fflush`; then the CSV — rewritten if its columns changed, else its last line replaced
    /// (when amended) and the pending lines appended.
    private func write() throws {
        let firstNewColumn = seriesDatasets.count
        for name in seriesNames[firstNewColumn...] {
            let dataset = try MetricsFileLayout.createSeries(name, in: file)
            try dataset.append([Double](repeating: .nan, count: storedRowCount))
            seriesDatasets.append(dataset)
        }
        if let lastStoredRow {
            for column in amendedColumns.sorted() {
                try seriesDatasets[column].write([lastStoredRow.value(column)], start: [storedRowCount - 1], count: [1])
            }
        }
        if !pendingRows.isEmpty {
            try stepDataset.append(pendingRows.map(\.step))
            for (column, dataset) in seriesDatasets.enumerated() {
                try dataset.append(pendingRows.map { $0.value(column) })
            }
        }
        if firstNewColumn < seriesNames.count {
            try file.setAttribute(MetricsFileLayout.seriesNamesAttribute, seriesNames)
        }
        try file.flush()

        if csv.columns != seriesNames {
            let (steps, series) = (stepDataset, seriesDatasets)
            try csv.rewrite(columns: seriesNames, rowCount: storedRowCount + pendingRows.count) { range in
                try Self.readRows(range, steps: steps, series: series)
            }
        } else {
            if !amendedColumns.isEmpty, let lastStoredRow { try csv.replaceLastRow(with: lastStoredRow) }
            try csv.append(pendingRows)
        }

        storedRowCount += pendingRows.count
        if let last = pendingRows.last { lastStoredRow = last }
        pendingRows.removeAll(keepingCapacity: true)
        amendedColumns.removeAll()
        lastFlush = clock.now
    }

    /// Rows `range` as stored in the HDF5 datasets.
    private static func readRows(_ range: Range<Int>, steps: HDF5Dataset, series: [HDF5Dataset]) throws -> [MetricsRow] {
        let stepValues = try steps.read(as: Int64.self, start: [range.lowerBound], count: [range.count])
        let columns = try series.map { try $0.read(as: Double.self, start: [range.lowerBound], count: [range.count]) }
        return stepValues.indices.map { row in MetricsRow(step: stepValues[row], values: columns.map { $0[row] }) }
    }

    // MARK: Checks

    private func requireOpen() throws {
        if isClosed { throw MetricsError.closed(path: hdf5Path) }
    }

    /// Each new name must be valid and must not conflict with a known series or another new one.
    private func validateNewSeries(_ newNames: [String]) throws {
        for (index, name) in newNames.enumerated() {
            try MetricSeriesName.validate(name)
            if let other = (seriesNames + newNames[..<index]).first(where: { MetricSeriesName.conflict($0, name) }) {
                throw MetricsError.conflictingSeriesNames(other, name)
            }
        }
    }
}
