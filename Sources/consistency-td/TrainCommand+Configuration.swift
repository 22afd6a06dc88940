import ConsistencyTD
import Foundation

extension TrainCommand {
    /// The flags given explicitly on the command line as configuration overrides, applied after the
    /// config file and every `--set` (so a flag always wins): --preset → method, --steps →
    /// training.steps, --seed → seed, --width/--depth/--dropout → network.width/depth/dropout,
    /// --batch-size → training.batch_size, --learning-rate → training.learning_rate, --lr-decay →
    /// training.learning_rate_decay (+ training.decay_final_fraction), --warmup → training.warmup_steps,
    /// --max-time → training.t_max, --checkpoint-every → training.checkpoint_every, --from →
    /// training.pretrained (an absolute checkpoint path), --weighting → consistency.weighting,
    /// --final-scale → pairs.final_scale.
    func flagOverrides() throws -> [(flag: String, override: ConfigurationOverride)] {
        var settings: [(key: String, value: String)] = []
        var flags: [String] = []
        func given(_ flag: String, _ count: Int = 1) { flags += Array(repeating: flag, count: count) }
        if let preset { settings.append(("method", preset.rawValue)); given("--preset") }
        if let steps { settings.append(("training.steps", "\(steps)")); given("--steps") }
        if let seed { settings.append(("seed", "\(seed)")); given("--seed") }
        if let width { settings.append(("network.width", "\(width)")); given("--width") }
        if let depth { settings.append(("network.depth", "\(depth)")); given("--depth") }
        if let dropout { settings.append(("network.dropout", "\(dropout)")); given("--dropout") }
        if let batchSize { settings.append(("training.batch_size", "\(batchSize)")); given("--batch-size") }
        if let learningRate { settings.append(("training.learning_rate", "\(learningRate)")); given("--learning-rate") }
        if let learningRateDecay {
            let before = settings.count
            switch try LearningRateDecayArgument.parse(learningRateDecay) {
            case .constant: settings.append(("training.learning_rate_decay", "constant"))
            case let .cosine(phi):
                settings += [("training.learning_rate_decay", "cosine"), ("training.decay_final_fraction", "\(phi)")]
            case let .linear(phi):
                settings += [("training.learning_rate_decay", "linear"), ("training.decay_final_fraction", "\(phi)")]
            }
            given("--lr-decay", settings.count - before)
        }
        if let warmup { settings.append(("training.warmup_steps", "\(warmup)")); given("--warmup") }
        if let maximumTime { settings.append(("training.t_max", "\(maximumTime)")); given("--max-time") }
        if let checkpointEvery { settings.append(("training.checkpoint_every", "\(checkpointEvery)")); given("--checkpoint-every") }
        if let from { settings.append(("training.pretrained", try Self.resolveCheckpoint(from))); given("--from") }
        if let weighting { settings.append(("consistency.weighting", weighting)); given("--weighting") }
        if let finalScale { settings.append(("pairs.final_scale", "\(finalScale)")); given("--final-scale") }
        return try zip(flags, settings).map { ($0, try ConfigurationOverride(key: $1.key, value: $1.value)) }
    }

    /// `train --config FILE [--set key=value]… [flags]`: resolves the configuration (preset defaults <
    /// file < --set < explicit flags; --environment replaces the environment), then trains it through
    /// ``ConfiguredTraining`` in `--run-dir` (default runs/<experiment>__<method>__seed<k>__<timestamp>).
    func runConfigured(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("config '\(path)' does not exist; expected a YAML or JSON experiment config")
        }
        let flags = try flagOverrides()
        var document = try ConfigurationDocument(contentsOfFile: path).applying(settings: overrides).applying(flags.map(\.override))
        // Replaced before resolving, so the defaults that depend on the environment are the new one's.
        if let environment { document = try document.replacingEnvironment(with: EnvironmentSource.load(environment).spec) }
        let configuration: ExperimentConfiguration
        do { configuration = try document.resolve() } catch let error as ConfigurationError {
            // A flag whose key the configured method does not have (e.g. --final-scale for ect): name the flag.
            if case let .unknownKey(key, _, _) = error, let flag = flags.first(where: { $0.override.key == key })?.flag {
                throw CommandLineFailure("\(flag) sets \(key), which the method configured by \(path) does not have; drop \(flag) or choose a method that has it")
            }
            throw error
        }
        let folder = runDirectory
            ?? ("runs" as NSString).appendingPathComponent(ExperimentRunFolder.name(for: configuration, date: Date()))
        print("training \(configuration.method.name) from \(path) for \(configuration.training.steps) steps in \(folder)")
        let (summary, outputs) = try ConfiguredTraining.start(configuration, runFolder: folder)
        print(TrainingSession.describe(summary, preset: configuration.method.name))
        outputs.show()
    }
}
