import CLIProcess
import Foundation
import HDF5
import TestFolders
import Testing
@testable import Environments

/// The committed digits file (Experiments/Data/digits-8x8.h5): its checksum, shapes and split, loading one
/// part of the stored split, and the clear failures of files that do not fit the expected images.
@Suite("Digits dataset: committed file, train/test parts, validation")
struct DigitsDatasetTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let digitsPath = repositoryRoot.appendingPathComponent("Experiments/Data/digits-8x8.h5").path

    static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consistency-td-digits-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        TemporaryFolders.removeAtExit(directory.path)
        return directory.appendingPathComponent(name).path
    }

    /// Writes a small image file: N images of shape `imageShape` (pixel i·0.01 − 0.5), labels, an optional split.
    static func writeFile(_ name: String, imageShape: [Int], labels: [Int32], split: [UInt8]?) throws -> String {
        let path = temporaryPath(name)
        let file = try HDF5File(path, mode: .truncate)
        let count = labels.count, size = imageShape.reduce(1, *)
        try file.createDataset("data", values: (0..<(count * size)).map { Float($0 % 100) * 0.01 - 0.5 }, shape: [count] + imageShape)
        try file.createDataset("labels", values: labels)
        if let split { try file.createDataset("split", values: split) }
        try file.close()
        return path
    }

    @Test("the committed file's SHA-256 equals Experiments/Data/digits-8x8.h5.sha256")
    func committedChecksumMatches() throws {
        let recorded = try String(contentsOfFile: Self.digitsPath + ".sha256", encoding: .utf8).split(separator: " ").first.map(String.init)
        #expect(recorded?.count == 64)
        #expect(try ExternalDigest.sha256sum(Self.digitsPath) == recorded)
    }

    @Test("the file holds 1797×1×8×8 images in [−1, 1], labels 0…9 (every class), a 1442/355 split")
    func committedShapesAndRanges() throws {
        let file = try HDF5File(Self.digitsPath)
        defer { try? file.close() }
        #expect(try file.openDataset("data").shape() == [1797, 1, 8, 8])
        #expect(try file.openDataset("data").elementType() == .float32)
        #expect(try file.openDataset("labels").shape() == [1797])
        #expect(try file.openDataset("split").shape() == [1797])
        let data = try EmpiricalDataset(contentsOf: Self.digitsPath, expectedPointShape: [1, 8, 8], classCount: 10)
        #expect(data.count == 1797 && data.dimension == 64 && data.pointShape == [1, 8, 8])
        #expect(data.points.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(data.points.min() == -1 && data.points.max() == 1)
        #expect(Set(data.labels!) == Set(0..<10))
        let split = try file.openDataset("split").read(as: UInt8.self)
        #expect(split.filter { $0 == 0 }.count == 1442)
        #expect(split.filter { $0 == 1 }.count == 355)
    }

    @Test("the train and test parts are the /split = 0 and /split = 1 rows, in file order, with K = 10 kept")
    func partsFollowTheStoredSplit() throws {
        let whole = try EmpiricalDataset(contentsOf: Self.digitsPath)
        let split = try HDF5File(Self.digitsPath).openDataset("split").read(as: UInt8.self)
        for part in EmpiricalDatasetPart.allCases {
            let loaded = try EmpiricalDataset(contentsOf: Self.digitsPath, part: part, expectedPointShape: [1, 8, 8], classCount: 10)
            let rows = split.indices.filter { split[$0] == part.splitCode }
            #expect(loaded.count == (part == .train ? 1442 : 355))
            #expect(loaded.labels! == rows.map { whole.labels![$0] })
            #expect(loaded.points == rows.flatMap { whole.points[$0 * 64 ..< ($0 + 1) * 64] })
            #expect(loaded.classCount == 10 && loaded.pointShape == [1, 8, 8])
            // Every class appears in both parts (every fifth image of each class is a test image).
            #expect(Set(loaded.labels!) == Set(0..<10))
        }
    }

    @Test("a label outside 0..<K fails naming the file, the point, the label and the range")
    func labelOutOfRangeFails() throws {
        let path = try Self.writeFile("labels-out-of-range.h5", imageShape: [1, 8, 8], labels: [0, 3, 9, 10, 2], split: [0, 0, 1, 0, 1])
        let error = #expect(throws: EmpiricalDatasetError.self) {
            try EmpiricalDataset(contentsOf: path, part: .train, expectedPointShape: [1, 8, 8], classCount: 10)
        }
        #expect(error == .labelOutOfRange(path: path, index: 3, label: 10, classCount: 10))
        #expect(error?.description.contains("label 10 of point 3") == true)
        #expect(error?.description.contains("0…9") == true)
        #expect(error?.description.contains(path) == true)
        let negative = try Self.writeFile("labels-negative.h5", imageShape: [1, 8, 8], labels: [0, -1], split: nil)
        #expect(throws: EmpiricalDatasetError.labelOutOfRange(path: negative, index: 1, label: -1, classCount: 10)) {
            try EmpiricalDataset(contentsOf: negative, classCount: 10)
        }
        // Without a class count the same labels load (the check is opt-in).
        #expect(try EmpiricalDataset(contentsOf: path).labels == [0, 3, 9, 10, 2])
    }

    @Test("images of an unexpected shape fail naming the file, the shape found and the shape expected")
    func unexpectedImageShapeFails() throws {
        let path = try Self.writeFile("wrong-shape.h5", imageShape: [1, 7, 8], labels: [0, 1, 2], split: [0, 1, 0])
        let error = #expect(throws: EmpiricalDatasetError.self) {
            try EmpiricalDataset(contentsOf: path, part: .test, expectedPointShape: [1, 8, 8], classCount: 10)
        }
        #expect(error == .unexpectedPointShape(path: path, dataset: "/data", shape: [3, 1, 7, 8], expected: [1, 8, 8]))
        #expect(error?.description.contains("[1, 7, 8]") == true)
        #expect(error?.description.contains("expected points of shape [1, 8, 8]") == true)
        let flat = try Self.writeFile("flat.h5", imageShape: [64], labels: [0, 1], split: nil)
        #expect(throws: EmpiricalDatasetError.unexpectedPointShape(path: flat, dataset: "/data", shape: [2, 64], expected: [1, 8, 8])) {
            try EmpiricalDataset(contentsOf: flat, expectedPointShape: [1, 8, 8])
        }
    }

    @Test("a split with a value other than 0/1, the wrong length or missing fails naming the file and entry")
    func badSplitFails() throws {
        let badValue = try Self.writeFile("split-value.h5", imageShape: [1, 8, 8], labels: [0, 1, 2, 3], split: [0, 1, 2, 0])
        let error = #expect(throws: EmpiricalDatasetError.self) { try EmpiricalDataset(contentsOf: badValue, part: .train) }
        #expect(error == .invalidSplitValue(path: badValue, dataset: "/split", index: 2, value: 2))
        #expect(error?.description.contains("/split[2] is 2; expected 0 (train) or 1 (test)") == true)
        let short = try Self.writeFile("split-short.h5", imageShape: [1, 8, 8], labels: [0, 1, 2, 3], split: [0, 1, 0])
        #expect(throws: EmpiricalDatasetError.splitShapeMismatch(path: short, dataset: "/split", shape: [3], points: 4)) {
            try EmpiricalDataset(contentsOf: short, part: .test)
        }
        let missing = try Self.writeFile("split-missing.h5", imageShape: [1, 8, 8], labels: [0, 1], split: nil)
        let missingError = #expect(throws: EmpiricalDatasetError.self) { try EmpiricalDataset(contentsOf: missing, part: .test) }
        #expect(missingError == .missingSplit(path: missing, dataset: "/split", part: .test))
        #expect(missingError?.description.contains(missing) == true)
        let allTrain = try Self.writeFile("split-all-train.h5", imageShape: [1, 8, 8], labels: [0, 1], split: [0, 0])
        #expect(throws: EmpiricalDatasetError.emptyPart(path: allTrain, part: .test)) {
            try EmpiricalDataset(contentsOf: allTrain, part: .test)
        }
        // Without a part the split is not read at all.
        #expect(try EmpiricalDataset(contentsOf: badValue).count == 4)
    }

    @Test("a class count without labels, or invalid expectations, fail with what was expected")
    func invalidExpectationsFail() throws {
        let path = temporaryPath("unlabelled.h5")
        let file = try HDF5File(path, mode: .truncate)
        try file.createDataset("data", values: [Float](repeating: 0, count: 128), shape: [2, 1, 8, 8])
        try file.close()
        #expect(throws: EmpiricalDatasetError.missingLabels(path: path, dataset: "/labels", classCount: 10)) {
            try EmpiricalDataset(contentsOf: path, classCount: 10)
        }
        #expect(throws: EmpiricalDatasetError.self) { try EmpiricalDataset(contentsOf: path, expectedPointShape: [1, 0, 8]) }
        #expect(throws: EmpiricalDatasetError.self) { try EmpiricalDataset(points: [0, 1], dimension: 1, labels: [0, 1], classCount: 0) }
    }

    private func temporaryPath(_ name: String) -> String { Self.temporaryPath(name) }
}
