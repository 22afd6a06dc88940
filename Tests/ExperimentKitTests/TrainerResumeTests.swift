import Agents
@testable import ExperimentKit
import Foundation
import NeuralNetworks
import Testing

extension TrainerTests {
    @Suite("Trainer: resuming")
    struct Resume {
        /// Trains `steps` iterations without stopping into `folder`; returns the learner.
        private func uninterrupted(_ folder: String, steps: Int) throws -> LinearRegressionLearner {
            let learner = try LinearRegressionLearner()
            let configuration = try testConfiguration(steps: steps, checkpointEvery: 4, evaluateEvery: 3)
            let summary = try Trainer(learner: learner, runFolder: folder, configuration: configuration).run()
            #expect(summary.completedSteps == steps && !summary.interrupted)
            return learner
        }

        /// Resumes `folder` with a fresh learner up to `steps`; returns the learner and the summary.
        private func resumed(_ folder: String, steps: Int) throws -> (LinearRegressionLearner, TrainingSummary) {
            let learner = try LinearRegressionLearner()
            let configuration = try testConfiguration(steps: steps, checkpointEvery: 4, evaluateEvery: 3)
            let summary = try Trainer(learner: learner, runFolder: folder, configuration: configuration).resume()
            return (learner, summary)
        }

        /// A 12-step run into `folder` whose learner throws in iteration 9 (after the checkpoint at 8);
        /// returns its trainer.
        private func failingAtIteration9(_ folder: String) throws -> Trainer {
            let learner = try LinearRegressionLearner()
            learner.failAtIteration = 9
            let trainer = Trainer(learner: learner, runFolder: folder,
                                  configuration: try testConfiguration(steps: 12, checkpointEvery: 4, evaluateEvery: 3))
            #expect(throws: LinearRegressionLearner.InjectedFailure.self) { try trainer.run() }
            return trainer
        }

        private func expectSameState(_ a: LinearRegressionLearner, _ b: LinearRegressionLearner) {
            #expect(a.completedIterations == b.completedIterations)
            #expect(a.state.values == b.state.values, "parameters differ")
            #expect(a.state.slots == b.state.slots, "Adam moments differ")
            #expect(a.state.optimizerSteps == b.state.optimizerSteps)
        }

        @Test("a run stopped by requestStop after 7 steps and resumed ends bit-identical to the uninterrupted run")
        func stoppedAndResumedEqualsUninterrupted() throws {
            try withTemporaryDirectory { root in
                let reference = try uninterrupted(root + "/reference", steps: 12)

                let learner = try LinearRegressionLearner()
                let trainer = Trainer(learner: learner, runFolder: root + "/stopped",
                                      configuration: try testConfiguration(steps: 12, checkpointEvery: 4, evaluateEvery: 3))
                let stop = trainer.stopHandle
                learner.onIteration = { iteration in if iteration == 6 { stop.requestStop() } }
                let first = try trainer.run()
                #expect(first.interrupted && first.completedSteps == 7 && first.checkpointStep == 7)
                #expect(trainer.checkpointFolder.steps() == [4, 7])
                #expect(!stop.isStopRequested, "the request is consumed by the run it stopped")

                let (resumedLearner, second) = try resumed(root + "/stopped", steps: 12)
                #expect(second.startStep == 7 && second.completedSteps == 12 && !second.interrupted)
                #expect(second.stepsThisSession == 5)
                expectSameState(resumedLearner, reference)
                try expectSameMetrics(root + "/stopped", root + "/reference")
            }
        }

        @Test("a shorter first run resumed with a larger step count extends it to the uninterrupted run")
        func resumeWithMoreStepsExtendsTheRun() throws {
            try withTemporaryDirectory { root in
                let reference = try uninterrupted(root + "/reference", steps: 12)
                _ = try uninterrupted(root + "/extended", steps: 5)
                let (learner, summary) = try resumed(root + "/extended", steps: 12)
                #expect(summary.startStep == 5 && summary.completedSteps == 12)
                expectSameState(learner, reference)
                try expectSameMetrics(root + "/extended", root + "/reference")
            }
        }

