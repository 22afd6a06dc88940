import Agents
import Analysis
import ArgumentParser
import Environments
import Foundation

/// `StepSizeBiasVariance`: bias², variance and MSE of every transition estimator (METHODS.md §3: exact,
/// teacher Euler and Heun with the closed-form and a pretrained network teacher, conditional, score
/// identity at several reference sizes, empirical exact) over log-spaced step sizes Δt = t − r at several
/// t, with f* and with a trained consistency network as bootstrap (METHODS.md §10), on the ring of 8 and
/// a higher-dimensional Gaussian mixture. Built on Analysis' ``TargetDiagnostics``.
struct StepSizeBiasVarianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "StepSizeBiasVariance",
        abstract: "Bias and variance of every TD-target estimator across step sizes Δt = t − r at several t.",
        discussion: """
            Writes <output>/results.h5 (arrays [estimator, t, Δt] of bias², variance and MSE with bootstrap standard errors, \
            per environment and bootstrap) and <output>/table.md. Stochastic estimators' variance peaks at intermediate t \
            (the Stable Target Field observation); the peak is printed and stored.
            Full size (the default): M = 32 query states, S = 64 draws, 16 step sizes, reference sizes 16, 128, 512, \
            training 2000 + 2000 steps (width 128, depth 3), ring8 and a 16-D mixture; about half an hour on two shared \
            cores (Experiments/README.md has the measured time). --quick: M = 16, S = 32, 12 step sizes, reference sizes \
            8, 64, training 400 + 400 steps (width 64, depth 2). A per-phase profile (CPU and wall seconds) is printed \
            after each environment.
            Example: swift run -c release StepSizeBiasVariance --quick
            """
    )

    @Flag(help: "The reduced size (a few minutes on two cores); without it the full size of the discussion below.")
    var quick = false

    @Option(help: ArgumentHelp("The results folder.", valueName: "folder"))
    var output = "experiment-results/step-size-bias-variance"

    @Option(help: "The base seed of the diagnostics and the training.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Times t, comma-separated (overrides the size).", valueName: "t1,t2,…"))
    var times: String?

    @Option(name: .customLong("step-count"), help: "Number of log-spaced Δt/t values from 1e-3 to 1 (overrides the size).")
    var stepCount: Int?

    @Option(help: "Query states M per pair (overrides the size).")
    var queries: Int?

    @Option(help: "Target draws S per query state, ≥ 2 (overrides the size).")
    var samples: Int?

    @Option(name: .customLong("reference-sizes"), help: ArgumentHelp("Score-identity reference sizes (overrides the size).", valueName: "n1,n2,…"))
    var referenceSizes: String?

    @Option(name: .customLong("train-steps"), help: "Iterations of each toy training stage, diffusion and ECT (overrides the size).")
    var trainSteps: Int?

    @Option(help: ArgumentHelp("Environments: ring8 and/or mixture (a random Gaussian mixture of --mixture-dimension).", valueName: "names"))
    var environments = "ring8,mixture"

    @Option(name: .customLong("mixture-dimension"), help: "D of the random Gaussian mixture (8 modes, spread 1, std 0.1).")
    var mixtureDimension = 16

    @Option(help: ArgumentHelp("A consistency checkpoint (file or run folder) as the network bootstrap, instead of training one (ring8 only, D = 2).", valueName: "FILE"))
    var checkpoint: String?

    @Option(help: "Bootstrap resamples of the standard errors.")
    var resamples = 200

    /// The size after the overrides.
    func size() throws -> ExperimentSize {
        var size = quick ? ExperimentSize.quick : ExperimentSize.full
        if let times { size.times = try Self.list(times, option: "--times").map { try Self.positive($0, option: "--times") } }
        if let stepCount {
            guard stepCount >= 1 else { throw ExperimentFailure("--step-count \(stepCount) is not valid; expected ≥ 1") }
            size.stepCount = stepCount
        }
        if let queries {
            guard queries >= 2 else { throw ExperimentFailure("--queries \(queries) is not valid; expected ≥ 2 (standard errors need two)") }
            size.queryCount = queries
        }
        if let samples {
            guard samples >= 2 else { throw ExperimentFailure("--samples \(samples) is not valid; expected ≥ 2 (the variance has ddof = 1)") }
            size.sampleCount = samples
        }
        if let referenceSizes {
            size.referenceSizes = try Self.list(referenceSizes, option: "--reference-sizes").map { value in
                guard value >= 1, value == value.rounded() else { throw ExperimentFailure("--reference-sizes: \(value) is not valid; expected integers ≥ 1") }
                return Int(value)
            }
        }
        if let trainSteps {
            guard trainSteps >= 1 else { throw ExperimentFailure("--train-steps \(trainSteps) is not valid; expected ≥ 1") }
            size.diffusionSteps = trainSteps
            size.consistencySteps = trainSteps
        }
        guard resamples >= 2 else { throw ExperimentFailure("--resamples \(resamples) is not valid; expected ≥ 2") }
        return size
    }

    static func list(_ text: String, option: String) throws -> [Double] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ExperimentFailure("\(option) is empty; expected comma-separated numbers") }
        return try parts.map { part in
            guard let value = Double(part), value.isFinite else { throw ExperimentFailure("\(option): '\(part)' is not a number") }
            return value
        }
    }

    static func positive(_ value: Double, option: String) throws -> Double {
        guard value > 0.002 else { throw ExperimentFailure("\(option): \(value) is not valid; expected t > t_min = 0.002") }
        return value
    }

    func run() throws {
        do { try runExperiment() } catch {
            let message = "\(error)".replacingOccurrences(of: "\n", with: "; ")
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }

    func runExperiment() throws {
        let size = try size()
        let names = environments.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for name in names where !["ring8", "mixture"].contains(name) {
            throw ExperimentFailure("--environments: '\(name)' is not an environment; expected ring8 and/or mixture")
        }
        guard !names.isEmpty else { throw ExperimentFailure("--environments is empty; expected ring8 and/or mixture") }
        guard mixtureDimension >= 1 else { throw ExperimentFailure("--mixture-dimension \(mixtureDimension) is not valid; expected ≥ 1") }
        let loaded = try checkpoint.map { try CheckpointModel.load(try CheckpointModel.resolve($0)) }
        if let loaded {
            guard !loaded.isDiffusion else { throw ExperimentFailure("--checkpoint '\(loaded.path)' is a diffusion model; the bootstrap must be a consistency model") }
            guard names == ["ring8"], loaded.dimension == 2 else {
                throw ExperimentFailure("--checkpoint holds a model of D = \(loaded.dimension); it is used for --environments ring8 alone (D = 2)")
            }
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let clock = Date()
        var studies: [EnvironmentStudy] = []
        for (i, name) in names.enumerated() {
            let mixture = name == "ring8"
                ? try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
                : try GaussianMixture.random(dimension: mixtureDimension, modes: 8, seed: 11, spread: 1, std: 0.1)
            let label = name == "ring8" ? "ring8" : "mixture\(mixtureDimension)"
            print("[\(i + 1)/\(names.count)] \(label) (D = \(mixture.dimension)) · elapsed \(Self.elapsed(clock))")
            let profile = PhaseProfile()
            let study = try EnvironmentStudy.run(name: label, mixture: mixture, size: size, seed: seed, checkpoint: loaded,
                                                 resamples: resamples, clock: clock, profile: profile)
            study.printPeaks()
            for line in profile.report(environment: label) { print(line) }
            studies.append(study)
        }
        let seconds = Date().timeIntervalSince(clock)
        let results = ResultsFile(studies: studies, size: size, seed: seed, quick: quick, seconds: seconds,
                                  checkpoint: loaded.map { $0.path })
        try results.write(folder: output)
        print("wrote \(output)/results.h5 and \(output)/table.md · \(String(format: "%.1f", seconds)) s")
    }

    static func elapsed(_ clock: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(clock)) }
}
