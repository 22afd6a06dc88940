import Agents
import ArgumentParser
import Environments
import Foundation
import Tensors

/// `DigitsConsistency`: consistency models on the 8×8 digits (Experiments/Data/digits-8x8.h5, train
/// split) with a time-conditioned U-Net. Per seed: EDM pretraining of an unconditional and a
/// class-conditional (label dropout 0.1) diffusion model, then ECT and SCT tuned from them, and iCT
/// from scratch (``DigitsArm``); every model is scored with 1-step and 2-step samples by the Fréchet
/// distance in the committed classifier's features against the test split and, class-conditionally,
/// by the classifier's accuracy (``DigitsEvaluation``). Writes results.h5, table.md and PNG grids.
struct DigitsConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "DigitsConsistency",
        abstract: "ECT, SCT (unconditional and class-conditional) and iCT with a U-Net on the 8×8 digits, scored by FD and classifier accuracy.",
        discussion: """
            Writes <output>/results.h5, <output>/table.md and <output>/grids/<model>-<steps>step-seed<k>.png.
            Example: swift run -c release DigitsConsistency --quick
            """
    )

    @Flag(help: "The reduced size (under 10 minutes on two cores).")
    var quick = false

    @Option(help: ArgumentHelp("The results folder.", valueName: "folder"))
    var output = "experiment-results/digits-consistency"

    @Option(help: "The first seed (seeds seed…seed+seeds−1).")
    var seed: UInt64 = 0

    @Option(help: "Number of seeds (overrides the size).")
    var seeds: Int?

    @Option(help: ArgumentHelp("Methods to train: ect, sct, ect-cond, sct-cond, ict or all.", valueName: "m1,m2,…"))
    var methods = "all"

    @Option(name: .customLong("diffusion-steps"), help: "Diffusion pretraining iterations (overrides the size).")
    var diffusionSteps: Int?

    @Option(name: .customLong("consistency-steps"), help: "Consistency training iterations per method (overrides the size).")
    var consistencySteps: Int?

    @Option(name: .customLong("batch-size"), help: "Minibatch size of every stage (overrides the size).")
    var batchSize: Int?

    @Option(help: "Generated samples scored per model and sampler, a multiple of 10 (overrides the size).")
    var samples: Int?

    @Option(help: "Classifier-free guidance scale w of class-conditional sampling (1 = plain conditional; 1.5 gave the lowest FD of {1, 1.5, 2.5} at the quick size).")
    var guidance = 1.5

    @Option(name: .customLong("label-dropout"), help: "Probability of training class-conditional models on the null class.")
    var labelDropout = 0.1

    @Option(help: ArgumentHelp("The digits dataset.", valueName: "FILE"))
    var data = "Experiments/Data/digits-8x8.h5"

    @Option(help: ArgumentHelp("The classifier checkpoint (DigitsClassifier).", valueName: "FILE"))
    var classifier = "Experiments/Data/digits-classifier.h5"

    func run() throws {
        do { try runExperiment() } catch {
            let message = "\(error)".replacingOccurrences(of: "\n", with: "; ")
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The preset size with the command line's overrides, validated.
    func resolvedSize() throws -> DigitsSize {
        var size = quick ? DigitsSize.quick : DigitsSize.full
        if let seeds { size.seeds = seeds }
        if let diffusionSteps { size.diffusionSteps = diffusionSteps }
        if let consistencySteps { size.consistencySteps = consistencySteps }
        if let batchSize { size.batchSize = batchSize }
        if let samples { size.samples = samples }
        try size.validate()
        return size
    }

    func runExperiment() throws {
        let clock = Date()
        let size = try resolvedSize()
        let arms = try DigitsArm.parse(methods)
        guard guidance.isFinite, guidance >= 0 else { throw ExperimentFailure("--guidance \(guidance) is not valid; expected a finite w ≥ 0") }
        guard labelDropout.isFinite, labelDropout >= 0, labelDropout < 1 else {
            throw ExperimentFailure("--label-dropout \(labelDropout) is not valid; expected 0 ≤ p < 1")
        }
        let train = try EmpiricalDataset(contentsOf: data, part: .train, expectedPointShape: [1, 8, 8], classCount: 10)
        let test = try EmpiricalDataset(contentsOf: data, part: .test, expectedPointShape: [1, 8, 8], classCount: 10)
        let evaluation = try DigitsEvaluation(classifierPath: classifier, test: test)
        let grids = (output as NSString).appendingPathComponent("grids")
        try FileManager.default.createDirectory(atPath: grids, withIntermediateDirectories: true)
        report("digits: \(train.count) train / \(test.count) test images · classifier \(evaluation.classifierSHA256.prefix(12))… · "
              + "U-Net widths \(size.channelWidths) · \(size.seeds) seed(s) · \(arms.map(\.name).joined(separator: ", "))")

        // The data's own scores: the train split against the test split (the floor of FD).
        let dataScore = try evaluation.score(train.points, labels: train.labels)
        report("    data: FD(train, test) \(Self.fixed(dataScore.frechetDistance, 3)) · classifier accuracy on train \(Self.fixed(dataScore.accuracy ?? .nan, 4))")
        var results = DigitsResults(size: size, arms: arms, guidance: guidance, labelDropout: labelDropout, firstSeed: seed,
                                    classifierSHA256: evaluation.classifierSHA256, dataFD: dataScore.frechetDistance,
                                    quick: quick)
        let reportEvery = max(1, min(size.diffusionSteps, size.consistencySteps) / 10)
        for index in 0..<size.seeds {
            let runSeed = seed + UInt64(index)
            let training = DigitsTraining(size: size, seed: runSeed, train: train, labelDropout: labelDropout)
            var teachers: [Bool: PreconditionedNetwork] = [:]
            for conditional in [false, true] where arms.contains(where: { $0.tunesFromDiffusion && $0.classConditional == conditional }) {
                let name = conditional ? "diffusion-cond" : "diffusion"
                let start = Date()
                let teacher = try training.pretrainDiffusion(classConditional: conditional, reportEvery: reportEvery) { done, total, loss in
                    report("    seed \(runSeed) \(name) \(done)/\(total) · loss \(Self.fixed(loss, 4)) · elapsed \(Self.elapsed(clock))")
                }
                teachers[conditional] = teacher
                var stream = RandomStream(seed: runSeed, purpose: "digits-samples-\(name)")
                let (images, labels) = try DigitsEvaluation.diffusionSamples(teacher, count: size.samples, guidance: guidance, stream: &stream)
                let score = try evaluation.score(images, labels: labels)
                try DigitsEvaluation.writeGrid(images, to: (grids as NSString).appendingPathComponent("\(name)-heun18-seed\(runSeed).png"))
                results.record(reference: name, seed: index, score: score, seconds: Date().timeIntervalSince(start))
                report("    seed \(runSeed) \(name) Heun-18: \(Self.describe(score)) · elapsed \(Self.elapsed(clock))")
            }
            for arm in arms {
                let start = Date()
                let (model, losses) = try training.trainConsistency(arm, teacher: teachers[arm.classConditional], reportEvery: reportEvery) { done, total, loss in
                    report("    seed \(runSeed) \(arm.name) \(done)/\(total) · loss \(String(format: "%.4e", loss)) · elapsed \(Self.elapsed(clock))")
                }
                let trainingSeconds = Date().timeIntervalSince(start)
                for steps in [1, 2] {
                    var stream = RandomStream(seed: runSeed, purpose: "digits-samples-\(steps)step")
                    let (images, labels) = try DigitsEvaluation.consistencySamples(model, steps: steps, count: size.samples,
                                                                                   guidance: guidance, stream: &stream)
                    let score = try evaluation.score(images, labels: labels)
                    try DigitsEvaluation.writeGrid(images, to: (grids as NSString).appendingPathComponent("\(arm.name)-\(steps)step-seed\(runSeed).png"))
                    results.record(arm: arm.name, steps: steps, seed: index, score: score)
                    report("    seed \(runSeed) \(arm.name) \(steps)-step: \(Self.describe(score)) · elapsed \(Self.elapsed(clock))")
                }
                results.record(arm: arm.name, seed: index, losses: losses, seconds: trainingSeconds)
            }
        }
        results.runSeconds = Date().timeIntervalSince(clock)
        try results.write(folder: output)
        report(results.markdown)
        report("wrote \(output)/results.h5, \(output)/table.md and \(output)/grids · \(Self.elapsed(clock))")
    }

    /// Writes one progress line to standard output unbuffered, so a log file follows the run.
    func report(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func elapsed(_ clock: Date) -> String { fixed(Date().timeIntervalSince(clock), 1) + " s" }

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func describe(_ score: (frechetDistance: Double, accuracy: Double?)) -> String {
        "FD \(fixed(score.frechetDistance, 3))" + (score.accuracy.map { " · accuracy \(fixed($0, 3))" } ?? "")
    }
}
