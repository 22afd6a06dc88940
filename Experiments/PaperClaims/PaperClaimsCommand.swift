import Analysis
import ArgumentParser
import Environments
import Foundation

/// The seed papers' claims at toy scale (issue 8, item 4). Per seed: an EDM diffusion model is
/// pretrained on the ring of 8; the iCT arms train from scratch on the ring; the ECT and SCT arms tune
/// the diffusion model (ECT also from the untrained network); the sLCT arms train on a heavy-tailed
/// Student-t ring; the OT-coupling claim is an exact measurement. Every claim compares two arms on
/// common seeds: effect = metric(worse arm) − metric(better arm), mean ± SE over seeds, verdict at 2 SE.
struct PaperClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "PaperClaims",
        abstract: "iCT, ECT, SCT and sLCT claims reproduced at toy scale, with effects, standard errors and verdicts.",
        discussion: """
            Writes results.h5 (per-seed values of every arm and claim, learning curves) and table.md to --output. \
            Verdict: effect > 2 SE reproduces, effect < −2 SE does not reproduce, otherwise inconclusive.
            Full size: \(ClaimSize.full). --quick: \(ClaimSize.quick).
            """)

    @Flag(help: "The reduced size (every claim, 3 seeds, few steps, small batch and network): a few minutes.")
    var quick = false
    @Option(help: "The output folder.")
    var output = "experiment-results/paper-claims"
    @Option(help: "The base seed; run seeds are seed, seed + 1, ….")
    var seed: UInt64 = 0
    @Option(help: "Number of seeds (≥ 2; use ≥ 3).")
    var seeds: Int?
    @Option(help: "Training steps of every arm.")
    var steps: Int?
    @Option(help: "EDM diffusion pretraining steps (per seed).")
    var pretrainingSteps: Int?
    @Option(help: "Batch size.")
    var batch: Int?
    @Option(help: "MLP width.")
    var width: Int?
    @Option(help: "MLP depth.")
    var depth: Int?
    @Option(help: "Learning-curve points after step 0.")
    var evaluations: Int?
    @Option(help: "Samples per evaluation.")
    var samples: Int?
    @Option(help: "Minibatches per seed of the OT target-variance measurement.")
    var couplingBatches: Int?
    @Option(help: "Minibatch size of the OT target-variance measurement (≤ 1024).")
    var couplingBatch: Int?

    func resolvedSize() throws -> ClaimSize {
        var size = quick ? ClaimSize.quick : ClaimSize.full
        size.seeds = seeds ?? size.seeds
        size.steps = steps ?? size.steps
        size.pretrainingSteps = pretrainingSteps ?? size.pretrainingSteps
        size.batchSize = batch ?? size.batchSize
        size.width = width ?? size.width
        size.depth = depth ?? size.depth
        size.evaluations = evaluations ?? size.evaluations
        size.samples = samples ?? size.samples
        size.couplingBatches = couplingBatches ?? size.couplingBatches
        size.couplingBatchSize = couplingBatch ?? size.couplingBatchSize
        try size.validate()
        return size
    }

    func run() throws {
        do {
            try runClaims()
        } catch {
            FileHandle.standardError.write(Data("PaperClaims: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The heavy-tailed data of the sLCT claim: 8 Student-t components (ν = 3, scale 0.1) on the ring of
    /// radius 2.
    static func heavyTailedRing() throws -> StudentTMixture {
        let means = (0..<8).map { k -> [Double] in
            let angle = 2 * Double.pi * Double(k) / 8
            return [2 * cos(angle), 2 * sin(angle)]
        }
        return try StudentTMixture(weights: [Double](repeating: 1, count: 8), means: means,
                                   scales: [Double](repeating: 0.1, count: 8), degreesOfFreedom: [Double](repeating: 3, count: 8))
    }

    func runClaims() throws {
        let size = try resolvedSize()
        let start = Date()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let heavy = try Self.heavyTailedRing()
        let runSeeds = (0..<size.seeds).map { seed + UInt64($0) }
        let total = runSeeds.count * (ClaimArm.allCases.count + 2)
        say("PaperClaims: \(Claim.all.count) claims, \(ClaimArm.allCases.count) trained arms × \(size.seeds) seeds; \(size)")
        var arms: [ClaimArm: [ArmResult]] = [:]
        var coupling: [(independent: Double, coupled: Double)] = []
        var done = 0
        func progress(_ text: String) {
            done += 1
            say("  [\(done)/\(total)] \(text) (elapsed \(elapsed(since: start)))")
        }
        for runSeed in runSeeds {
            let ringEvaluation = try ConsistencyModelEvaluation(distribution: ring, sampleCount: size.samples, seed: runSeed)
            let heavyEvaluation = try ConsistencyModelEvaluation(distribution: heavy, sampleCount: size.samples, seed: runSeed)
            let diffusionStart = Date()
            let networks = try ClaimTraining.diffusionNetworks(ring, size: size, seed: runSeed)
            progress("seed \(runSeed): EDM diffusion model, \(size.pretrainingSteps) steps, \(fixed(Date().timeIntervalSince(diffusionStart), 1)) s")
            for arm in ClaimArm.allCases {
                let initial = arm.tunesDiffusionModel ? networks.pretrained : arm == .ectFromScratch ? networks.untrained : nil
                let result = try ClaimTraining.train(arm, data: arm.usesHeavyTailedData ? heavy : ring, size: size, seed: runSeed,
                                                     initial: initial, evaluation: arm.usesHeavyTailedData ? heavyEvaluation : ringEvaluation)
                arms[arm, default: []].append(result)
                let quality = result.final.negativeLogLikelihoodGap.map { "NLL gap \(fixed($0, signed: true))" } ?? "no NLL"
                progress("seed \(runSeed) \(arm.rawValue): \(quality), SW₂² \(fixed(result.final.squaredSlicedWasserstein2, 4)), \(fixed(result.seconds, 1)) s")
            }
            let measurement = try CouplingTargetVariance(data: ring, batches: size.couplingBatches, batchSize: size.couplingBatchSize)
                .measure(seed: runSeed)
            coupling.append(measurement)
            progress("seed \(runSeed) OT target variance: independent \(fixed(measurement.independent, 5)), coupled \(fixed(measurement.coupled, 5))")
        }
        let measurements = ClaimMeasurements.all(arms: arms, coupling: coupling)
        let seconds = Date().timeIntervalSince(start)
        try ClaimsResultsFile(size: size, seeds: runSeeds, arms: arms, measurements: measurements, seconds: seconds,
                              commandLine: CommandLine.arguments).write(to: output)
        let markdown = "## Paper claims at toy scale\n\n\(size). Run time \(Int(seconds.rounded())) s. "
            + "Effect = metric of the worse arm − metric of the better arm (paired by seed), mean ± SE; "
            + "reproduces when effect > 2 SE, does not reproduce when effect < −2 SE, otherwise inconclusive.\n\n"
            + ClaimMeasurements.markdown(measurements, seeds: size.seeds)
        try markdown.write(toFile: (output as NSString).appendingPathComponent("table.md"), atomically: true, encoding: .utf8)
        say(ClaimMeasurements.markdown(measurements, seeds: size.seeds))
        say("PaperClaims: wrote \(output)/results.h5 and table.md in \(fixed(seconds, 1)) s")
    }
}

/// "mm:ss" since `start`.
func elapsed(since start: Date) -> String {
    let seconds = Int(Date().timeIntervalSince(start))
    return String(format: "%02d:%02d", seconds / 60, seconds % 60)
}

/// `value` with `decimals` digits ("+" for positive values when `signed`).
func fixed(_ value: Double, _ decimals: Int = 3, signed: Bool = false) -> String {
    String(format: "%\(signed ? "+" : "").\(decimals)f", value)
}

/// Prints one line to standard output unbuffered, so progress shows as it happens (also in a log file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
