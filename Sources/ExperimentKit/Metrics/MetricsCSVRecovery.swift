import Foundation

/// Rebuilds a run's metrics from `metrics.csv` when `metrics.h5` cannot be read on resume.
///
/// Why it is needed: `metrics.h5` is consistent on disk after each flush, but a process killed
/// *during* a flush (`kill -9`, the OOM killer) can leave libhdf5's chunk index pointing at
/// half-written, gzip-compressed chunks ("inflate() failed" on the next read). `metrics.csv` cannot
/// be damaged that way: its rows are appended with one `write(2)` per flush after the HDF5 flush,
/// and a new header rewrites it through a renamed temporary file — so at worst its last line is cut
/// short. Because the trainer flushes the metrics before every checkpoint, the CSV holds every row
/// up to the checkpoint a resume starts from, with values that read back bit-identical (the CSV
/// writes each Double's shortest round-trip decimal; see ``MetricsCSVFile``).
enum MetricsCSVRecovery {
    /// The series columns and the rows with step ≤ `lastStep` of the CSV at `path`. A last line
    /// without its "\n" (a write cut short) is ignored; anything else malformed is an error naming
    /// the line.
    static func rows(_ path: String, upTo lastStep: Int64) throws -> (columns: [String], rows: [MetricsRow]) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MetricsError.inconsistentFile(path: path, problem: "it cannot be read as UTF-8 text (\(error))")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The text after the last "\n" is either empty or a line cut short: drop it.
        lines.removeLast()
        guard let header = lines.first else {
            throw MetricsError.inconsistentFile(path: path, problem: "it has no complete header line")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard names.first == MetricSeriesName.stepName else {
            throw MetricsError.inconsistentFile(path: path, problem: "its header starts with '\(names.first ?? "")', expected '\(MetricSeriesName.stepName)'")
        }
        let columns = Array(names.dropFirst())
        var rows: [MetricsRow] = []
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count, let step = Int64(fields[0]) else {
                throw MetricsError.inconsistentFile(path: path, problem: "line \(index + 1) is not a row of \(names.count) fields starting with an integer step: '\(line)'")
            }
            if let previous = rows.last?.step, step <= previous {
                throw MetricsError.inconsistentFile(path: path, problem: "line \(index + 1) holds step \(step) after step \(previous); steps must increase")
            }
            guard step <= lastStep else { break }
            let values = try fields.dropFirst().map { field -> Double in
                guard let value = Double(field) else {
                    throw MetricsError.inconsistentFile(path: path, problem: "line \(index + 1) has '\(field)', which is not a number")
                }
                return value
            }
            rows.append(MetricsRow(step: step, values: values))
        }
        return (columns, rows)
    }
}
