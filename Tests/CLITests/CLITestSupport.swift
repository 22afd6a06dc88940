@_exported import CLIProcess
import Foundation
import HDF5

extension CLI {
    /// Reads a float dataset.
    static func readFloats(_ path: String, dataset: String) throws -> (values: [Float], shape: [Int]) {
        let file = try HDF5File(path, mode: .readOnly)
        defer { try? file.close() }
        let data = try file.openDataset(dataset)
        return (try data.read(), try data.shape())
    }
}
