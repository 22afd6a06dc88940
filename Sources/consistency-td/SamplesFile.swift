import ConsistencyTD
import Foundation

/// The HDF5 file of `consistency-td sample`:
///
///     /            attributes format = "consistency-td.samples", format_version = 1, count, dimension,
///                  checkpoint, method, parameters, sampler, t_max, middle_time (float64), step, seed,
///                  sampling_steps (int64)
///     /samples     float32, count × D
///
/// Written to `<path>.tmp` and renamed, so an interrupted write never leaves a partial file.
enum SamplesFile {
    static let format = "consistency-td.samples"

    static func write(_ samples: [Double], dimension: Int, to path: String, attributes: [String: String], numbers: [String: Double],
                      integers: [String: Int64]) throws {
        let temporary = path + ".tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let file = try HDF5File(temporary, mode: .truncate)
            try file.setAttribute("format", format)
            try file.setAttribute("format_version", Int64(1))
            try file.setAttribute("count", Int64(samples.count / dimension))
            try file.setAttribute("dimension", Int64(dimension))
            for (key, value) in attributes.sorted(by: { $0.key < $1.key }) { try file.setAttribute(key, value) }
            for (key, value) in numbers.sorted(by: { $0.key < $1.key }) { try file.setAttribute(key, value) }
            for (key, value) in integers.sorted(by: { $0.key < $1.key }) { try file.setAttribute(key, value) }
            try file.createDataset("samples", values: samples.map { Float($0) }, shape: [samples.count / dimension, dimension])
            try file.close()
            try FileSystemMove.replace(path, with: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CommandLineFailure("cannot write samples to '\(path)': \(error)")
        }
    }
}
