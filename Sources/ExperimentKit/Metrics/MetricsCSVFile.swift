import Foundation

/// `metrics.csv`: the rows of `metrics.h5` as text, for spreadsheets and quick looks.
///
/// Format: a header line `step,<series names in column order>`, then one line per row, each line
/// ending in "\n". The step is a decimal integer; a value is Swift's shortest decimal that reads
/// back to the same Double (`Double.description`: "0.1", "1e-05", "-0.0", "inf", "-inf"). NaN —
/// whether the series was not recorded at that step or was recorded as NaN, which `metrics.h5`
/// cannot tell apart either — is written `nan`, so every field parses as a float (pandas'
/// `read_csv`, `numpy.loadtxt(path, delimiter=",", skiprows=1)`, Python's `float`, Swift's
/// `Double(_:)`). Series names never need quoting (see ``MetricSeriesName``).
///
/// Writing:
/// - new rows are appended with one `write(2)` per flush (`FileHandle` keeps no user-space
///   buffer, so there is nothing left to `fflush`: a process crash loses nothing written);
/// - the last row can be replaced in place (the file is truncated where that line begins), for
///   series added to a step that was already flushed;
/// - a new column means a new header, so the whole file is rewritten: the text goes to
///   `metrics.csv.tmp`, is fsync'ed and renamed over `metrics.csv`, so a reader sees the old file
///   or the new one, never half of one.
final class MetricsCSVFile {
    let path: String
    /// The series columns after "step", as in the current header.
    private(set) var columns: [String]
    private var handle: FileHandle
    /// The file's length in bytes.
    private var endOffset: UInt64
    /// Where the last data line begins; nil while there are no data lines.
    private var lastRowOffset: UInt64?

    /// Rows read per block when rewriting.
    static let rewriteBlockRows = 16_384

    /// Creates (or replaces) the file at `path` with `columns` and the rows `rows(range)` returns
    /// for `0..<rowCount`, read block by block.
    init(path: String, columns: [String], rowCount: Int, rows: (Range<Int>) throws -> [MetricsRow]) throws {
        self.path = path
        let written = try Self.reportingPath(path) { try MetricsCSVFile.writeReplacement(path: path, columns: columns, rowCount: rowCount, rows: rows) }
        handle = try Self.reportingPath(path) { try MetricsCSVFile.openForAppending(path) }
        self.columns = columns
        endOffset = written.length
        lastRowOffset = written.lastRowOffset
    }

    /// Appends `rows` in one write.
    func append(_ rows: [MetricsRow]) throws {
        guard !rows.isEmpty else { return }
        var text = ""
        var lastLineStart = endOffset
        for row in rows {
            lastLineStart = endOffset + UInt64(text.utf8.count)
            text += Self.line(row, columnCount: columns.count)
        }
        try Self.reportingPath(path) { try handle.write(contentsOf: Data(text.utf8)) }
        endOffset += UInt64(text.utf8.count)
        lastRowOffset = lastLineStart
    }

    /// Replaces the last data line with `row` (truncating the file where that line begins).
    func replaceLastRow(with row: MetricsRow) throws {
        guard let lastRowOffset else { return try append([row]) }
        try Self.reportingPath(path) {
            try handle.truncate(atOffset: lastRowOffset)
            try handle.seek(toOffset: lastRowOffset)
        }
        endOffset = lastRowOffset
        try append([row])
    }

    /// Rewrites the whole file with new `columns` (see the type's notes).
    func rewrite(columns: [String], rowCount: Int, rows: (Range<Int>) throws -> [MetricsRow]) throws {
        try Self.reportingPath(path) { try handle.close() }
        let written = try Self.reportingPath(path) { try Self.writeReplacement(path: path, columns: columns, rowCount: rowCount, rows: rows) }
        handle = try Self.reportingPath(path) { try Self.openForAppending(path) }
        self.columns = columns
        endOffset = written.length
        lastRowOffset = written.lastRowOffset
    }

    func close() throws { try Self.reportingPath(path) { try handle.close() } }

    /// Runs a file operation on `path`, turning Foundation's errors (which name neither the file nor,
    /// readably, the cause) into ``MetricsError/writeFailed(path:reason:)`` with the system's message.
    static func reportingPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as MetricsError { throw error } catch {
            let nsError = error as NSError
            var reason = nsError.localizedDescription
            if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(underlying.code)))
            } else if nsError.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(nsError.code)))
            }
            throw MetricsError.writeFailed(path: path, reason: reason)
        }
    }

    // MARK: Text

    /// "step,<columns>\n".
    static func header(_ columns: [String]) -> String {
        ([MetricSeriesName.stepName] + columns).joined(separator: ",") + "\n"
    }

    /// "<step>,<value>,…\n" with `columnCount` values (NaN for columns the row lacks).
    static func line(_ row: MetricsRow, columnCount: Int) -> String {
        var text = String(row.step)
        for column in 0..<columnCount {
            text += ","
            text += field(row.value(column))
        }
        return text + "\n"
    }

    /// `nan` for every NaN (whatever its sign or payload), else the shortest round-trip decimal.
    static func field(_ value: Double) -> String {
        value.isNaN ? "nan" : value.description
    }

    // MARK: Files

    /// Writes the header and rows to "<path>.tmp" block by block, fsyncs it and renames it over
    /// `path`; returns the length and where the last data line begins.
    private static func writeReplacement(
        path: String, columns: [String], rowCount: Int, rows: (Range<Int>) throws -> [MetricsRow]
    ) throws -> (length: UInt64, lastRowOffset: UInt64?) {
        let temporaryPath = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporaryPath])
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: temporaryPath))
        var length: UInt64 = 0
        var lastRowOffset: UInt64?
        do {
            let head = header(columns)
            try output.write(contentsOf: Data(head.utf8))
            length = UInt64(head.utf8.count)
            for start in stride(from: 0, to: rowCount, by: rewriteBlockRows) {
                var text = ""
                for row in try rows(start..<min(start + rewriteBlockRows, rowCount)) {
                    lastRowOffset = length + UInt64(text.utf8.count)
                    text += line(row, columnCount: columns.count)
                }
                try output.write(contentsOf: Data(text.utf8))
                length += UInt64(text.utf8.count)
            }
            try output.synchronize()
            try output.close()
        } catch {
            try? output.close()
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw error
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "could not rename \(temporaryPath) to \(path): \(reason)",
            ])
        }
        return (length, lastRowOffset)
    }

    private static func openForAppending(_ path: String) throws -> FileHandle {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
    }
}
