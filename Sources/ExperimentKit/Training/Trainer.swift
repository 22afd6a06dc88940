import Agents
import Foundation

/// Drives any ``TrainingLearner`` through a run folder: trains iteration by iteration, records
/// metrics, evaluates, checkpoints, resumes bit for bit, and stops cleanly.
///
/// ```swift
/// let configuration = try TrainerConfiguration(steps: 20_000, checkpointEvery: 1000, evaluateEvery: 2000)
/// let summary = try Trainer(learner: learner, runFolder: "runs/ect", configuration: configuration).run()
/// // later, or after Ctrl-C:
/// let resumed = try Trainer(learner: freshLearner, runFolder: "runs/ect", configuration: configuration).resume()
/// ```
///
/// **An iteration.** `learner.trainStep()` trains iteration i and completes step s = i + 1. The
/// trainer records, at step s, the report's metrics as `train/<name>` (names that already start with
/// `train/` are kept, never doubled) plus `train/skipped_steps`
/// (skipped steps so far in the whole run); when s is a multiple of `evaluateEvery`,
/// `learner.evaluate()` as `eval/<name>` in the same row; when s is a multiple of
/// `checkpointEvery`, a checkpoint (DESIGN.md §5: atomic, last K kept, `latest` pointer). Metrics
/// are flushed before every checkpoint, so `metrics.h5` always covers the latest checkpoint. Runs
/// evaluate only at multiples of `evaluateEvery` and, with `evaluatesAtEnd`, at the last step
/// (never at an interruption), so an interrupted and resumed run records exactly the rows of the
/// uninterrupted one. (A finished run that is extended keeps its old end's evaluation in that row.)
///
/// **Run folder.** `checkpoints/`, `metrics.h5`, `metrics.csv`, `provenance.json`. ``run()`` starts a
/// fresh run and refuses a folder that already holds one; ``resume()`` restores the learner from
/// `checkpoints/latest`, reopens the metrics with ``MetricsStore/Start/resuming(fromStep:)`` (rows
/// after the checkpoint, written by the session that stopped, are dropped and trained again) and
/// trains on to `configuration.steps` — a larger count than before extends the run. With a learner
/// that keeps the ``TrainingLearner`` determinism contract, the resumed run ends bit-identical to
/// the uninterrupted one: parameters, optimizer state and every metrics series.
///
/// **Non-finite steps (DESIGN.md §7).** A report with `skipped == true` applied no update; it is
/// counted. A checkpoint is written only right after an applied update, so every checkpoint is a
/// *good* one: a state reached by an update, never one captured inside a streak of skipped steps
/// (which may mark a diverging model). A checkpoint that falls due during a streak is deferred to
/// the first applied update after it; the end-of-run and interruption checkpoints are not written
/// during a streak. After `maximumConsecutiveSkippedSteps` consecutive skipped steps the run stops
/// with ``TrainerError/tooManySkippedSteps(count:firstStep:lastStep:lastGoodCheckpoint:lastGoodStep:)``,
/// naming the newest checkpoint — untouched since the streak began.
///
/// **One process per run folder.** ``run()`` and ``resume()`` hold the folder's ``RunFolderLock``
/// (`<run>/.lock`, an `flock` the OS drops when the process dies) while they train; a second process
/// pointed at the same folder fails with ``RunFolderLockError/held(lockPath:ownerProcess:ownerHost:)``
/// before touching anything, and a run killed with `kill -9` can be resumed at once.
///
/// **Stopping.** ``requestStop()`` (from any thread), SIGINT or SIGTERM make the loop finish the
/// current iteration, write a final checkpoint (unless inside a skip streak), flush and close the
/// metrics and return with `interrupted = true`; a second signal exits at once. The signal
/// handlers are installed only while `run()`/`resume()` trains and the previous dispositions are
/// restored afterwards. On every exit — return or thrown error — the metrics are flushed and closed.
///
/// Not thread-safe apart from ``requestStop()``/``stopHandle``: one thread runs a trainer.
public final class Trainer {
    public let learner: any TrainingLearner
    public let configuration: TrainerConfiguration
    /// The run folder's path.
    public let runFolder: String
    /// The run's `checkpoints/` folder.
    public var checkpointFolder: CheckpointFolder { folder.checkpoints }
    /// A thread-safe handle to stop this trainer's run from elsewhere (e.g. another task).
    public let stopHandle = TrainingStopHandle()

