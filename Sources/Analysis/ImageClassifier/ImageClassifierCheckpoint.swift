import Foundation
import HDF5
import NeuralNetworks
import Tensors

/// An ``NeuralNetworks/ImageClassifier`` with its training record, stored as one HDF5 file:
///
///     /                    attributes: format = "consistency-td.image-classifier", format_version = 1,
///                          the architecture (image_channels, height, width, class_count, stage_channels,
///                          feature_count, groups) and the provenance (seed, steps, batch_size,
///                          learning_rate, final_learning_rate_fraction, weight_decay, maximum_shift,
///                          fill_value, train_accuracy, test_accuracy, final_loss, dataset_sha256,
///                          toolkit_version)
///     /parameters/<name>   float32, the parameter's shape (names as in the classifier's store,
///                          e.g. "stages.0.conv.weight"), one chunk with a Fletcher-32 checksum so
///                          damaged bytes fail the read
///
/// Writing is atomic (`<path>.tmp`, closed, fsync'ed, renamed over `<path>`, directory fsync'ed), so a
/// crash leaves the old file or the new one. Reading rebuilds the architecture from the attributes and
/// demands exactly the parameters that architecture registers, each with its shape and finite values.
public struct ImageClassifierCheckpoint {
    /// The `format` attribute of every classifier checkpoint.
    public static let format = "consistency-td.image-classifier"
    /// The `format_version` this code writes and reads.
    public static let formatVersion: Int64 = 1

    public let classifier: ImageClassifier
    public let record: ImageClassifierTrainingRecord

    public init(classifier: ImageClassifier, record: ImageClassifierTrainingRecord) {
        self.classifier = classifier
        self.record = record
    }

    // MARK: Writing

    /// Writes the checkpoint to `path` atomically; on failure the temporary file is removed and any
    /// existing file at `path` is untouched.
    public func write(to path: String) throws {
        let temporary = path + ".tmp"
        do {
            try? FileManager.default.removeItem(atPath: temporary)
            try writeContents(to: temporary)
            try Self.synchronize(path: temporary)
            guard rename(temporary, path) == 0 else { throw ImageClassifierError.writeFailed(path: path, reason: "rename: \(Self.systemError())") }
            try Self.synchronize(path: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        } catch let error as ImageClassifierError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ImageClassifierError.writeFailed(path: path, reason: "\(error)")
        }
    }

    private func writeContents(to path: String) throws {
        let file = try HDF5File(path, mode: .truncate)
        let c = classifier.configuration, s = record.settings
        try file.setAttribute("format", Self.format)
        try file.setAttribute("format_version", Self.formatVersion)
        try file.setAttribute("image_channels", Int64(c.imageChannels))
        try file.setAttribute("height", Int64(c.height))
        try file.setAttribute("width", Int64(c.width))
        try file.setAttribute("class_count", Int64(c.classCount))
        try file.setAttribute("stage_channels", c.stageChannels.map(Int64.init))
        try file.setAttribute("feature_count", Int64(c.featureCount))
        try file.setAttribute("groups", Int64(c.groups))
        try file.setAttribute("seed", s.seed)
        try file.setAttribute("steps", Int64(s.steps))
        try file.setAttribute("batch_size", Int64(s.batchSize))
        try file.setAttribute("learning_rate", s.learningRate)
        try file.setAttribute("final_learning_rate_fraction", s.finalLearningRateFraction)
        try file.setAttribute("weight_decay", s.weightDecay)
        try file.setAttribute("maximum_shift", Int64(s.maximumShift))
        try file.setAttribute("fill_value", Double(s.fillValue))
        try file.setAttribute("train_accuracy", record.trainAccuracy)
        try file.setAttribute("test_accuracy", record.testAccuracy)
        try file.setAttribute("final_loss", record.finalLoss)
        try file.setAttribute("dataset_sha256", record.datasetSHA256)
        try file.setAttribute("toolkit_version", record.toolkitVersion)
        let store = classifier.store
        _ = try file.createGroup("parameters")
        for entry in store.entries {
            let options = HDF5DatasetOptions(chunkShape: entry.shape, fletcher32: true)
            try file.createDataset("parameters/" + entry.name, values: Array(store.values(of: entry.handle)), shape: entry.shape,
                                   options: options)
        }
        try file.close()
    }

