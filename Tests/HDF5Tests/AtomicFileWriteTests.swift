import Foundation
import HDF5
import Testing

/// `HDF5File.writeAtomically`: a new file appears whole, a failed write changes nothing and leaves no
/// temporary file behind.
@Suite("Atomic file writes")
struct AtomicFileWriteTests {
    struct Interrupted: Error {}

    /// Names in `directory` other than `keep`.
    private static func others(in directory: URL, besides keep: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !keep.contains($0) }.sorted()
    }

    @Test("the written file holds the contents, and only it is left in the folder")
    func writesWholeFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("results.h5").path
            try HDF5File.writeAtomically(to: path) { file in
                try file.setAttribute("format", "test")
                try file.createDataset("values", values: [1.5, -2.0, 3.25])
            }
            let file = try HDF5File(path)
            defer { try? file.close() }
            #expect(try file.stringAttribute("format") == "test")
            #expect(try file.openDataset("values").read(as: Double.self) == [1.5, -2.0, 3.25])
            #expect(try Self.others(in: directory, besides: ["results.h5"]).isEmpty)
        }
    }

    @Test("a write that throws leaves the previous file byte for byte and removes its temporary file")
    func failedWriteChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("results.h5").path
            try HDF5File.writeAtomically(to: path) { file in try file.createDataset("values", values: [7.0]) }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: Interrupted.self) {
                try HDF5File.writeAtomically(to: path) { file in
                    try file.createDataset("values", values: [8.0, 9.0])
                    throw Interrupted()
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try Self.others(in: directory, besides: ["results.h5"]).isEmpty)
        }
    }

    @Test("a rename that fails is an HDF5Error naming the path and the reason, and leaves no temporary file")
    func failedRenameIsReported() throws {
        try withTemporaryDirectory { directory in
            // A non-empty folder where the file should go: rename(2) refuses to replace it.
            let path = directory.appendingPathComponent("results.h5")
            try FileManager.default.createDirectory(at: path, withIntermediateDirectories: false)
            try Data("x".utf8).write(to: path.appendingPathComponent("inside"))
            let error = expectHDF5Error {
                try HDF5File.writeAtomically(to: path.path) { file in try file.createDataset("values", values: [1.0]) }
            }
            #expect(error?.kind == .fileSystem && error?.call == "rename" && error?.filePath == path.path)
            #expect(error?.message.contains("directory") == true, "\(String(describing: error))")
            #expect(try Self.others(in: directory, besides: ["results.h5"]).isEmpty)
        }
    }
}