    /// The series the trainer itself records: skipped steps so far.
    public static let skippedStepsSeries = "train/skipped_steps"
    static let trainPrefix = "train/"
    static let evaluationPrefix = "eval/"

    private let folder: TrainingRunFolder

    /// A trainer for `learner` in `runFolder` (created when the run starts). Nothing is touched yet.
    public init(learner: any TrainingLearner, runFolder: String, configuration: TrainerConfiguration) {
        self.learner = learner
        self.configuration = configuration
        self.runFolder = runFolder
        folder = TrainingRunFolder(path: runFolder, keepCheckpoints: configuration.keepCheckpoints)
    }

    /// The run files (`metrics.h5`, `metrics.csv`, checkpoints, `checkpoints/latest`) already in
    /// `runFolder`: what makes ``run()`` refuse the folder. Empty for a missing or fresh folder.
    public static func existingRunFiles(in runFolder: String) -> [String] {
        TrainingRunFolder(path: runFolder, keepCheckpoints: 1).existingRunFiles()
    }

    /// Asks the running `run()`/`resume()` to stop after the current iteration (thread-safe).
    public func requestStop() { stopHandle.requestStop() }

    // MARK: Starting

    /// Starts a fresh run in the run folder and trains until the learner has completed
    /// `configuration.steps` iterations or a stop is requested. Throws
    /// ``TrainerError/runFolderInUse(runFolder:found:)`` — before writing anything — when the folder
    /// already holds metrics or checkpoints.
    public func run() throws -> TrainingSummary {
        defer { stopHandle.clear() }
        let found = folder.existingRunFiles()
        guard found.isEmpty else { throw TrainerError.runFolderInUse(runFolder: runFolder, found: found) }
        let start = learner.completedIterations
        guard start < configuration.steps else {
            throw TrainerError.nothingToTrain(completed: start, steps: configuration.steps)
        }
        try folder.create()
        let lock = try RunFolderLock.acquire(runFolder: runFolder)
        defer { lock.release() }
        let foundAfterLocking = folder.existingRunFiles()       // another process may have started here meanwhile
        guard foundAfterLocking.isEmpty else { throw TrainerError.runFolderInUse(runFolder: runFolder, found: foundAfterLocking) }
        try folder.writeProvenanceIfMissing()
        let metrics = try MetricsStore(runFolder: runFolder, start: .fresh, flushInterval: configuration.metricsFlushInterval)
        return try train(metrics: metrics, skippedSoFar: 0, lastGood: nil)
    }

    /// ``resume()`` — or, when the run folder holds no checkpoint at all because the run stopped before
    /// its first one (a kill, a scheduler's SIGKILL, a failed first write), ``run()`` from step 0: the
    /// partial `metrics.h5` and `metrics.csv` are renamed aside to `<name>.before-restart-<UTC time>`
    /// (kept, not deleted), and the learner — which must be fresh, as for `run()` — trains the run again
    /// with the run's seed, so the result equals the uninterrupted run's. `setAside` lists the renamed
    /// files (empty after a resume, or a restart with no metrics yet).
    public func resumeOrRestart() throws -> (summary: TrainingSummary, restarted: Bool, setAside: [String]) {
        guard FileManager.default.fileExists(atPath: runFolder) else { throw TrainerError.nothingToResume(runFolder: runFolder) }
        let lock = try RunFolderLock.acquire(runFolder: runFolder)     // reentrant: run() and resume() take it again
        defer { lock.release() }
        let hasCheckpoint = try folder.checkpoints.latestPath() != nil || !folder.checkpoints.steps().isEmpty
        if hasCheckpoint { return (try resume(), false, []) }
        let stamp = MetricsFileLayout.timestamp().replacingOccurrences(of: ":", with: "")
        var setAside: [String] = []
        for path in [folder.metricsHDF5Path, folder.metricsCSVPath] where FileManager.default.fileExists(atPath: path) {
            let kept = path + ".before-restart-" + stamp
            try FileManager.default.moveItem(atPath: path, toPath: kept)
            setAside.append(kept)
        }
        return (try run(), true, setAside)
    }

