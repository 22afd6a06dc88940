/// Why a ``Trainer`` refused to start or stopped — each case a message that says what happened and
/// what to do about it. Errors of the learner, the metrics store and checkpoint files pass through
/// unchanged.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// A ``TrainerConfiguration`` setting is out of range.
    case invalidConfiguration(setting: String, value: String, expected: String)
    /// `run()` was asked to start a fresh run in a folder that already holds one.
    case runFolderInUse(runFolder: String, found: [String])
    /// `resume()` found no checkpoint to resume from.
    case nothingToResume(runFolder: String)
    /// The learner has already completed the configured number of iterations (fresh run), or the
    /// checkpoint lies beyond it (resume).
    case nothingToTrain(completed: Int, steps: Int)
    /// The latest checkpoint belongs to another method or seed than the learner.
    case checkpointMismatch(path: String, field: String, checkpoint: String, learner: String)
    /// `metrics.h5` does not cover the checkpoint's step, so the run cannot be resumed consistently.
    case metricsBehindCheckpoint(path: String, checkpointStep: Int, lastMetricsStep: Int64?)
    /// `metrics.h5` has the checkpoint's row, but the skipped-step count in it
    /// (``Trainer/skippedStepsSeries``) is not a whole number from 0 to the checkpoint's step: the
    /// file has no such series (`found == nil`), or the row holds `found` (e.g. `nan`, `inf`, `-1.0`,
    /// `2.5`) — a corrupt metrics file, or one written by another run.
    case metricsSkippedStepsInvalid(path: String, checkpointStep: Int, found: String?)
    /// The learner broke the ``TrainingLearner`` contract (e.g. an iteration did not advance the count by one).
    case learnerContractViolated(String)
    /// A learner metric uses a name the trainer records itself.
    case reservedMetricName(String)
    /// Two learner metrics name one series once prefixed (`loss` and `train/loss` are both `train/loss`).
    case metricNameCollision(series: String, names: [String])
    /// `count` consecutive steps (`firstStep`…`lastStep`) were skipped as non-finite.
    case tooManySkippedSteps(count: Int, firstStep: Int, lastStep: Int, lastGoodCheckpoint: String?, lastGoodStep: Int?)

    public var description: String {
        switch self {
        case let .invalidConfiguration(setting, value, expected):
            return "invalid trainer configuration: \(setting) is \(value); expected \(expected)"
        case let .runFolderInUse(runFolder, found):
            return "run folder \(runFolder) already holds a run (\(found.joined(separator: ", "))); "
                + "continue it with Trainer.resume(), or start the fresh run in another folder"
        case let .nothingToResume(runFolder):
            return "run folder \(runFolder) has no checkpoint (checkpoints/latest) to resume from; "
                + "start the run with Trainer.run() (delete the folder first if it holds metrics of a run that never checkpointed)"
        case let .nothingToTrain(completed, steps):
            return "the learner has completed \(completed) iterations, beyond the configured steps \(steps); "
                + "set steps above \(completed) to train further"
        case let .checkpointMismatch(path, field, checkpoint, learner):
            return "checkpoint \(path) was written with \(field) \(checkpoint), but the learner has \(field) \(learner); "
                + "resume with a learner of the same \(field), or start a new run"
        case let .metricsBehindCheckpoint(path, checkpointStep, lastMetricsStep):
            return "\(path) has no row for the checkpoint's step \(checkpointStep) (its last step is "
                + (lastMetricsStep.map { "\($0)" } ?? "none, it is empty")
                + "); the metrics file does not belong to this checkpoint, so the run cannot be resumed"
        case let .metricsSkippedStepsInvalid(path, checkpointStep, found):
            let series = Trainer.skippedStepsSeries
            return "\(path) has a row for the checkpoint's step \(checkpointStep), but "
                + (found.map { "its \(series) value there is \($0)" } ?? "no \(series) series")
                + "; expected a whole number of skipped steps from 0 to \(checkpointStep). The metrics file is corrupt "
                + "or was written by another run, so the run cannot be resumed (restore metrics.h5 and metrics.csv "
                + "of this run, or start a new run)"
        case let .learnerContractViolated(problem):
            return "the learner broke the TrainingLearner contract: \(problem)"
        case let .reservedMetricName(name):
            return "the learner reported a metric named '\(name)', which the trainer records itself; rename it"
        case let .metricNameCollision(series, names):
            return "the learner reported metrics \(names.map { "'\($0)'" }.joined(separator: " and ")), which are both the series '\(series)'; report one of them"
        case let .tooManySkippedSteps(count, firstStep, lastStep, lastGoodCheckpoint, lastGoodStep):
            let checkpoint = lastGoodCheckpoint.map { path in
                "the last good checkpoint is \(path)" + (lastGoodStep.map { " (step \($0))" } ?? "")
                    + "; change the settings (a lower learning rate, gradient clipping) and resume from it"
            } ?? "no checkpoint was written before the streak; change the settings and start again"
            return "training stopped: \(count) consecutive steps (\(firstStep)…\(lastStep)) were skipped because "
                + "their loss or gradient was not finite; \(checkpoint)"
        }
    }
}
