import ConsistencyTD
import Foundation

/// Training from an ExperimentKit configuration (`train --config`, every run of `sweep`): the
/// resolved ``ExperimentConfiguration`` is the single source of the run's settings. The run folder
/// (ExperimentKit's ``ExperimentRunFolder``) gets `config.yaml` (the resolved configuration, every
/// default written out) and `provenance.json` (``RunProvenance``) before training starts, plus the
/// `run.json` summary of ``TrainingRecipe`` (marked with `configuration: config.yaml`) that `resume`
/// reads — `resume` rebuilds the learner from `config.yaml` and refuses to go on when the two disagree.
enum ConfiguredTraining {
    /// The learner of a resolved configuration: Agents' ``DiffusionPretrainer`` for `diffusion`, a
    /// ``ConsistencyLearner`` otherwise; `training.pretrained` (a checkpoint or run folder) is the
    /// initial network of cd/ect/sct and the teacher of cd. Its evaluator is the configuration's
    /// `evaluation:` block (``ExperimentConfiguration/trainingEvaluation()``), which the ``Trainer``
    /// calls at every `evaluation.every` steps and at the last. `resumedCheckpoint`: the run's latest
    /// checkpoint when it is being resumed (``PretrainedDiffusionModel/network(for:path:setting:instruction:resumedCheckpoint:)``).
    static func makeLearner(_ configuration: ExperimentConfiguration, resumedCheckpoint: String? = nil) throws -> any TrainingLearner {
        let distribution = try configuration.environment.makeDistribution()
        let evaluator = try configuration.trainingEvaluation().map { evaluation in
            { @Sendable (network: PreconditionedNetwork) throws -> [String: Double] in try evaluation.evaluate(network) }
        }
        let learner: any TrainingLearner
        switch configuration.method {
        case .diffusion:
            if configuration.training.pretrained != nil {
                throw CommandLineFailure("training.pretrained is the diffusion model of cd, ect and sct; the diffusion method trains one from scratch")
            }
            let pretrainer = try DiffusionPretrainer(configuration: configuration.diffusionPretrainingConfiguration(), distribution: distribution)
            pretrainer.evaluator = evaluator
            learner = pretrainer
        case let .consistency(method):
            let agents = try configuration.consistencyTrainingConfiguration()
            let initial = try PretrainedDiffusionModel.network(
                for: method, path: configuration.training.pretrained, setting: "training.pretrained",
                instruction: "set training.pretrained (or pass --from) to a diffusion checkpoint",
                resumedCheckpoint: resumedCheckpoint)
            for warning in try dataStandardDeviationWarnings(configuration, pretrained: initial) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            let consistencyLearner = try ConsistencyLearner(configuration: agents, distribution: distribution, initial: initial,
                                                            teacher: method == .cd ? initial : nil)
            consistencyLearner.evaluator = evaluator
            learner = consistencyLearner
        }
        // Said once the run is sure to start, not in front of an error that stops it.
        if let warning = configuration.heldOutEvaluationWarning {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        KernelWarning.showOnce()
        return learner
    }

    /// What disagrees with the σ_d of a `pretrained` network, which the learner keeps (its
    /// preconditioning was trained with it): a given `training.data_standard_deviation`, and the σ_d of
    /// a σ_d weighting (`edm`, `inverse-squared-time-plus-data`), which the configuration resolved
    /// from the data, not from the checkpoint. One line each; none without a pretrained network.
    static func dataStandardDeviationWarnings(_ configuration: ExperimentConfiguration,
                                              pretrained: PreconditionedNetwork?) throws -> [String] {
        guard let pretrained, let path = configuration.training.pretrained else { return [] }
        let network = pretrained.preconditioning.dataStandardDeviation
        var warnings: [String] = []
        if let given = configuration.training.dataStandardDeviation, abs(given - network) > 1e-12 * max(1, network) {
            warnings.append("training.data_standard_deviation = \(given), but the pretrained network (\(path)) was trained with "
                            + "σ_d = \(network), which the learner keeps")
        }
        switch configuration.consistency?.weighting {
        case let .inverseSquaredTimePlusData(sigma), let .edm(sigma):
            if abs(sigma - network) > 1e-12 * max(1, network) {
                warnings.append("the loss weighting uses σ_d = \(sigma) (consistency.weighting_sigma_data), but the network's "
                                + "σ_d is the pretrained one, \(network); set consistency.weighting_sigma_data: \(network) for one σ_d")
            }
        default: break
        }
        return warnings
    }

    /// The ``TrainingRecipe`` that describes `configuration` in `run.json` (the fields both know; the
    /// rest lives in `config.yaml`, which the recipe names).
    static func recipe(of configuration: ExperimentConfiguration) throws -> TrainingRecipe {
        guard let preset = TrainingPreset(rawValue: configuration.method.name) else {
            throw CommandLineFailure("method '\(configuration.method.name)' has no train preset; expected one of \(TrainingPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let decay: String
        switch configuration.training.learningRateDecay {
        case .constant: decay = "constant"
        case let .cosine(phi): decay = "cosine:\(phi)"
        case let .linear(phi): decay = "linear:\(phi)"
        }
        var recipe = TrainingRecipe(
            preset: preset, steps: configuration.training.steps, seed: configuration.seed, environment: configuration.environment,
            environmentName: configuration.experiment, from: configuration.training.pretrained,
            checkpointEvery: configuration.training.checkpointEvery, width: configuration.network.width,
            depth: configuration.network.depth, batchSize: configuration.training.batchSize,
            learningRate: configuration.training.learningRate, learningRateDecay: decay,
            warmupSteps: configuration.training.warmupSteps, maximumTime: configuration.training.maximumTime,
            dropout: configuration.network.dropout, weighting: nil, finalScale: nil)
        recipe.configurationFile = ExperimentRunFolder.configurationFileName
        return recipe
    }

    /// Starts a fresh run of `configuration` in `runFolder` (which must not exist) and trains it.
    /// `training.pretrained` is stored (in config.yaml and run.json) as the absolute checkpoint file it
    /// names now: a run folder's `latest` moves on when that run is extended, and a relative path depends
    /// on the directory `resume` runs in, so either could give a resumed CD run another teacher.
    static func start(_ given: ExperimentConfiguration, runFolder: String,
                      progress: TrainerConfiguration.ProgressStyle = .automatic) throws -> (summary: TrainingSummary, outputs: OutputList) {
        var configuration = given
        if let pretrained = configuration.training.pretrained {
            configuration.training.pretrained = try TrainCommand.resolveCheckpoint(pretrained)
        }
        let learner = try makeLearner(configuration)          // every setting is checked before anything is written
        let recipe = try recipe(of: configuration)
        let trainerConfiguration = try configuration.trainerConfiguration(progress: progress)
        // The lock is taken before config.yaml is written, so a concurrent train on the same folder
        // can never overwrite this run's configuration; it is held until training ends (the Trainer re-enters it).
        let (folder, lock) = try ExperimentRunFolder.createLocked(for: configuration, path: runFolder)
        defer { lock.release() }
        var outputs = OutputList()
        outputs.add("configuration", folder.configurationPath)
        outputs.add("run description", try recipe.write(toRunFolder: folder.path))
        let summary = try Trainer(learner: learner, runFolder: folder.path, configuration: trainerConfiguration).run()
        outputs.add(summary)
        return (summary, outputs)
    }

    /// The files a configured run folder holds before its training starts (before `run.json`): the
    /// resolved configuration, the provenance, the folder lock, and a failed sweep run's note.
    static let filesBeforeTraining: Set<String> = [
        ExperimentRunFolder.configurationFileName, ExperimentRunFolder.provenanceFileName, RunFolderLock.fileName,
        SweepRunFailure.fileName,
    ]

    /// Whether `runFolder` is a configured run that stopped before its training started: it has
    /// `config.yaml` but no `run.json` (`train --config` was stopped or failed between writing the
    /// configuration and starting to train).
    static func isUnstarted(runFolder: String) -> Bool {
        let files = FileManager.default
        return files.fileExists(atPath: ExperimentRunFolder(path: runFolder).configurationPath)
            && !files.fileExists(atPath: TrainingRecipe.path(inRunFolder: runFolder))
    }

    /// Trains a configured run that stopped before its training started (``isUnstarted(runFolder:)``)
    /// from step 0 with the configuration in its `config.yaml` (every default already resolved there), as
    /// `train --config` would have: `resume` lands here. The folder must hold nothing but
    /// ``filesBeforeTraining``; anything else (a checkpoint without `run.json`, a user's file) is refused,
    /// touching nothing. `provenance.json` is written anew (this process starts the training). `steps`
    /// (resume's `--steps`) is the iteration count to reach; the curricula keep the configuration's
    /// `training.steps`, as when a run is extended.
    static func startUnstarted(runFolder: String, steps: Int?, progress: TrainerConfiguration.ProgressStyle = .automatic) throws
        -> (summary: TrainingSummary, outputs: OutputList)
    {
        let run = ExperimentRunFolder(path: runFolder)
        func checkContents() throws {
            let unexpected = try FileManager.default.contentsOfDirectory(atPath: runFolder).filter { !filesBeforeTraining.contains($0) }.sorted()
            guard unexpected.isEmpty else {
                throw CommandLineFailure("run folder '\(runFolder)' has \(ExperimentRunFolder.configurationFileName) but no \(TrainingRecipe.fileName), "
                                         + "and also holds \(unexpected.joined(separator: ", ")); it is not a run consistency-td can start again: "
                                         + "train its configuration in a new folder (`consistency-td train --config \(run.configurationPath) --run-dir …`)")
            }
        }
        try checkContents()                                             // before the lock, so a refused folder is left as it was
        let lock = try RunFolderLock.acquire(runFolder: runFolder)      // another process training here is refused
        defer { lock.release() }
        // Checked again under the lock: another process may have started the run meanwhile.
        if FileManager.default.fileExists(atPath: TrainingRecipe.path(inRunFolder: runFolder)) {
            throw CommandLineFailure("run folder '\(runFolder)' was started by another process meanwhile; continue it with `consistency-td resume \(runFolder)`")
        }
        try checkContents()
        let configuration = try run.configuration()
        let learner = try makeLearner(configuration)          // every setting is checked before run.json is written
        var extended = configuration
        extended.training.steps = steps ?? configuration.training.steps
        let trainerConfiguration = try extended.trainerConfiguration(progress: progress)
        // The provenance of the process that now starts the training (the stopped attempt's may name
        // another build, or be missing when the stop came between config.yaml and provenance.json).
        try run.writeProvenance()
        FileHandle.standardError.write(Data("note: '\(runFolder)' stopped before its training started (\(ExperimentRunFolder.configurationFileName) but no \(TrainingRecipe.fileName)); training it from step 0 with that configuration\n".utf8))
        var outputs = OutputList()
        outputs.add("configuration", run.configurationPath)
        outputs.add("run description", try recipe(of: configuration).write(toRunFolder: runFolder))
        let summary = try Trainer(learner: learner, runFolder: runFolder, configuration: trainerConfiguration).run()
        outputs.add(summary)
        return (summary, outputs)
    }

    /// The configuration of a configured run folder, checked against its `run.json`.
    static func configuration(ofRunFolder folder: String, recipe: TrainingRecipe) throws -> ExperimentConfiguration {
        let run = ExperimentRunFolder(path: folder)
        guard FileManager.default.fileExists(atPath: run.configurationPath) else {
            throw CommandLineFailure("run folder '\(folder)' was trained from a configuration but has no \(ExperimentRunFolder.configurationFileName)")
        }
        let configuration = try run.configuration()
        guard try Self.recipe(of: configuration) == recipe else {
            throw CommandLineFailure("\(run.configurationPath) and \(TrainingRecipe.path(inRunFolder: folder)) disagree; restore the files written by `consistency-td train`")
        }
        return configuration
    }
}
