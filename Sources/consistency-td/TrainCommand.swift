import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td train`: trains one preset in a run folder (DESIGN.md §6) with ExperimentKit's
/// ``Trainer``: `checkpoints/`, `metrics.h5`, `metrics.csv`, `provenance.json` and `run.json` (the
/// resolved settings `resume` rebuilds the learner from).
///
/// With `--config FILE` the run is described by an ExperimentKit configuration instead: precedence,
/// lowest first, is the method preset's defaults < the file < each `--set key=value` (in order) < the
/// explicit flags (`--preset`, `--steps`, `--seed`, `--width`, …, each mapped to its configuration
/// key); the resolved configuration is stored as `config.yaml` (``ConfiguredTraining``).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a diffusion model or a consistency model in a run folder.",
        discussion: """
            cd, ect and sct start from a pretrained diffusion model (--from); the others train from scratch. Examples:

              consistency-td train --preset diffusion --steps 4000 --run-dir runs/teacher
              consistency-td train --preset ect --from runs/teacher --run-dir runs/ect
              consistency-td train --config ring-ect.yaml --set training.learning_rate=2e-4 --steps 2000

            With --config, settings are taken in this order (later wins): the method preset's defaults, the \
            config file, each --set in order, then the flags given explicitly on the command line (--preset → \
            method, --steps → training.steps, --seed → seed, --width/--depth/--dropout → network.*, \
            --batch-size/--learning-rate/--lr-decay/--warmup/--max-time/--checkpoint-every/--from → \
            training.*, --weighting → consistency.weighting, --final-scale → pairs.final_scale, --environment \
            replaces environment). The run folder then also holds the resolved config.yaml.
            """
    )

    @Option(help: "The method to train. (required unless --config sets `method`)")
    var preset: TrainingPreset?

    @Option(help: ArgumentHelp("A distribution spec (JSON, or YAML for .yaml/.yml). (default: the built-in ring of 8 Gaussians, radius 2, std 0.1)",
                               valueName: "ENV.json"))
    var environment: String?

    @Option(help: "Training iterations; curricula and the learning-rate decay are scaled to them. (default: 4000, or the config's)")
    var steps: Int?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp(
        "The run folder. (default: runs/<environment>__<preset>__seed<S>__<UTC timestamp>)", valueName: "DIR"))
    var runDirectory: String?

    @Option(help: "The run seed every random stream derives from. (default: 0, or the config's)")
    var seed: UInt64?

    @Option(help: ArgumentHelp("The pretrained diffusion checkpoint: the initial network of ect/sct and the teacher of cd; a run folder means its checkpoints/latest. (default: none)",
                               valueName: "CHECKPOINT"))
    var from: String?

    @Option(name: .customLong("checkpoint-every"), help: "Write a checkpoint every K iterations (and at the end). (default: 1000, or the config's)")
    var checkpointEvery: Int?

    @Option(help: "Hidden-layer width of the MLP. (default: 128, or the --from model's)")
    var width: Int?

    @Option(help: "Hidden layers of the MLP. (default: 3, or the --from model's)")
    var depth: Int?

    @Option(name: .customLong("batch-size"), help: "Minibatch size. (default: 512, or the config's)")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate"), help: "Base learning rate. (default: 0.001, or the config's)")
    var learningRate: Double?

    @Option(name: .customLong("lr-decay"), help: "Learning-rate decay after warm-up: \(LearningRateDecayArgument.help). (default: cosine:0.05, or the config's)")
    var learningRateDecay: String?

    @Option(help: "Linear learning-rate warm-up iterations. (default: 0, or the config's)")
    var warmup: Int?

    @Option(name: .customLong("max-time"), help: "t_max of the consistency presets. (default: the preset's, 80)")
    var maximumTime: Double?

    @Option(help: "Dropout of the hidden layers. (default: the preset's: 0.3 for ict, 0 otherwise)")
    var dropout: Double?

    @Option(help: "Pair weighting: uniform. (default: the preset's)")
    var weighting: String?

    @Option(name: .customLong("final-scale"), help: "Final curriculum scale s₁ of ict/slct. (default: the preset's, 1280)")
    var finalScale: Int?

    @Option(help: ArgumentHelp("A YAML or JSON ExperimentKit config (see --help's discussion for the precedence of --set and flags). (default: none)", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one config value, e.g. --set training.learning_rate=2e-4; repeatable, needs --config. (default: none)",
                                                         valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps \(steps) is not valid; expected a positive number of iterations") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every \(checkpointEvery) is not valid; expected ≥ 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size \(batchSize) is not valid; expected ≥ 1") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate \(learningRate) is not valid; expected a finite value > 0")
        }
        if let width, width < 1 { throw ValidationError("--width \(width) is not valid; expected ≥ 1") }
        if let depth, depth < 1 { throw ValidationError("--depth \(depth) is not valid; expected ≥ 1") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout \(dropout) is not valid; expected 0 ≤ p < 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup \(warmup) is not valid; expected ≥ 0") }
        if config == nil {
            if !overrides.isEmpty { throw ValidationError("--set overrides a config value; it needs --config FILE") }
            if preset == nil { throw ValidationError("train needs --preset (diffusion, cd, ct, ict, ect, sct, slct) or --config FILE") }
        }
    }

    func run() throws {
        if let config { return try runConfigured(config) }
        guard let preset else { throw CommandLineFailure("train needs --preset or --config FILE") }
        let steps = self.steps ?? 4000, seed = self.seed ?? 0
        let source = try EnvironmentSource.load(environment)
        let fromPath = try from.map(Self.resolveCheckpoint)
        var defaultWidth = 128, defaultDepth = 3
        if let fromPath, let model = try? CheckpointModel.load(fromPath), case let .mlp(network) = model.network.architecture {
            defaultWidth = network.width
            defaultDepth = network.depth
        }
        let recipe = TrainingRecipe(
            preset: preset, steps: steps, seed: seed, environment: source.spec, environmentName: source.name, from: fromPath,
            checkpointEvery: checkpointEvery ?? 1000, width: width ?? defaultWidth, depth: depth ?? defaultDepth, batchSize: batchSize ?? 512,
            learningRate: learningRate ?? 1e-3, learningRateDecay: learningRateDecay ?? "cosine:0.05", warmupSteps: warmup ?? 0,
            maximumTime: maximumTime,
            dropout: dropout, weighting: weighting, finalScale: finalScale)
        let folder = runDirectory ?? Self.defaultRunFolder(environment: environment, preset: preset, seed: seed)
        print("training \(preset.rawValue) on \(source.name) for \(steps) steps in \(folder)")
        let (summary, outputs) = try TrainingSession.start(recipe, runFolder: folder)
        print(TrainingSession.describe(summary, preset: preset.rawValue))
        outputs.show()
    }

    /// An absolute checkpoint path; a run folder stands for its `checkpoints/latest`.
    static func resolveCheckpoint(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandLineFailure("checkpoint '\(path)' does not exist; expected a checkpoint file or a run folder")
        }
        var resolved = path
        if isDirectory.boolValue {
            let folder = CheckpointFolder(directory: (path as NSString).appendingPathComponent("checkpoints"))
            guard let latest = try folder.latestPath() else {
                throw CommandLineFailure("run folder '\(path)' has no checkpoint (checkpoints/latest is missing)")
            }
            resolved = latest
        } else if (path as NSString).lastPathComponent == "latest" {
            let folder = CheckpointFolder(directory: (path as NSString).deletingLastPathComponent)
            guard let latest = try folder.latestPath() else {
                throw CommandLineFailure("'\(path)' is not a readable latest-checkpoint pointer")
            }
            resolved = latest
        }
        return URL(fileURLWithPath: resolved).standardizedFileURL.path
    }

    /// `runs/<environment>__<preset>__seed<S>__<yyyyMMdd-HHmmss>` (DESIGN.md §6).
    static func defaultRunFolder(environment: String?, preset: TrainingPreset, seed: UInt64) -> String {
        let experiment = environment.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "ring8"
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(experiment)__\(preset.rawValue)__seed\(seed)__\(formatter.string(from: Date()))"
    }
}
