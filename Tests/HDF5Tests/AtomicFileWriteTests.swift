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

    /// What the threads of ``concurrentWritersOfOnePath()`` report.
    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func record(_ item: String) { lock.withLock { items.append(item) } }
        var all: [String] { lock.withLock { items } }
    }

    /// Writes version `writer`: an attribute naming it and 4096 doubles equal to it.
    static func writeVersion(_ writer: Int, to path: String) throws {
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("writer", Int64(writer))
            try file.createDataset("values", values: [Double](repeating: Double(writer), count: 4096))
        }
    }

    /// Throws unless `path` holds one whole version: its attribute and its values agree.
    static func checkVersion(at path: String) throws -> Int64 {
        let file = try HDF5File(path)
        defer { try? file.close() }
        let writer = try file.attribute("writer", as: Int64.self)
        let values = try file.openDataset("values").read(as: Double.self)
        guard (writer == 0 || writer == 1), values == [Double](repeating: Double(writer), count: 4096) else {
            throw HDF5Error(.invalidValue, call: "check", filePath: path, objectPath: "/",
                            message: "writer \(writer) with \(values.count) values starting \(values.prefix(3))")
        }
        return writer
    }

    @Test("two threads writing one path at once, 40 times each, all succeed; a reader meanwhile and the final file see one whole version; no temporary file is left")
    func concurrentWritersOfOnePath() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("shared.h5").path
            try Self.writeVersion(0, to: path)
            let failures = Failures()
            let writersLeft = Failures()  // one entry per writer that finished
            let finished = DispatchGroup()
            for writer in 0..<2 {
                finished.enter()
                Thread {
                    for round in 0..<40 {
                        do { try Self.writeVersion(writer, to: path) } catch {
                            failures.record("writer \(writer), round \(round): \(error)")
                        }
                    }
                    writersLeft.record("\(writer)")
                    finished.leave()
                }.start()
            }
            finished.enter()
            Thread {
                var reads = 0
                while writersLeft.all.count < 2 || reads == 0 {
                    do { _ = try Self.checkVersion(at: path) } catch { failures.record("reader, read \(reads): \(error)") }
                    reads += 1
                }
                finished.leave()
            }.start()
            finished.wait()
            #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
            #expect(throws: Never.self) { _ = try Self.checkVersion(at: path) }
            #expect(try Self.others(in: directory, besides: ["shared.h5"]).isEmpty)
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