    /// Resumes the run in the run folder from its latest checkpoint: restores the learner, drops
    /// metrics rows after the checkpoint's step, and trains on to `configuration.steps`. Throws when
    /// there is no checkpoint, when it was written by another method or seed, when it lies beyond
    /// `configuration.steps`, or when `metrics.h5` does not cover it or holds no valid skipped-step
    /// count at its step.
    public func resume() throws -> TrainingSummary {
        defer { stopHandle.clear() }
        guard FileManager.default.fileExists(atPath: runFolder) else { throw TrainerError.nothingToResume(runFolder: runFolder) }
        let lock = try RunFolderLock.acquire(runFolder: runFolder)
        defer { lock.release() }
        guard let path = try folder.checkpoints.latestPath() else { throw TrainerError.nothingToResume(runFolder: runFolder) }
        let checkpoint = try CheckpointFile.read(from: path)
        guard checkpoint.method == learner.methodName else {
            throw TrainerError.checkpointMismatch(path: path, field: "method", checkpoint: checkpoint.method, learner: learner.methodName)
        }
        guard checkpoint.seed == learner.seed else {
            throw TrainerError.checkpointMismatch(path: path, field: "seed", checkpoint: "\(checkpoint.seed)", learner: "\(learner.seed)")
        }
        guard checkpoint.step <= configuration.steps else {
            throw TrainerError.nothingToTrain(completed: checkpoint.step, steps: configuration.steps)
        }
        // Everything that can refuse the resume comes before the store below, which drops the metrics
        // rows after the checkpoint's step: a refused resume leaves metrics.h5 and metrics.csv as they were.
        // A readable metrics.h5 without the checkpoint's row, or whose row has no valid skipped-step
        // count, is corrupt or belongs to another run. An unreadable one (a kill inside a flush) is left
        // to the store, which rebuilds it from metrics.csv (and `skippedSteps` checks the row it rebuilt).
        if checkpoint.step > 0, let stored = Self.storedSteps(folder.metricsHDF5Path, skippedStepsAt: Int64(checkpoint.step)) {
            switch stored.skipped {
            case .noRow:
                throw TrainerError.metricsBehindCheckpoint(path: folder.metricsHDF5Path, checkpointStep: checkpoint.step,
                                                           lastMetricsStep: stored.steps.last)
            case .noSeries:
                _ = try skippedStepCount(nil, atStep: checkpoint.step)
            case let .value(value):
                _ = try skippedStepCount(value, atStep: checkpoint.step)
            case .unreadable:
                break
            }
        }
        // A checkpoint whose names or shapes no longer match the learner (an edited configuration)
        // is refused here.
        try learner.restore(from: checkpoint, path: path)
        guard learner.completedIterations == checkpoint.step else {
            throw TrainerError.learnerContractViolated(
                "after restoring \(path) (step \(checkpoint.step)) it reports \(learner.completedIterations) completed iterations")
        }
        let metrics = try MetricsStore(runFolder: runFolder, start: .resuming(fromStep: Int64(checkpoint.step)),
                                       flushInterval: configuration.metricsFlushInterval)
        let skippedSoFar: Int
        do {
            skippedSoFar = try skippedSteps(atStep: checkpoint.step, in: metrics)
            try folder.writeProvenanceIfMissing()
        } catch {
            try? metrics.close()
            throw error
        }
        return try train(metrics: metrics, skippedSoFar: skippedSoFar, lastGood: (path, checkpoint.step))
    }

    /// What the metrics file holds for ``skippedStepsSeries`` in the checkpoint's row.
    private enum StoredSkippedSteps {
        /// The file has no row for the step.
        case noRow
        /// The row exists, but the file has no skipped-steps series.
        case noSeries
        /// The series exists, but its value in the row cannot be read.
        case unreadable
        case value(Double)
    }

