import Agents
import Analysis
import ArgumentParser
import Environments
import Foundation
import NeuralNetworks

/// `DigitsClassifier`: trains ``ImageClassifier`` (``ImageClassifierConfiguration/digits``) on the training
/// part of Experiments/Data/digits-8x8.h5 with ``ImageClassifierTraining``, evaluates it on both parts and
/// writes the checkpoint (``ImageClassifierCheckpoint``) and `<checkpoint>.sha256` (`sha256sum` format).
struct DigitsClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "DigitsClassifier",
        abstract: "Train the 8×8-digits classifier of the image metrics and write its checkpoint and SHA-256.",
        discussion: """
            Trains on the /split = 0 part of the dataset, prints the train and test accuracy, and writes <output> \
            atomically with <output>.sha256 beside it.
            Example: swift run -c release DigitsClassifier --steps 3000 --seed 0
            """
    )

    @Option(help: "Optimizer steps.")
    var steps = 3000

    @Option(help: "The seed of the initialisation, minibatches and augmentation.")
    var seed: UInt64 = 0

    @Option(name: .customLong("batch-size"), help: "Images per minibatch.")
    var batchSize = 64

    @Option(name: .customLong("learning-rate"), help: "The initial Adam learning rate (cosine decay to 1 %).")
    var learningRate = 3e-3

    @Option(name: .customLong("maximum-shift"), help: "The largest random translation in pixels (0: no augmentation).")
    var maximumShift = 1

    @Option(help: ArgumentHelp("The digits dataset.", valueName: "file.h5"))
    var dataset = "Experiments/Data/digits-8x8.h5"

    @Option(help: ArgumentHelp("The checkpoint to write (its SHA-256 goes to <file>.sha256).", valueName: "file.h5"))
    var output = "Experiments/Data/digits-classifier.h5"

    @Option(name: .customLong("report-every"), help: "Steps between progress lines.")
    var reportEvery = 250

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be > 0, got \(learningRate)") }
        guard maximumShift >= 0 else { throw ValidationError("--maximum-shift must be ≥ 0, got \(maximumShift)") }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be ≥ 1, got \(reportEvery)") }
    }

    func run() throws {
        do { try train() } catch let error as ExitCode { throw error } catch {
            FileHandle.standardError.write(Data("DigitsClassifier: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func train() throws {
        let configuration = ImageClassifierConfiguration.digits
        let trainPart = try EmpiricalDataset(contentsOf: dataset, part: .train, expectedPointShape: configuration.imageShape,
                                             classCount: configuration.classCount)
        let testPart = try EmpiricalDataset(contentsOf: dataset, part: .test, expectedPointShape: configuration.imageShape,
                                            classCount: configuration.classCount)
        let datasetSHA256 = try SHA256Checksum.hexDigest(ofFileAt: dataset)
        let settings = ImageClassifierTrainingSettings(steps: steps, batchSize: batchSize, learningRate: learningRate,
                                                       maximumShift: maximumShift, seed: seed)
        print("DigitsClassifier: \(trainPart.count) training and \(testPart.count) test images from \(dataset) (SHA-256 \(datasetSHA256.prefix(12))…)")
        print("DigitsClassifier: stages \(configuration.stageChannels), \(configuration.featureCount) features, \(steps) steps of \(batchSize), lr \(learningRate), shifts ±\(maximumShift), seed \(seed)")
        let start = Date()
        let result = try ImageClassifierTraining.train(configuration, on: trainPart, settings: settings, reportEvery: reportEvery) { p in
            let elapsed = Date().timeIntervalSince(start)
            print(String(format: "step %5ld/%ld  loss %.4f  lr %.2e  %.0f s", p.step, steps, p.meanLoss, p.learningRate, elapsed))
        }
        let seconds = Date().timeIntervalSince(start)
        let evaluation = ImageClassifierEvaluation(classifier: result.classifier)
        let trainAccuracy = try evaluation.accuracy(images: trainPart.points, labels: trainPart.labels!)
        let testAccuracy = try evaluation.accuracy(images: testPart.points, labels: testPart.labels!)
        let tail = result.losses.suffix(max(steps / 10, 1)).filter { $0.isFinite }
        let record = ImageClassifierTrainingRecord(
            settings: settings, trainAccuracy: trainAccuracy, testAccuracy: testAccuracy,
            finalLoss: tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count), datasetSHA256: datasetSHA256,
            toolkitVersion: ToolkitVersion.current)
        try ImageClassifierCheckpoint(classifier: result.classifier, record: record).write(to: output)
        let digest = try SHA256Checksum.hexDigest(ofFileAt: output)
        let name = (output as NSString).lastPathComponent
        try Data("\(digest)  \(name)\n".utf8).write(to: URL(fileURLWithPath: output + ".sha256"), options: .atomic)
        let size = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0
        print(String(format: "DigitsClassifier: train accuracy %.2f %%, test accuracy %.2f %% (%ld/%ld), %.0f s of training, %ld skipped steps",
                     100 * trainAccuracy, 100 * testAccuracy, Int((testAccuracy * Double(testPart.count)).rounded()), testPart.count,
                     seconds, result.skippedSteps))
        print("DigitsClassifier: wrote \(output) (\(size) bytes, SHA-256 \(digest)) and \(output).sha256")
    }
}