    private static func synchronize(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ImageClassifierError.writeFailed(path: path, reason: "open for fsync: \(systemError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ImageClassifierError.writeFailed(path: path, reason: "fsync: \(systemError())") }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }

    // MARK: Reading

    /// Reads the checkpoint at `path`. With `expectedSHA256` the file's SHA-256 must equal it (checked
    /// before parsing); with `expectedConfiguration` the stored architecture must equal it. Throws an
    /// ``ImageClassifierError`` naming the file and the missing, misshapen or invalid object.
    public init(contentsOf path: String, expectedSHA256: String? = nil,
                expectedConfiguration: ImageClassifierConfiguration? = nil) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ImageClassifierError.checkpointNotFound(path: path) }
        if let expectedSHA256 {
            let found = try SHA256Checksum.hexDigest(ofFileAt: path)
            guard found == expectedSHA256.lowercased() else {
                throw ImageClassifierError.checksumMismatch(path: path, found: found, expected: expectedSHA256.lowercased())
            }
        }
        guard (try? HDF5File.isHDF5(path)) == true else {
            throw ImageClassifierError.notAClassifierCheckpoint(path: path, found: "not an HDF5 file")
        }
        let file: HDF5File
        do { file = try HDF5File(path, mode: .readOnly) } catch {
            throw ImageClassifierError.notAClassifierCheckpoint(path: path, found: "an HDF5 file that cannot be opened: \(error)")
        }
        defer { try? file.close() }
        let reader = AttributeReader(file: file, path: path)
        let format = (try? file.stringAttribute("format")) ?? "no format attribute"
        guard format == Self.format else {
            throw ImageClassifierError.notAClassifierCheckpoint(path: path, found: "format \"\(format)\"")
        }
        let version: Int64 = try reader.value("format_version")
        guard version == Self.formatVersion else {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "attribute 'format_version'",
                                                           problem: "is \(version); this toolkit reads version \(Self.formatVersion)")
        }
        let configuration = ImageClassifierConfiguration(
            imageChannels: Int(try reader.value("image_channels") as Int64), height: Int(try reader.value("height") as Int64),
            width: Int(try reader.value("width") as Int64), classCount: Int(try reader.value("class_count") as Int64),
            stageChannels: try reader.array("stage_channels", as: Int64.self).map { Int($0) },
            featureCount: Int(try reader.value("feature_count") as Int64), groups: Int(try reader.value("groups") as Int64))
        do { try configuration.validate() } catch {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "the architecture attributes", problem: "are invalid: \(error)")
        }
        if let expectedConfiguration, expectedConfiguration != configuration {
            throw ImageClassifierError.architectureMismatch(path: path, found: Self.summary(configuration),
                                                            expected: Self.summary(expectedConfiguration))
        }
        let settings = ImageClassifierTrainingSettings(
            steps: Int(try reader.value("steps") as Int64), batchSize: Int(try reader.value("batch_size") as Int64),
            learningRate: try reader.value("learning_rate"), finalLearningRateFraction: try reader.value("final_learning_rate_fraction"),
            weightDecay: try reader.value("weight_decay"), maximumShift: Int(try reader.value("maximum_shift") as Int64),
            fillValue: Float(try reader.value("fill_value") as Double), seed: try reader.value("seed"))
        record = ImageClassifierTrainingRecord(
            settings: settings, trainAccuracy: try reader.value("train_accuracy"), testAccuracy: try reader.value("test_accuracy"),
            finalLoss: try reader.value("final_loss"), datasetSHA256: try reader.string("dataset_sha256"),
            toolkitVersion: try reader.string("toolkit_version"))
        classifier = try ImageClassifier(configuration, seed: settings.seed)
        try Self.loadParameters(into: classifier.store, from: file, path: path)
    }

    private static func loadParameters(into store: ParameterStore, from file: HDF5File, path: String) throws {
        guard (try? file.contains("parameters")) == true else {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "group /parameters", problem: "is missing")
        }
        let stored = Set(try file.openGroup("parameters").members().map(\.name))
        let expected = Set(store.entries.map(\.name))
        if let extra = stored.subtracting(expected).sorted().first {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "dataset /parameters/\(extra)",
                                                           problem: "is not a parameter of the stored architecture")
        }
        for entry in store.entries {
            let object = "dataset /parameters/\(entry.name)"
            guard stored.contains(entry.name) else {
                throw ImageClassifierError.malformedCheckpoint(path: path, object: object, problem: "is missing (expected shape \(entry.shape))")
            }
            let dataset = try file.openDataset("parameters/" + entry.name)
            let shape = try dataset.shape()
            guard shape == entry.shape else {
                throw ImageClassifierError.malformedCheckpoint(path: path, object: object, problem: "has shape \(shape); expected \(entry.shape)")
            }
            guard try dataset.elementType() == .float32 else {
                throw ImageClassifierError.malformedCheckpoint(path: path, object: object, problem: "is not float32")
            }
            let values: [Float]
            do { values = try dataset.read(as: Float.self) } catch {
                throw ImageClassifierError.malformedCheckpoint(path: path, object: object, problem: "cannot be read (damaged file?): \(error)")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw ImageClassifierError.malformedCheckpoint(path: path, object: object, problem: "holds a non-finite value at index \(bad)")
            }
            let target = store.values(of: entry.handle)
            for i in 0..<values.count { target[i] = values[i] }
        }
    }

    /// "1×8×8 → 10 classes, stages [16, 32, 64], 64 features, 4 groups".
    static func summary(_ c: ImageClassifierConfiguration) -> String {
        "\(c.imageChannels)×\(c.height)×\(c.width) → \(c.classCount) classes, stages \(c.stageChannels), \(c.featureCount) features, \(c.groups) groups"
    }
}

/// Reads typed root attributes, turning a missing or mistyped one into a ``ImageClassifierError``.
private struct AttributeReader {
    let file: HDF5File
    let path: String

    func value<T: HDF5Scalar>(_ name: String) throws -> T {
        do { return try file.attribute(name, as: T.self) } catch {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "attribute '\(name)'", problem: "is missing or not \(T.self)")
        }
    }

    func array<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> [T] {
        do { return try file.attributeArray(name, as: T.self) } catch {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "attribute '\(name)'", problem: "is missing or not a \(T.self) array")
        }
    }

    func string(_ name: String) throws -> String {
        do { return try file.stringAttribute(name) } catch {
            throw ImageClassifierError.malformedCheckpoint(path: path, object: "attribute '\(name)'", problem: "is missing or not a string")
        }
    }
}
