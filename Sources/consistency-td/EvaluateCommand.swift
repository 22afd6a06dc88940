import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td evaluate`: 1-step and 2-step sample metrics of a consistency checkpoint (Heun
/// samples for a diffusion checkpoint) against the environment's data.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a checkpoint's 1-step and 2-step samples (NLL, mode coverage, precision, SW2, MMD, energy).",
        discussion: """
            Example: consistency-td evaluate --checkpoint runs/ect --count 4096 --out evaluation.json
            NLL, modes and precision need a Gaussian-mixture environment; the distances are measured against \
            held-out data of the same count: fresh draws, or for an empirical dataset trained on one part of its \
            split (part: train or test) draws from the other part.
            """
    )

    @Option(help: ArgumentHelp("The checkpoint file; a run folder means its checkpoints/latest. (required)", valueName: "FILE"))
    var checkpoint: String

    @Option(help: ArgumentHelp("A distribution spec (JSON or YAML). (default: the run folder's environment when the checkpoint lies in one, else the built-in ring of 8)",
                               valueName: "ENV.json"))
    var environment: String?

    @Option(help: "Samples per sampler (and reference data points).")
    var count: Int = 4096

    @Option(help: ParameterChoice.help)
    var parameters: ParameterChoice = .ema

    @Option(help: "The seed of the sampling noise and the reference data.")
    var seed: UInt64 = 0

    @Option(name: .customLong("middle-time"), help: "The middle time τ of 2-step sampling.")
    var middleTime: Double = SampleGeneration.defaultMiddleTime

    @Option(name: .customLong("heun-steps"), help: "Karras grid points of the Heun sampler for diffusion checkpoints.")
    var heunSteps: Int = 18

    @Option(help: ArgumentHelp("Also write the metrics: JSON for .json, HDF5 otherwise. (default: none)", valueName: "FILE"))
    var out: String?

    func validate() throws {
        guard count >= 2 else { throw ValidationError("--count \(count) is not valid; expected ≥ 2 (MMD needs two points)") }
        guard heunSteps >= 2 else { throw ValidationError("--heun-steps \(heunSteps) is not valid; expected ≥ 2 grid points") }
    }

    func run() throws {
        let path = try TrainCommand.resolveCheckpoint(checkpoint)
        let model = try CheckpointModel.load(path, online: parameters == .online)
        let source = try Self.environment(environment, checkpoint: path)
        guard source.distribution.dimension == model.dimension else {
            throw CommandLineFailure("the checkpoint has dimension \(model.dimension) but \(source.name) has dimension \(source.distribution.dimension); pass the environment it was trained on with --environment")
        }
        let generations = model.isDiffusion ? [SampleGeneration(heunSteps: heunSteps)]
            : [SampleGeneration(steps: 1, middleTime: middleTime), SampleGeneration(steps: 2, middleTime: middleTime)]
        if case let .unavailable(reason) = source.spec.heldOutData {
            FileHandle.standardError.write(Data("warning: \(reason)\n".utf8))
        }
        let rows = try Self.evaluate(model: model, generations: generations, distribution: source.distribution,
                                     heldOut: try source.spec.makeHeldOutDistribution(), count: count, seed: seed)
        print("\(model.label) on \(source.name), \(count) samples each")
        print(SampleEvaluation.table(rows.map { $0.0 }))
        var outputs = OutputList()
        if let out {
            try SampleEvaluation.write(rows, dimension: model.dimension,
                                       context: ["checkpoint": path, "environment": source.name, "method": model.method], to: out)
            outputs.add("evaluation", out)
        }
        outputs.show()
    }

    /// Samples with each generation and scores them against `count` held-out data points, drawn from
    /// `heldOut` (the other part of a split dataset), else fresh from `distribution`; the exact metrics
    /// use `distribution` when it is a Gaussian mixture.
    static func evaluate(model: CheckpointModel, generations: [SampleGeneration], distribution: any DataDistribution,
                         heldOut: (any DataDistribution)? = nil, count: Int, seed: UInt64) throws -> [(SampleEvaluation, [Double])] {
        try SampleGeneration.checkMemory(count: count, model: model)
        let heldOut = heldOut ?? distribution
        guard heldOut.dimension == distribution.dimension else {
            throw CommandLineFailure("held-out data of dimension \(heldOut.dimension) for data of dimension \(distribution.dimension); expected the same")
        }
        var dataStream = RandomStream(seed: seed, purpose: "cli.evaluate.data", index: 0)
        let reference = heldOut.sample(count: count, stream: &dataStream)
        let mixture = distribution as? GaussianMixture
        var nllStream = RandomStream(seed: seed, purpose: "cli.evaluate.data-nll", index: 0)
        let dataNLL = try mixture.map { try $0.dataNegativeLogLikelihood(sampleCount: 10_000, stream: &nllStream) }
        return try generations.enumerated().map { index, generation in
            let samples = try generation.samples(of: model, count: count, seed: seed)
            let evaluation = try SampleEvaluation(name: generation.name(for: model), samples: samples, reference: reference,
                                                  dimension: model.dimension, mixture: mixture, dataNLL: dataNLL, seed: seed,
                                                  index: UInt64(index))
            return (evaluation, samples)
        }
    }

    /// The environment given, else the run folder's (when the checkpoint is `<run>/checkpoints/<file>`),
    /// else the built-in default.
    static func environment(_ path: String?, checkpoint: String) throws -> EnvironmentSource {
        if let path { return try EnvironmentSource.load(path) }
        let runFolder = ((checkpoint as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        if let recipe = try? TrainingRecipe.read(runFolder: runFolder) {
            return try EnvironmentSource(spec: recipe.environment, name: recipe.environmentName)
        }
        return try EnvironmentSource.load(nil)
    }
}
