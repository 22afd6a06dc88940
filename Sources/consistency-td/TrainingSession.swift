import ConsistencyTD
import Foundation

/// Runs a ``TrainingRecipe`` in a run folder through ExperimentKit's ``Trainer`` (checkpoints,
/// metrics.h5/metrics.csv, provenance.json, progress on standard error) and lists what it wrote.
enum TrainingSession {
    /// Starts a fresh run: takes the run folder's ``RunFolderLock`` (another process training there is
    /// refused), checks the folder holds no run, builds the learner (every setting is checked before
    /// anything is written), stores `run.json` and trains.
    static func start(_ recipe: TrainingRecipe, runFolder: String, progress: TrainerConfiguration.ProgressStyle = .automatic) throws
        -> (summary: TrainingSummary, outputs: OutputList)
    {
        let recipePath = TrainingRecipe.path(inRunFolder: runFolder)
        let alreadyARun = CommandLineFailure("run folder '\(runFolder)' already holds a run (\(TrainingRecipe.fileName)); continue it with `consistency-td resume \(runFolder)` or choose another --run-dir")
        if FileManager.default.fileExists(atPath: recipePath) { throw alreadyARun }
        let learner = try recipe.makeLearner()
        KernelWarning.showOnce()
        let configuration = try TrainerConfiguration(steps: recipe.steps, checkpointEvery: recipe.checkpointEvery, progress: progress)
        let trainer = Trainer(learner: learner, runFolder: runFolder, configuration: configuration)
        try FileManager.default.createDirectory(atPath: runFolder, withIntermediateDirectories: true)
        let lock = try RunFolderLock.acquire(runFolder: runFolder)       // before run.json: one process per run folder
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: recipePath) { throw alreadyARun }   // started by another process meanwhile
        // A run without run.json (started from the Swift API): refused before run.json is written into it.
        let found = Trainer.existingRunFiles(in: runFolder)
        if !found.isEmpty {
            throw CommandLineFailure("run folder '\(runFolder)' already holds run files (\(found.joined(separator: ", "))) but no \(TrainingRecipe.fileName), so it is not a run consistency-td can continue; choose another --run-dir")
        }
        var outputs = OutputList()
        outputs.add("run description", try recipe.write(toRunFolder: runFolder))
        let summary = try trainer.run()
        outputs.add(summary)
        return (summary, outputs)
    }

    /// Continues the run in `runFolder` from `checkpoints/latest` up to `steps` iterations (default: the
    /// recipe's). The learner's curricula keep the recipe's length. A run started from a configuration
    /// is rebuilt from its `config.yaml` (checked against `run.json`, ``ConfiguredTraining``). A run that
    /// stopped before its first checkpoint is trained again from step 0 (``Trainer/resumeOrRestart()``),
    /// with a note on standard error.
    /// A configured run that stopped before its training started (`config.yaml` but no `run.json`) is
    /// trained from step 0 with its configuration (``ConfiguredTraining/startUnstarted(runFolder:steps:progress:)``).
    static func resume(runFolder: String, steps: Int?) throws -> (summary: TrainingSummary, outputs: OutputList) {
        if ConfiguredTraining.isUnstarted(runFolder: runFolder) {
            return try ConfiguredTraining.startUnstarted(runFolder: runFolder, steps: steps)
        }
        let recipe = try TrainingRecipe.read(runFolder: runFolder)
        let lock = try RunFolderLock.acquire(runFolder: runFolder)       // another process training here is refused
        defer { lock.release() }
        let learner: any TrainingLearner
        let configuration: TrainerConfiguration
        // A checkpoint of the run (the latest, else the newest file), which ECT/SCT's learner takes its
        // network's layout and σ_d from instead of the pretrained model; nil when the run has none yet,
        // in which case it is trained again from step 0 and needs its pretrained model as at the start.
        let checkpoints = CheckpointFolder(directory: (runFolder as NSString).appendingPathComponent("checkpoints"))
        let resumedCheckpoint = (try? checkpoints.latestPath()).flatMap { $0 } ?? checkpoints.steps().last.map { checkpoints.path(step: $0) }
        if recipe.configurationFile != nil {
            let experiment = try ConfiguredTraining.configuration(ofRunFolder: runFolder, recipe: recipe)
            learner = try ConfiguredTraining.makeLearner(experiment, resumedCheckpoint: resumedCheckpoint)
            var extended = experiment
            extended.training.steps = steps ?? recipe.steps
            configuration = try extended.trainerConfiguration()
        } else {
            learner = try recipe.makeLearner(resumedCheckpoint: resumedCheckpoint)
            configuration = try TrainerConfiguration(steps: steps ?? recipe.steps, checkpointEvery: recipe.checkpointEvery)
        }
        KernelWarning.showOnce()
        let (summary, restarted, setAside) = try Trainer(learner: learner, runFolder: runFolder, configuration: configuration)
            .resumeOrRestart()
        if restarted {
            let kept = setAside.isEmpty ? "" : "; its partial metrics were kept as " + setAside.joined(separator: " and ")
            FileHandle.standardError.write(Data("note: run folder '\(runFolder)' had no checkpoint yet (the run stopped before its first one), so it was trained again from step 0 with its seed\(kept)\n".utf8))
        }
        var outputs = OutputList()
        outputs.add("run description", TrainingRecipe.path(inRunFolder: runFolder))
        outputs.add(summary)
        return (summary, outputs)
    }

    /// "trained ect: steps 0 → 4000 in 41.2 s, final loss 0.0123".
    static func describe(_ summary: TrainingSummary, preset: String) -> String {
        let seconds = Double(summary.wallTime.components.seconds) + Double(summary.wallTime.components.attoseconds) * 1e-18
        var line = "trained \(preset): steps \(summary.startStep) → \(summary.completedSteps) in " + String(format: "%.1f s", seconds)
        if let loss = summary.finalMetrics["train/loss"] { line += ", final loss " + String(format: "%.4g", loss) }
        if summary.skippedSteps > 0 { line += ", \(summary.skippedSteps) skipped (non-finite) steps" }
        if summary.interrupted { line += " (interrupted)" }
        if let evaluation = summary.lastEvaluation, let step = summary.lastEvaluationStep, !evaluation.isEmpty {
            line += "\nevaluation at step \(step):"
            for (name, value) in evaluation.sorted(by: { $0.key < $1.key }) {
                line += "\n  " + name + "  " + (value.isFinite ? String(format: "%.4g", value) : "\(value)")
            }
        }
        return line
    }
}