        @Test("a session that fails keeps its metrics up to the failure; resuming drops the rows after the checkpoint")
        func failedSessionResumesFromItsCheckpoint() throws {
            try withTemporaryDirectory { root in
                let reference = try uninterrupted(root + "/reference", steps: 12)
                let trainer = try failingAtIteration9(root + "/failed")
                // Flushed on the way out: every completed step is on disk, past the checkpoint at 8.
                #expect(try MetricsStore.read(root + "/failed/metrics.h5").steps == Array(1...9))
                #expect(try trainer.checkpointFolder.latestPath() == trainer.checkpointFolder.path(step: 8))

                let (resumedLearner, summary) = try resumed(root + "/failed", steps: 12)
                #expect(summary.startStep == 8)
                expectSameState(resumedLearner, reference)
                try expectSameMetrics(root + "/failed", root + "/reference")
            }
        }

        /// What `kill -9` inside a metrics flush leaves (the reliability suite's crash test met it): the
        /// resume must recover metrics.h5 from metrics.csv before anything reads it.
        @Test("a damaged metrics.h5 is rebuilt from metrics.csv on resume, and the run ends bit-identical to the uninterrupted one",
              arguments: MetricsRecoveryTests.Damage.allCases)
        func damagedMetricsAreRebuiltOnResume(_ damage: MetricsRecoveryTests.Damage) throws {
            try withTemporaryDirectory { root in
                let reference = try uninterrupted(root + "/reference", steps: 12)
                _ = try failingAtIteration9(root + "/crashed")
                try MetricsRecoveryTests.damage(root + "/crashed/metrics.h5", damage)
                #expect(throws: (any Error).self, "the damage must make metrics.h5 unreadable") {
                    try MetricsStore.read(root + "/crashed/metrics.h5")
                }

                let (resumedLearner, summary) = try resumed(root + "/crashed", steps: 12)
                #expect(summary.startStep == 8 && summary.completedSteps == 12)
                expectSameState(resumedLearner, reference)
                try expectSameMetrics(root + "/crashed", root + "/reference")
                let kept = try FileManager.default.contentsOfDirectory(atPath: root + "/crashed").filter { $0.hasPrefix("metrics.h5.damaged-") }
                #expect(kept.count == 1, "the damaged file is kept beside the rebuilt one: \(kept)")
            }
        }