    /// The step column of the metrics file at `path` and what it holds for ``skippedStepsSeries`` in
    /// the row of `step`, or nil when the file cannot be read. No other series is read.
    private static func storedSteps(_ path: String, skippedStepsAt step: Int64) -> (steps: [Int64], skipped: StoredSkippedSteps)? {
        guard let contents = try? MetricsFileLayout.open(path, mode: .readOnly) else { return nil }
        defer { try? contents.file.close() }
        guard let row = contents.stepValues.firstIndex(of: step) else { return (contents.stepValues, .noRow) }
        guard let series = contents.series.first(where: { $0.name == skippedStepsSeries })?.dataset else {
            return (contents.stepValues, .noSeries)
        }
        guard let value = try? series.read(as: Double.self, start: [row], count: [1]).first else {
            return (contents.stepValues, .unreadable)
        }
        return (contents.stepValues, .value(value))
    }

    /// `train/skipped_steps` in the metrics row of `step` (0 at step 0), read from `metrics` opened
    /// to resume from `step` (so its last row is the checkpoint's). The trainer flushes metrics before
    /// each checkpoint, so a checkpoint's step always has its row.
    private func skippedSteps(atStep step: Int, in metrics: MetricsStore) throws -> Int {
        let last = metrics.lastRecorded(Self.skippedStepsSeries)
        guard let last, last.step == Int64(step) else {
            if step == 0 { return 0 }
            throw TrainerError.metricsBehindCheckpoint(path: folder.metricsHDF5Path, checkpointStep: step, lastMetricsStep: last?.step)
        }
        return try skippedStepCount(metrics.seriesNames.contains(Self.skippedStepsSeries) ? last.value : nil, atStep: step)
    }

    /// The skipped-step count `value` stored in the metrics row of the checkpoint's `step` (nil: the
    /// file has no such series) as an integer; throws
    /// ``TrainerError/metricsSkippedStepsInvalid(path:checkpointStep:found:)`` unless it is a whole
    /// number in 0…`step` (each of the `step` completed iterations is skipped at most once).
    private func skippedStepCount(_ value: Double?, atStep step: Int) throws -> Int {
        guard let value, value.isFinite, value.rounded() == value, value >= 0, value <= Double(step) else {
            throw TrainerError.metricsSkippedStepsInvalid(path: folder.metricsHDF5Path, checkpointStep: step,
                                                          found: value.map { "\($0)" })
        }
        return Int(value)
    }

    // MARK: The loop

    private struct LoopState {
        var skippedTotal: Int
        var consecutiveSkipped = 0
        var checkpointDue = false
        var lastGood: (path: String, step: Int)?
        var finalMetrics: [String: Double] = [:]
        var lastEvaluation: (step: Int, values: [String: Double])?
    }

    private func train(metrics: MetricsStore, skippedSoFar: Int, lastGood: (path: String, step: Int)?) throws -> TrainingSummary {
        let clock = ContinuousClock()
        let began = clock.now
        let startStep = learner.completedIterations
        let total = configuration.steps
        let progress = TrainingProgress(style: configuration.progress, totalSteps: total, startStep: startStep)
        let signalBaseline = configuration.handlesInterruptSignals ? InterruptSignals.begin() : nil
        defer {
            if signalBaseline != nil { InterruptSignals.end() }
            progress.finish()
        }
        var state = LoopState(skippedTotal: skippedSoFar, lastGood: lastGood)
        // A resumed run starts from the training metrics of its checkpoint's row, so a run resumed with
        // nothing left to train (a sweep run killed between its last step and its summary) reports the
        // same final metrics as the session that trained that step.
        if lastGood != nil, let (step, values) = metrics.lastRecordedRow(), step == Int64(startStep) {
            state.finalMetrics = values.filter { $0.key.hasPrefix(Self.trainPrefix) }
        }
        var interrupted = false
        do {
            while learner.completedIterations < total {
                let step = try trainOneStep(metrics: metrics, state: &state)
                let signalled = signalBaseline.map(InterruptSignals.received(since:)) ?? false
                let stopping = (signalled || stopHandle.isStopRequested) && step < total
                if state.consecutiveSkipped == 0 && (state.checkpointDue || step == total || stopping) {
                    try metrics.flush()
                    let path = try folder.checkpoints.save(learner.checkpoint())
                    state.lastGood = (path, step)
                    state.checkpointDue = false
                }
                progress.update(step: step, loss: state.finalMetrics[Self.trainPrefix + "loss"])
                if stopping {
                    interrupted = true
                    progress.note("training stopped at step \(step) of \(total)" + (signalled ? " by a signal" : "")
                                  + (state.lastGood.map { "; checkpoint \($0.path)" } ?? ""))
                    break
                }
            }
            try metrics.close()
        } catch {
            do { try metrics.close() } catch let closeError {
                FileHandle.standardError.write(Data("warning: closing the metrics of \(runFolder) failed: \(closeError)\n".utf8))
            }
            throw error
        }
        return TrainingSummary(
            runFolder: runFolder, startStep: startStep, completedSteps: learner.completedIterations,
            finalMetrics: state.finalMetrics, lastEvaluation: state.lastEvaluation?.values,
            lastEvaluationStep: state.lastEvaluation?.step, checkpointPath: state.lastGood?.path,
            checkpointStep: state.lastGood?.step, metricsHDF5Path: folder.metricsHDF5Path, metricsCSVPath: folder.metricsCSVPath,
            provenancePath: folder.provenancePath, interrupted: interrupted, skippedSteps: state.skippedTotal,
            wallTime: began.duration(to: clock.now))
    }

