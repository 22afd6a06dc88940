import CLIProcess
import Foundation
import HDF5
import NeuralNetworks
import Tensors
import TestFolders
import Testing
@testable import Analysis
@testable import Environments

/// The committed digits classifier (Experiments/Data/digits-classifier.h5) and the machinery around it:
/// SHA-256, checkpoint round trips and corruption, training, evaluation of accuracy and features.
@Suite("Image classifier: SHA-256, checkpoint, training, evaluation")
struct ImageClassifierCheckpointTests {
    static let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Experiments/Data")
    static let digitsPath = dataDirectory.appendingPathComponent("digits-8x8.h5").path
    static let checkpointPath = dataDirectory.appendingPathComponent("digits-classifier.h5").path

    static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consistency-td-classifier-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        TemporaryFolders.removeAtExit(directory.path)
        return directory.appendingPathComponent(name).path
    }

    static func part(_ part: EmpiricalDatasetPart) throws -> EmpiricalDataset {
        try EmpiricalDataset(contentsOf: digitsPath, part: part, expectedPointShape: [1, 8, 8], classCount: 10)
    }

    /// A small classifier trained for a few steps on 128 training digits, with its record.
    static func smallTrainedCheckpoint(steps: Int = 5) throws -> ImageClassifierCheckpoint {
        let subset = try part(.train).subset(Array(0..<128), classCount: 10)
        let configuration = ImageClassifierConfiguration(height: 8, width: 8, classCount: 10, stageChannels: [4, 8], featureCount: 8, groups: 2)
        let settings = ImageClassifierTrainingSettings(steps: steps, batchSize: 16, seed: 3)
        let result = try ImageClassifierTraining.train(configuration, on: subset, settings: settings)
        let record = ImageClassifierTrainingRecord(settings: settings, trainAccuracy: 0.25, testAccuracy: 0.125, finalLoss: 2.5,
                                                   datasetSHA256: String(repeating: "ab", count: 32), toolkitVersion: "test")
        return ImageClassifierCheckpoint(classifier: result.classifier, record: record)
    }

    // MARK: SHA-256

    @Test("SHA-256 reproduces the FIPS 180-4 examples and sha256sum on the dataset file")
    func sha256MatchesStandardVectors() throws {
        #expect(SHA256Checksum.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Checksum.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Checksum.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // 55, 56 and 64 bytes straddle the one-block / two-block padding boundary.
        for length in [55, 56, 63, 64, 65, 1000] {
            let path = Self.temporaryPath("sha-\(length).bin")
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(SHA256Checksum.hexDigest(of: bytes) == (try ExternalDigest.sha256sum(path)), "length \(length)")
        }
        #expect(try SHA256Checksum.hexDigest(ofFileAt: Self.digitsPath) == (try ExternalDigest.sha256sum(Self.digitsPath)))
    }

    // MARK: The committed checkpoint

    @Test("the committed checkpoint's SHA-256 equals its .sha256 file and the digits dataset it records")
    func committedCheckpointChecksumMatches() throws {
        let recorded = SHA256Checksum.recordedDigest(inFileAt: Self.checkpointPath + ".sha256")
        #expect(recorded != nil)
        #expect(try ExternalDigest.sha256sum(Self.checkpointPath) == recorded)
        let checkpoint = try ImageClassifierCheckpoint(contentsOf: Self.checkpointPath, expectedSHA256: recorded)
        #expect(checkpoint.record.datasetSHA256 == SHA256Checksum.recordedDigest(inFileAt: Self.digitsPath + ".sha256"))
        #expect(checkpoint.classifier.configuration == .digits)
        let size = try FileManager.default.attributesOfItem(atPath: Self.checkpointPath)[.size] as? Int ?? .max
        #expect(size < 1_000_000)
    }

    @Test("the committed checkpoint classifies ≥ 95 % of the test digits, as its record says")
    func committedCheckpointAccuracy() throws {
        let evaluation = try ImageClassifierEvaluation(
            checkpointPath: Self.checkpointPath, expectedSHA256: SHA256Checksum.recordedDigest(inFileAt: Self.checkpointPath + ".sha256"),
            expectedConfiguration: .digits)
        let test = try Self.part(.test)
        let accuracy = try evaluation.accuracy(images: test.points, labels: test.labels!)
        #expect(accuracy >= 0.95)
        let record = try ImageClassifierCheckpoint(contentsOf: Self.checkpointPath).record
        #expect(abs(accuracy - record.testAccuracy) <= 2.0 / 355 + 1e-12)
        // Predictions of a random classifier are far worse: accuracy is a property of the trained weights.
        let untrained = ImageClassifierEvaluation(classifier: try ImageClassifier(.digits, seed: 99))
        #expect(try untrained.accuracy(images: test.points, labels: test.labels!) < 0.5)
    }

    @Test("penultimate features are N × 64, deterministic, and independent of the evaluation batch size")
    func penultimateFeaturesAreDeterministic() throws {
        let test = try Self.part(.test)
        let evaluation = try ImageClassifierEvaluation(checkpointPath: Self.checkpointPath)
        let features = try evaluation.penultimateFeatures(images: test.points)
        #expect(features.count == 355 * 64)
        #expect(features.allSatisfy { $0.isFinite })
        #expect(try evaluation.penultimateFeatures(images: test.points) == features)
        let small = ImageClassifierEvaluation(classifier: evaluation.classifier, batchSize: 7)
        let batched = try small.penultimateFeatures(images: test.points)
        #expect(zip(batched, features).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        // The features separate classes: the first image's nearest other test image shares its label
        // far more often than chance (1/10).
        var agreements = 0
        for i in 0..<100 {
            var best = -1, bestDistance = Double.infinity
            for j in 0..<355 where j != i {
                var distance = 0.0
                for f in 0..<64 { let e = features[i * 64 + f] - features[j * 64 + f]; distance += e * e }
                if distance < bestDistance { bestDistance = distance; best = j }
            }
            if test.labels![best] == test.labels![i] { agreements += 1 }
        }
        #expect(agreements >= 90)
    }

    // MARK: Round trip and corruption

    @Test("save then load gives bit-identical logits, parameters and record")
    func roundTripIsBitIdentical() throws {
        let checkpoint = try Self.smallTrainedCheckpoint()
        let path = Self.temporaryPath("round-trip.h5")
        try checkpoint.write(to: path)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        let loaded = try ImageClassifierCheckpoint(contentsOf: path, expectedConfiguration: checkpoint.classifier.configuration)
        #expect(loaded.record == checkpoint.record)
        #expect(loaded.classifier.store.snapshotValues() == checkpoint.classifier.store.snapshotValues())
        let images = try Tensor(shape: [16, 64], values: Array(try Self.part(.test).points.prefix(16 * 64)))
        #expect(try loaded.classifier.logits(images).scalars == (try checkpoint.classifier.logits(images).scalars))
    }

    @Test("missing, foreign, truncated, damaged, mismatched or incomplete checkpoints fail naming the problem")
    func corruptedCheckpointsFail() throws {
        let checkpoint = try Self.smallTrainedCheckpoint(steps: 1)
        let good = Self.temporaryPath("good.h5")
        try checkpoint.write(to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))

        let missing = Self.temporaryPath("does-not-exist.h5")
        #expect(throws: ImageClassifierError.checkpointNotFound(path: missing)) { try ImageClassifierCheckpoint(contentsOf: missing) }

        let text = Self.temporaryPath("text.h5")
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: ImageClassifierError.notAClassifierCheckpoint(path: text, found: "not an HDF5 file")) {
            try ImageClassifierCheckpoint(contentsOf: text)
        }

        let truncated = Self.temporaryPath("truncated.h5")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: ImageClassifierError.self) { try ImageClassifierCheckpoint(contentsOf: truncated) }

        // Flip bytes inside the largest parameter's data: the Fletcher-32 checksum catches it.
        let damaged = Self.temporaryPath("damaged.h5")
        let file = try HDF5File(good)
        let weight = try file.openDataset("parameters/stages.1.conv.weight").read(as: Float.self)
        try file.close()
        let pattern = weight.prefix(4).withUnsafeBytes { Data($0) }
        let location = try #require(bytes.range(of: pattern))
        var corrupted = bytes
        corrupted[location.lowerBound + 1] ^= 0xFF
        try corrupted.write(to: URL(fileURLWithPath: damaged))
        let damageError = #expect(throws: ImageClassifierError.self) { try ImageClassifierCheckpoint(contentsOf: damaged) }
        #expect(damageError?.description.contains("stages.1.conv.weight") == true)

        let recorded = try SHA256Checksum.hexDigest(ofFileAt: good)
        #expect(throws: ImageClassifierError.checksumMismatch(path: damaged, found: try SHA256Checksum.hexDigest(ofFileAt: damaged),
                                                              expected: recorded)) {
            try ImageClassifierCheckpoint(contentsOf: damaged, expectedSHA256: recorded)
        }

        let mismatch = #expect(throws: ImageClassifierError.self) {
            try ImageClassifierCheckpoint(contentsOf: good, expectedConfiguration: .digits)
        }
        #expect(mismatch?.description.contains("stages [4, 8]") == true)
        #expect(mismatch?.description.contains("expected 1×8×8 → 10 classes, stages [16, 32, 64]") == true)

        func edited(_ name: String, _ edit: (HDF5File) throws -> Void) throws -> String {
            let path = Self.temporaryPath(name)
            try bytes.write(to: URL(fileURLWithPath: path))
            let file = try HDF5File(path, mode: .readWrite)
            try edit(file)
            try file.close()
            return path
        }
        let foreign = try edited("foreign.h5") { try $0.setAttribute("format", "consistency-td.checkpoint") }
        #expect(throws: ImageClassifierError.notAClassifierCheckpoint(path: foreign, found: "format \"consistency-td.checkpoint\"")) {
            try ImageClassifierCheckpoint(contentsOf: foreign)
        }
        let incomplete = try edited("incomplete.h5") { try $0.delete("parameters/head.bias") }
        #expect(throws: ImageClassifierError.malformedCheckpoint(path: incomplete, object: "dataset /parameters/head.bias",
                                                                 problem: "is missing (expected shape [10])")) {
            try ImageClassifierCheckpoint(contentsOf: incomplete)
        }
        let reshaped = try edited("reshaped.h5") { file in
            try file.delete("parameters/head.bias")
            try file.createDataset("parameters/head.bias", values: [Float](repeating: 0, count: 9))
        }
        #expect(throws: ImageClassifierError.malformedCheckpoint(path: reshaped, object: "dataset /parameters/head.bias",
                                                                 problem: "has shape [9]; expected [10]")) {
            try ImageClassifierCheckpoint(contentsOf: reshaped)
        }
        let noGroups = try edited("no-groups.h5") { try $0.deleteAttribute("groups") }
        #expect(throws: ImageClassifierError.malformedCheckpoint(path: noGroups, object: "attribute 'groups'", problem: "is missing or not Int64")) {
            try ImageClassifierCheckpoint(contentsOf: noGroups)
        }
        let badArchitecture = try edited("bad-architecture.h5") { try $0.setAttribute("groups", Int64(3)) }
        let architectureError = #expect(throws: ImageClassifierError.self) { try ImageClassifierCheckpoint(contentsOf: badArchitecture) }
        #expect(architectureError?.description.contains("architecture attributes are invalid") == true)
    }

    // MARK: Training

    @Test("80 steps on 64 digits lower the cross-entropy well below its start, deterministically")
    func trainingDecreasesTheLoss() throws {
        let subset = try Self.part(.train).subset(Array(0..<64), classCount: 10)
        let configuration = ImageClassifierConfiguration.digits
        let settings = ImageClassifierTrainingSettings(steps: 80, batchSize: 32, learningRate: 5e-3, maximumShift: 0, seed: 1)
        var reports: [Int] = []
        let result = try ImageClassifierTraining.train(configuration, on: subset, settings: settings, reportEvery: 20) { reports.append($0.step) }
        #expect(reports == [20, 40, 60, 80])
        #expect(result.skippedSteps == 0)
        let first = result.losses.prefix(5).reduce(0, +) / 5, last = result.losses.suffix(5).reduce(0, +) / 5
        #expect(first > 1.8)  // near log 10 ≈ 2.3 at initialisation
        #expect(last < 0.5 * first, "first \(first), last \(last)")
        let again = try ImageClassifierTraining.train(configuration, on: subset, settings: settings)
        #expect(again.losses == result.losses)
        #expect(again.classifier.store.snapshotValues() == result.classifier.store.snapshotValues())
    }

    @Test("a translation moves every pixel by (δy, δx) and fills the border with the background")
    func translationMatchesDefinition() {
        let source: [Float] = (0..<24).map(Float.init)  // 2 channels of 3×4
        var target = [Float](repeating: 0, count: 24)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                ImageClassifierTraining.translate(s.baseAddress!, channels: 2, height: 3, width: 4, by: (1, -1), fill: -1,
                                                  into: t.baseAddress!)
            }
        }
        for c in 0..<2 { for y in 0..<3 { for x in 0..<4 {
            let sy = y - 1, sx = x + 1
            let expected: Float = (0..<3).contains(sy) && (0..<4).contains(sx) ? source[c * 12 + sy * 4 + sx] : -1
            #expect(target[c * 12 + y * 4 + x] == expected)
        } } }
    }

    @Test("invalid settings, unlabelled or misshapen data and bad evaluation input fail with what was expected")
    func badInputFails() throws {
        #expect(throws: ImageClassifierError.invalidSettings(reason: "steps must be ≥ 1, got 0")) {
            try ImageClassifierTrainingSettings(steps: 0).validate()
        }
        #expect(throws: ImageClassifierError.self) { try ImageClassifierTrainingSettings(learningRate: -1).validate() }
        let unlabelled = try EmpiricalDataset(points: [Float](repeating: 0, count: 128), dimension: 64, pointShape: [1, 8, 8])
        let settings = ImageClassifierTrainingSettings(steps: 1)
        #expect(throws: ImageClassifierError.self) { try ImageClassifierTraining.train(.digits, on: unlabelled, settings: settings) }
        let wrongShape = try EmpiricalDataset(points: [Float](repeating: 0, count: 98), dimension: 49, labels: [0, 1], pointShape: [1, 7, 7])
        let shapeError = #expect(throws: ImageClassifierError.self) { try ImageClassifierTraining.train(.digits, on: wrongShape, settings: settings) }
        #expect(shapeError?.description.contains("[1, 7, 7]") == true)

        let evaluation = ImageClassifierEvaluation(classifier: try ImageClassifier(.digits, seed: 0))
        let images = [Float](repeating: 0, count: 3 * 64)
        #expect(throws: ImageClassifierError.labelOutOfRange(index: 1, label: 10, classCount: 10)) {
            try evaluation.accuracy(images: images, labels: [0, 10, 2])
        }
        #expect(throws: ImageClassifierError.labelCountMismatch(labels: 2, images: 3)) { try evaluation.accuracy(images: images, labels: [0, 1]) }
        #expect(throws: ImageClassifierError.imageCountMismatch(values: 100, imageShape: [1, 8, 8])) {
            try evaluation.penultimateFeatures(images: [Float](repeating: 0, count: 100))
        }
        var withNaN = images
        withNaN[130] = .nan
        #expect(throws: ImageClassifierError.nonFiniteImages(index: 2)) { try evaluation.predictions(images: withNaN) }

        // A classifier with a NaN parameter has NaN logits: no prediction (it used to be class 0, so every
        // label-0 image counted as correct).
        let broken = try ImageClassifier(.digits, seed: 0)
        broken.store.values.update(repeating: .nan, count: broken.store.count)
        let brokenEvaluation = ImageClassifierEvaluation(classifier: broken)
        #expect(throws: ImageClassifierError.nonFiniteLogits(index: 0)) { try brokenEvaluation.accuracy(images: images, labels: [0, 0, 0]) }
        #expect(ImageClassifierError.nonFiniteLogits(index: 0).description.contains("logits for image 0 contain NaN"))
    }
}
