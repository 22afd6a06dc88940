import Foundation
import HDF5
import Replay
import Testing

/// Each damaged or foreign file fails to open with a message naming its problem.
@Suite("Bad trajectory datasets fail with a message naming the problem")
struct TrajectoryDatasetBadInputTests {
    static func openingError(_ path: String) -> String {
        do {
            _ = try TrajectoryDataset(path: path)
            return "opened without error"
        } catch {
            return "\(error)"
        }
    }

    static func validFile(_ name: String) throws -> String {
        let path = try temporaryFolder(name) + "/t.h5"
        try writeDataset(try syntheticEpisodes(count: 5), to: path)
        return path
    }

    @Test("a file of another format names both formats")
    func otherFormat() throws {
        let path = try Self.validFile("format")
        let file = try HDF5File(path, mode: .readWrite)
        try file.setAttribute("format", "consistency-td.checkpoint")
        try file.close()
        let message = Self.openingError(path)
        #expect(message.contains("format is 'consistency-td.checkpoint', expected 'consistency-td.trajectories'"), "\(message)")
    }

    @Test("another format_version is refused with the version this reader understands")
    func otherVersion() throws {
        let path = try Self.validFile("version")
        let file = try HDF5File(path, mode: .readWrite)
        try file.setAttribute("format_version", Int64(2))
        try file.close()
        let message = Self.openingError(path)
        #expect(message.contains("format_version is 2; this reader understands format_version 1"), "\(message)")
    }

    @Test("a dataset whose episode count disagrees with the observations is an inconsistent shape")
    func inconsistentShapes() throws {
        let path = try Self.validFile("shapes")
        let file = try HDF5File(path, mode: .readWrite)
        try file.delete("rewards")
        try file.createDataset("rewards", values: [Float](repeating: 0, count: 4 * 6 * 2), shape: [4, 6, 2])
        try file.close()
        let message = Self.openingError(path)
        #expect(message.contains("inconsistent shapes: '/rewards' has shape [4, 6, 2]") && message.contains("[5, 6, 2]"), "\(message)")
    }

    @Test("observations whose K+1 disagrees with /times name both")
    func timesMismatch() throws {
        let path = try Self.validFile("times")
        let file = try HDF5File(path, mode: .readWrite)
        try file.delete("times")
        try file.createDataset("times", values: [3.0, 2.0, 1.0])
        try file.close()
        let message = Self.openingError(path)
        #expect(message.contains("/times has K+1 = 3 entries"), "\(message)")
    }

    @Test("a missing dataset is named")
    func missingDataset() throws {
        let path = try Self.validFile("missing")
        let file = try HDF5File(path, mode: .readWrite)
        try file.delete("truncations")
        try file.close()
        #expect(Self.openingError(path).contains("the dataset '/truncations' is missing"))
    }

    @Test("a dataset where a group belongs, or a group where a dataset belongs, is a ReplayError naming the file, the object and what was expected")
    func wrongObjectKinds() throws {
        let cases: [(String, (HDF5File) throws -> Void, String)] = [
            ("values-dataset", { file in
                try file.delete("values")
                try file.createDataset("values", values: [Float](repeating: 0, count: 5 * 7 * 2), shape: [5, 7, 2])
            }, "'/values' is a dataset; expected a group of datasets '/values/<name>' (float32 (N, K+1, D) each)"),
            ("targets-dataset", { file in
                try file.delete("targets")
                try file.createDataset("targets", values: [Float](repeating: 0, count: 4), shape: [4])
            }, "'/targets' is a dataset; expected a group of datasets '/targets/<name>' (float32 (N, K, D) each)"),
            ("observations-group", { file in
                try file.delete("observations")
                _ = try file.createGroup("observations")
            }, "'/observations' is a group; expected a dataset (float32 (N, K+1, D))"),
            ("labels-group", { file in
                try file.delete("labels")
                _ = try file.createGroup("labels")
            }, "'/labels' is a group; expected a dataset (int32 (N,))"),
            ("value-group", { file in
                try file.openGroup("values").delete("net")
                _ = try file.createGroup("values/net")
            }, "'/values/net' is a group; expected a dataset (float32 (N, K+1, D))"),
        ]
        for (name, change, expected) in cases {
            let path = try Self.validFile(name)
            let file = try HDF5File(path, mode: .readWrite)
            try change(file)
            try file.close()
            do {
                _ = try TrajectoryDataset(path: path)
                Issue.record("\(name): opened without error")
            } catch let error as ReplayError {
                #expect(error.message.hasPrefix("trajectory dataset '\(path)': ") && error.message.contains(expected), "\(name): \(error)")
                #expect(!error.message.contains("\n"), "\(name): \(error)")
            } catch {
                Issue.record("\(name): \(type(of: error)) is not a ReplayError: \(error)")
            }
        }
    }

    @Test("a truncated file says it is truncated")
    func truncatedFile() throws {
        let path = try Self.validFile("truncated")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        let message = Self.openingError(path)
        #expect(message.contains("the file is truncated"), "\(message)")
    }

    @Test("a file that is not HDF5 and a missing file are told apart")
    func notHDF5() throws {
        let folder = try temporaryFolder("text")
        try Data("episode,x\n".utf8).write(to: URL(fileURLWithPath: folder + "/t.h5"))
        #expect(Self.openingError(folder + "/t.h5").contains("not an HDF5 file"))
        #expect(Self.openingError(folder + "/absent.h5").contains("no such file"))
    }
}
