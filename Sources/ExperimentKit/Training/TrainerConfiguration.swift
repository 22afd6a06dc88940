/// How a ``Trainer`` drives a run: how many iterations, how often it checkpoints and evaluates, how
/// many consecutive non-finite steps it tolerates, and how it shows progress.
///
/// Every value is checked when the configuration is made, so an invalid one never reaches a run
/// folder: the initializer throws a ``TrainerError/invalidConfiguration(setting:value:expected:)``
/// naming the setting, the value given and what is expected.
///
/// Defaults: `checkpointEvery` 1000, `keepCheckpoints` 3, `evaluateEvery` nil and `evaluatesAtEnd` false (no evaluation),
/// `maximumConsecutiveSkippedSteps` 10, `progress` ``ProgressStyle/automatic``, metrics flushed
/// every 5 s (``MetricsStore/defaultFlushInterval``), SIGINT/SIGTERM handled.
public struct TrainerConfiguration: Equatable, Sendable {
    /// How training progress is shown on standard error.
    public enum ProgressStyle: Equatable, Sendable {
        /// ``bar`` when standard error is a terminal, otherwise ``lines(every:)`` every tenth of the
        /// run (at least every step).
        case automatic
        /// One line redrawn in place: step/total, iterations per second, time left, last loss.
        case bar
        /// A plain line every `every` steps (and at the end), for logs and pipes.
        case lines(every: Int)
        /// Nothing.
        case silent
    }

    /// The total number of training iterations of the run. A resumed run continues until the
    /// learner has completed this many; a resume with a larger count extends the run.
    public let steps: Int
    /// A checkpoint is written after every `checkpointEvery` completed iterations (and at the end).
    public let checkpointEvery: Int
    /// How many of the newest checkpoints `checkpoints/` keeps (at least 1).
    public let keepCheckpoints: Int
    /// The learner is evaluated after every `evaluateEvery` completed iterations; nil: never.
    public let evaluateEvery: Int?
    /// Whether the learner is also evaluated after the last iteration (`steps`) when that is not a
    /// multiple of `evaluateEvery` — a run reached by resuming records it too; an interrupted one does not.
    /// A finished run later extended (resumed with a larger `steps`) keeps the evaluation of its old
    /// last step in that row, which a run trained to the larger count from the start does not have.
    public let evaluatesAtEnd: Bool
    /// The run stops with ``TrainerError/tooManySkippedSteps(count:firstStep:lastStep:lastGoodCheckpoint:lastGoodStep:)``
    /// after this many consecutive skipped (non-finite) steps (DESIGN.md §7).
    public let maximumConsecutiveSkippedSteps: Int
    public let progress: ProgressStyle
    /// Metrics are written to disk at least this often (and at every checkpoint and exit).
    public let metricsFlushInterval: Duration
    /// Whether SIGINT and SIGTERM stop the run cleanly (finish the step, checkpoint, return). Turn
    /// off when the host program manages these signals itself.
    public let handlesInterruptSignals: Bool

    /// Checks every setting; throws a ``TrainerError/invalidConfiguration(setting:value:expected:)``
    /// for the first one out of range.
    public init(
        steps: Int,
        checkpointEvery: Int = 1000,
        keepCheckpoints: Int = 3,
        evaluateEvery: Int? = nil,
        evaluatesAtEnd: Bool = false,
        maximumConsecutiveSkippedSteps: Int = 10,
        progress: ProgressStyle = .automatic,
        metricsFlushInterval: Duration = MetricsStore.defaultFlushInterval,
        handlesInterruptSignals: Bool = true
    ) throws(TrainerError) {
        guard steps > 0 else {
            throw .invalidConfiguration(setting: "steps", value: "\(steps)",
                                        expected: "a positive number of training iterations (≥ 1)")
        }
        guard checkpointEvery > 0 else {
            throw .invalidConfiguration(setting: "checkpointEvery", value: "\(checkpointEvery)",
                                        expected: "a positive number of steps between checkpoints (≥ 1)")
        }
        guard keepCheckpoints >= 1 else {
            throw .invalidConfiguration(setting: "keepCheckpoints", value: "\(keepCheckpoints)",
                                        expected: "at least 1 checkpoint to keep")
        }
        if let evaluateEvery, evaluateEvery < 1 {
            throw .invalidConfiguration(setting: "evaluateEvery", value: "\(evaluateEvery)",
                                        expected: "a positive number of steps between evaluations (≥ 1), or nil for none")
        }
        guard maximumConsecutiveSkippedSteps >= 1 else {
            throw .invalidConfiguration(setting: "maximumConsecutiveSkippedSteps", value: "\(maximumConsecutiveSkippedSteps)",
                                        expected: "at least 1 consecutive skipped step before the run stops")
        }
        if case let .lines(every) = progress, every < 1 {
            throw .invalidConfiguration(setting: "progress", value: ".lines(every: \(every))",
                                        expected: "a positive number of steps between progress lines (≥ 1)")
        }
        guard metricsFlushInterval >= .zero else {
            throw .invalidConfiguration(setting: "metricsFlushInterval", value: "\(metricsFlushInterval)",
                                        expected: "a duration ≥ 0 (zero writes metrics at every step)")
        }
        self.steps = steps
        self.checkpointEvery = checkpointEvery
        self.keepCheckpoints = keepCheckpoints
        self.evaluateEvery = evaluateEvery
        self.evaluatesAtEnd = evaluatesAtEnd
        self.maximumConsecutiveSkippedSteps = maximumConsecutiveSkippedSteps
        self.progress = progress
        self.metricsFlushInterval = metricsFlushInterval
        self.handlesInterruptSignals = handlesInterruptSignals
    }
}

extension TrainerConfiguration {
    /// Whether the learner is evaluated after completing `step`: a multiple of `evaluateEvery`, or the
    /// last step when `evaluatesAtEnd`.
    public func evaluatesAt(step: Int) -> Bool {
        if let every = evaluateEvery, step % every == 0 { return true }
        return evaluatesAtEnd && step == steps
    }
}