        /// Metrics from another run: rows before and after the checkpoint's step 6 but none at it. Opening
        /// the store to resume would drop the rows after 6, so the refusal must come first.
        @Test("resume refuses a metrics.h5 without the checkpoint's row and leaves it unchanged")
        func metricsWithoutTheCheckpointRowAreRefused() throws {
            try withTemporaryDirectory { root in
                _ = try uninterrupted(root + "/run", steps: 6)
                let foreign = try MetricsStore(runFolder: root + "/run", start: .replacing, flushInterval: .zero)
                for step in [1, 2, 3, 4, 5, 7, 8, 9] { try foreign.record(step: step, ["train/skipped_steps": 0, "train/loss": 1]) }
                try foreign.close()
                let before = try [MetricsStore.hdf5FileName, MetricsStore.csvFileName].map {
                    try Data(contentsOf: URL(fileURLWithPath: root + "/run/" + $0))
                }
                let trainer = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/run",
                                      configuration: try testConfiguration(steps: 10))
                expectTrainerError(containing: ["no row for the checkpoint's step 6", "its last step is 9"]) { _ = try trainer.resume() }
                let after = try [MetricsStore.hdf5FileName, MetricsStore.csvFileName].map {
                    try Data(contentsOf: URL(fileURLWithPath: root + "/run/" + $0))
                }
                #expect(after == before, "the metrics files were changed")
                #expect(try MetricsStore.read(root + "/run/metrics.h5").steps == [1, 2, 3, 4, 5, 7, 8, 9])
            }
        }

        /// A metrics row at the checkpoint's step 6 whose skipped-step count is wrong: `value` in
        /// `train/skipped_steps`, or (nil) no such series at all.
        struct BadSkippedSteps: CustomTestStringConvertible, Sendable {
            let value: Double?
            /// What the error must say about the value.
            let named: String
            var testDescription: String { value.map { "\($0)" } ?? "no series" }

            static let all: [BadSkippedSteps] = [
                .init(value: .nan, named: "train/skipped_steps value there is nan"),
                .init(value: .infinity, named: "train/skipped_steps value there is inf"),
                .init(value: -1, named: "train/skipped_steps value there is -1.0"),
                .init(value: 2.5, named: "train/skipped_steps value there is 2.5"),
                .init(value: 7, named: "train/skipped_steps value there is 7.0"),
                .init(value: 1e300, named: "train/skipped_steps value there is 1e+300"),
                .init(value: nil, named: "no train/skipped_steps series"),
            ]
        }

        /// Replaces the metrics of the 6-step run in `run` with rows 1…6 whose row 6 has `bad`.
        private func writeMetrics(_ run: String, withSkippedSteps bad: BadSkippedSteps) throws {
            let foreign = try MetricsStore(runFolder: run, start: .replacing, flushInterval: .zero)
            for step in 1...6 {
                var row = ["train/loss": 1.0]
                if let value = bad.value { row["train/skipped_steps"] = step == 6 ? value : 0 }
                try foreign.record(step: step, row)
            }
            try foreign.close()
        }

        /// The row exists, so "no row for step 6" would mislead: the message names the bad count.
        @Test("resume refuses a metrics.h5 whose checkpoint row has no valid skipped-step count, says so, and leaves it unchanged",
              arguments: BadSkippedSteps.all)
        func invalidSkippedStepCountIsRefused(_ bad: BadSkippedSteps) throws {
            try withTemporaryDirectory { root in
                _ = try uninterrupted(root + "/run", steps: 6)
                try writeMetrics(root + "/run", withSkippedSteps: bad)
                let files = [MetricsStore.hdf5FileName, MetricsStore.csvFileName].map { root + "/run/" + $0 }
                let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
                let trainer = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/run",
                                      configuration: try testConfiguration(steps: 10))
                expectTrainerError(containing: ["has a row for the checkpoint's step 6", bad.named,
                                                "expected a whole number of skipped steps from 0 to 6", "corrupt"]) {
                    _ = try trainer.resume()
                }
                let after = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
                #expect(after == before, "the metrics files were changed")
            }
        }

        /// The same check on the row rebuilt from metrics.csv when metrics.h5 is unreadable.
        @Test("resume refuses a metrics.csv whose checkpoint row has no valid skipped-step count after rebuilding a damaged metrics.h5",
              arguments: BadSkippedSteps.all)
        func invalidSkippedStepCountInTheRebuiltMetricsIsRefused(_ bad: BadSkippedSteps) throws {
            try withTemporaryDirectory { root in
                _ = try uninterrupted(root + "/run", steps: 6)
                try writeMetrics(root + "/run", withSkippedSteps: bad)
                try MetricsRecoveryTests.damage(root + "/run/metrics.h5", .truncated)
                let trainer = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/run",
                                      configuration: try testConfiguration(steps: 10))
                expectTrainerError(containing: ["has a row for the checkpoint's step 6", bad.named,
                                                "expected a whole number of skipped steps from 0 to 6"]) {
                    _ = try trainer.resume()
                }
            }
        }

        /// A learner whose weight has 5 entries where the checkpoint's has 4 (a configuration edited
        /// between sessions): restoring the checkpoint into it throws a shape mismatch.
        private final class MisshapenLearner: TrainingLearner {
            let methodName = "linear-regression"
            let seed: UInt64 = 7
            let configurationJSON = "{}"
            let completedIterations = 0
            let store = ParameterStore(seed: 7)
            let optimizer: Adam

            init() throws {
                _ = try store.register(name: "weight", shape: [LinearRegressionLearner.inputDimension + 1], initializer: .zeros)
                _ = try store.register(name: "bias", shape: [1], initializer: .zeros)
                optimizer = try Adam()
            }

            func trainStep() throws -> TrainingStepReport { Issue.record("trained after a refused restore"); throw CancellationError() }
            func evaluate() throws -> [String: Double] { [:] }
            func checkpoint() -> Checkpoint {
                Checkpoint(step: 0, method: methodName, seed: seed, configuration: configurationJSON, store: store, optimizer: optimizer)
            }
            func restore(from checkpoint: Checkpoint, path: String) throws {
                try checkpoint.restore(into: store, optimizer: optimizer, path: path)
            }
        }

        /// The failed session left rows 1…9 past its checkpoint at 8; opening the metrics to resume
        /// would drop row 9, so the learner must reject the checkpoint first.
        @Test("a resume whose learner rejects the checkpoint leaves metrics.h5 and metrics.csv byte for byte unchanged")
        func rejectedCheckpointLeavesTheMetricsUnchanged() throws {
            try withTemporaryDirectory { root in
                _ = try failingAtIteration9(root + "/run")
                let files = [MetricsStore.hdf5FileName, MetricsStore.csvFileName].map { root + "/run/" + $0 }
                let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
                let trainer = Trainer(learner: try MisshapenLearner(), runFolder: root + "/run",
                                      configuration: try testConfiguration(steps: 12, checkpointEvery: 4, evaluateEvery: 3))
                #expect(throws: CheckpointError.self) { _ = try trainer.resume() }
                let after = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
                #expect(after == before, "the metrics files were changed")
                #expect(try MetricsStore.read(root + "/run/metrics.h5").steps == Array(1...9))

                let (_, summary) = try resumed(root + "/run", steps: 12)
                #expect(summary.startStep == 8 && summary.completedSteps == 12, "the matching learner still resumes")
            }
        }

        @Test("resuming a finished run trains nothing and returns its last checkpoint")
        func resumingAFinishedRunTrainsNothing() throws {
            try withTemporaryDirectory { root in
                let reference = try uninterrupted(root + "/run", steps: 6)
                let stored = try MetricsStore.read(root + "/run/metrics.h5")
                let (learner, summary) = try resumed(root + "/run", steps: 6)
                #expect(summary.stepsThisSession == 0 && summary.checkpointStep == 6)
                expectSameState(learner, reference)
                // The final metrics are step 6's training row, as the session that trained it reported
                // them (a sweep that lost its summary.json writes the same one again).
                let trainSeries = stored.series.filter { $0.key.hasPrefix("train/") }
                #expect(!trainSeries.isEmpty && Set(summary.finalMetrics.keys) == Set(trainSeries.keys))
                for (name, values) in trainSeries {
                    #expect(summary.finalMetrics[name]?.bitPattern == values.last?.bitPattern, "\(name)")
                }
            }
        }

        /// A kill before the first checkpoint leaves metrics but no checkpoint: the run is simulated by a
        /// whole run whose checkpoints are then removed.
        @Test("resumeOrRestart trains a run without any checkpoint again from step 0, keeps its partial metrics aside, and ends bit-identical")
        func restartWithoutCheckpoint() throws {
            try withTemporaryDirectory { root in
                let folder = root + "/run"
                let reference = try uninterrupted(root + "/reference", steps: 6)
                let referenceCSV = try String(contentsOfFile: root + "/reference/metrics.csv", encoding: .utf8)
                _ = try uninterrupted(folder, steps: 6)
                try FileManager.default.removeItem(atPath: folder + "/checkpoints")
                let learner = try LinearRegressionLearner()
                let trainer = Trainer(learner: learner, runFolder: folder,
                                      configuration: try testConfiguration(steps: 6, checkpointEvery: 4, evaluateEvery: 3))
                let (summary, restarted, setAside) = try trainer.resumeOrRestart()
                #expect(restarted && summary.startStep == 0 && summary.completedSteps == 6)
                #expect(setAside.count == 2 && setAside.allSatisfy { $0.contains(".before-restart-") })
                #expect(setAside.allSatisfy { FileManager.default.fileExists(atPath: $0) })
                #expect(try String(contentsOfFile: setAside[1], encoding: .utf8) == referenceCSV)
                expectSameState(learner, reference)
                try expectSameMetrics(folder, root + "/reference")
                #expect(summary.checkpointStep == 6)

                // With a checkpoint, it is resume(): nothing set aside, nothing left to train.
                let again = Trainer(learner: try LinearRegressionLearner(), runFolder: folder,
                                    configuration: try testConfiguration(steps: 6, checkpointEvery: 4, evaluateEvery: 3))
                let second = try again.resumeOrRestart()
                #expect(!second.restarted && second.setAside.isEmpty && second.summary.stepsThisSession == 0)

                let missing = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/missing",
                                      configuration: try testConfiguration(steps: 5))
                expectTrainerError(containing: ["no checkpoint"]) { _ = try missing.resumeOrRestart() }
            }
        }

        @Test("resume refuses a folder without checkpoints, another seed, and a step count below the checkpoint")
        func resumeRefusals() throws {
            try withTemporaryDirectory { root in
                let empty = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/empty",
                                    configuration: try testConfiguration(steps: 5))
                expectTrainerError(containing: ["no checkpoint", "Trainer.run()"]) { _ = try empty.resume() }

                _ = try uninterrupted(root + "/run", steps: 6)
                let otherSeed = Trainer(learner: try LinearRegressionLearner(seed: 8), runFolder: root + "/run",
                                        configuration: try testConfiguration(steps: 10))
                expectTrainerError(containing: ["seed 7", "seed 8"]) { _ = try otherSeed.resume() }
                let tooFew = Trainer(learner: try LinearRegressionLearner(), runFolder: root + "/run",
                                     configuration: try testConfiguration(steps: 4))
                expectTrainerError(containing: ["completed 6 iterations", "steps 4"]) { _ = try tooFew.resume() }
            }
        }
    }
}
