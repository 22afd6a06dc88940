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
    func flagOverrides() throws -> [ConfigurationOverride] {
        var settings: [(key: String, value: String)] = []
        if let preset { settings.append(("method", preset.rawValue)) }
        if let steps { settings.append(("training.steps", "\(steps)")) }
        if let seed { settings.append(("seed", "\(seed)")) }
        if let width { settings.append(("network.width", "\(width)")) }
        if let depth { settings.append(("network.depth", "\(depth)")) }
        if let dropout { settings.append(("network.dropout", "\(dropout)")) }
        if let batchSize { settings.append(("training.batch_size", "\(batchSize)")) }
        if let learningRate { settings.append(("training.learning_rate", "\(learningRate)")) }
        if let learningRateDecay {
            switch try LearningRateDecayArgument.parse(learningRateDecay) {
            case .constant: settings.append(("training.learning_rate_decay", "constant"))
            case let .cosine(phi):
                settings += [("training.learning_rate_decay", "cosine"), ("training.decay_final_fraction", "\(phi)")]
            case let .linear(phi):
                settings += [("training.learning_rate_decay", "linear"), ("training.decay_final_fraction", "\(phi)")]
            }
        }
        if let warmup { settings.append(("training.warmup_steps", "\(warmup)")) }
        if let maximumTime { settings.append(("training.t_max", "\(maximumTime)")) }
        if let checkpointEvery { settings.append(("training.checkpoint_every", "\(checkpointEvery)")) }
        if let from { settings.append(("training.pretrained", try Self.resolveCheckpoint(from))) }
        if let weighting { settings.append(("consistency.weighting", weighting)) }
        if let finalScale { settings.append(("pairs.final_scale", "\(finalScale)")) }
        return try settings.map { try ConfigurationOverride(key: $0.key, value: $0.value) }
    }

    /// `train --config FILE [--set key=value]… [flags]`: resolves the configuration (preset defaults <
    /// file < --set < explicit flags; --environment replaces the environment), then trains it through
    /// ``ConfiguredTraining`` in `--run-dir` (default runs/<experiment>__<method>__seed<k>__<timestamp>).
    func runConfigured(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("config '\(path)' does not exist; expected a YAML or JSON experiment config")
        }
        let document = try ConfigurationDocument(contentsOfFile: path).applying(settings: overrides).applying(try flagOverrides())
        var configuration = try document.resolve()
        if let environment {
            configuration.environment = try EnvironmentSource.load(environment).spec
            try configuration.validate()
        }
        let folder = runDirectory
            ?? ("runs" as NSString).appendingPathComponent(ExperimentRunFolder.name(for: configuration, date: Date()))
        print("training \(configuration.method.name) from \(path) for \(configuration.training.steps) steps in \(folder)")
        let (summary, outputs) = try ConfiguredTraining.start(configuration, runFolder: folder)
        print(TrainingSession.describe(summary, preset: configuration.method.name))
        outputs.show()
    }
}
