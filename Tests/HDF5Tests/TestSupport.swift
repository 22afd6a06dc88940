import Foundation
import HDF5
import Testing

/// A fresh directory under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hdf5-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Async variant for property tests.
func withTemporaryDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hdf5-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Runs `body`, expects it to throw an `HDF5Error`, and returns that error for further checks.
@discardableResult
func expectHDF5Error(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> HDF5Error? {
    do {
        try body()
        Issue.record("expected an HDF5Error, but nothing was thrown. \(comment.map { "\($0)" } ?? "")",
                     sourceLocation: sourceLocation)
        return nil
    } catch let error as HDF5Error {
        return error
    } catch {
        Issue.record("expected an HDF5Error, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The raw bytes of an array: equal bytes means bit-identical values (NaN payloads, −0 included).
func bytes<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
}