    /// One iteration: train, record, evaluate when due, mark a checkpoint due; throws when the skip
    /// streak reaches its limit. Returns the completed step.
    private func trainOneStep(metrics: MetricsStore, state: inout LoopState) throws -> Int {
        let before = learner.completedIterations
        let report = try learner.trainStep()
        let step = learner.completedIterations
        guard step == before + 1 else {
            throw TrainerError.learnerContractViolated("trainStep() moved completedIterations from \(before) to \(step), expected \(before + 1)")
        }
        if report.skipped {
            state.consecutiveSkipped += 1
            state.skippedTotal += 1
        } else {
            state.consecutiveSkipped = 0
        }
        var row = try Self.prefixed(report.metrics, Self.trainPrefix)
        row[Self.skippedStepsSeries] = Double(state.skippedTotal)
        try metrics.record(step: step, row)
        state.finalMetrics = row
        if configuration.evaluatesAt(step: step) {
            let evaluation = try Self.prefixed(learner.evaluate(), Self.evaluationPrefix)
            try metrics.record(step: step, evaluation)
            state.lastEvaluation = (step, evaluation)
        }
        if step % configuration.checkpointEvery == 0 { state.checkpointDue = true }
        if state.consecutiveSkipped >= configuration.maximumConsecutiveSkippedSteps {
            throw TrainerError.tooManySkippedSteps(
                count: state.consecutiveSkipped, firstStep: step - state.consecutiveSkipped + 1, lastStep: step,
                lastGoodCheckpoint: state.lastGood?.path, lastGoodStep: state.lastGood?.step)
        }
        return step
    }

    /// `values` under `prefix`: a name that already starts with `prefix` (the Agents learners report
    /// `train/loss`) is kept as it is, any other gets the prefix — so a series is never recorded as
    /// `train/train/loss`. `train/skipped_steps` is the trainer's own run-wide count: a learner's value
    /// under that name is dropped (the trainer writes its count into the row), while a learner that
    /// reports the bare name `skipped_steps` is refused (``TrainerError/reservedMetricName(_:)``), and
    /// so are two names of one series (`loss` and `train/loss`): which value was kept depended on the
    /// dictionary's order, which differs between processes (``TrainerError/metricNameCollision(series:names:)``).
    static func prefixed(_ values: [String: Double], _ prefix: String) throws -> [String: Double] {
        var result: [String: Double] = [:]
        var source: [String: String] = [:]
        for (name, value) in values {
            let alreadyPrefixed = name.hasPrefix(prefix)
            let full = alreadyPrefixed ? name : prefix + name
            if full == skippedStepsSeries {
                if alreadyPrefixed { continue }
                throw TrainerError.reservedMetricName(name)
            }
            if let other = source.updateValue(name, forKey: full) {
                throw TrainerError.metricNameCollision(series: full, names: [other, name].sorted())
            }
            result[full] = value
        }
        return result
    }
}
