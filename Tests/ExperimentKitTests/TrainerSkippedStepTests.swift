import Agents
@testable import ExperimentKit
import Foundation
import Testing

extension TrainerTests {
    @Suite("Trainer: non-finite steps")
    struct SkippedSteps {
        @Test("K consecutive skipped steps stop the run with an error naming the last good checkpoint, left intact")
        func streakStopsTheRun() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                learner.nonFiniteIterations = [5, 6, 7]   // steps 6, 7, 8
                let configuration = try testConfiguration(steps: 20, checkpointEvery: 2, maximumConsecutiveSkippedSteps: 3)
                let trainer = Trainer(learner: learner, runFolder: root, configuration: configuration)
                let goodPath = trainer.checkpointFolder.path(step: 4)
                expectTrainerError(containing: ["3 consecutive steps (6…8) were skipped", "not finite", goodPath, "(step 4)"]) {
                    _ = try trainer.run()
                }
                // Nothing saved after the streak began (step 6 was due, deferred, never written).
                #expect(trainer.checkpointFolder.steps() == [2, 4])
                #expect(try trainer.checkpointFolder.latestPath() == goodPath)
                let reference = try LinearRegressionLearner()
                for _ in 0..<4 { _ = try reference.trainStep() }
                let restored = try LinearRegressionLearner()
                try restored.restore(from: try CheckpointFile.read(from: goodPath), path: goodPath)
                #expect(restored.state.values == reference.state.values && restored.state.slots == reference.state.slots)
                // The skipped steps' rows were flushed on the way out.
                let stored = try MetricsStore.read(root + "/metrics.h5")
                #expect(stored.steps == Array(1...8))
                #expect(stored.series["train/skipped_steps"] == [0, 0, 0, 0, 0, 1, 2, 3])
                // Skipped steps applied no update: the state equals that after step 5.
                _ = try reference.trainStep()
                #expect(learner.state.values == reference.state.values)
            }
        }

        @Test("a short streak is counted, and the checkpoint due inside it is written at the next applied update")
        func shortStreakDefersTheCheckpoint() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                learner.nonFiniteIterations = [3, 4]   // steps 4 and 5
                let configuration = try testConfiguration(steps: 8, checkpointEvery: 4, maximumConsecutiveSkippedSteps: 3)
                let trainer = Trainer(learner: learner, runFolder: root, configuration: configuration)
                let summary = try trainer.run()
                #expect(summary.skippedSteps == 2 && summary.completedSteps == 8)
                #expect(trainer.checkpointFolder.steps() == [6, 8])
                let stored = try MetricsStore.read(root + "/metrics.h5")
                #expect(stored.series["train/skipped_steps"] == [0, 0, 0, 1, 2, 2, 2, 2])
            }
        }

        @Test("the skipped-step count continues across a resume")
        func skippedCountSurvivesResume() throws {
            try withTemporaryDirectory { root in
                let first = try LinearRegressionLearner()
                first.nonFiniteIterations = [1]
                _ = try Trainer(learner: first, runFolder: root, configuration: try testConfiguration(steps: 4, checkpointEvery: 4)).run()
                let second = try LinearRegressionLearner()
                second.nonFiniteIterations = [5]
                let summary = try Trainer(learner: second, runFolder: root, configuration: try testConfiguration(steps: 7, checkpointEvery: 4)).resume()
                #expect(summary.skippedSteps == 2)
                #expect(try MetricsStore.read(root + "/metrics.h5").series["train/skipped_steps"] == [0, 1, 1, 1, 1, 2, 2])
            }
        }

        @Test("the run ending inside a streak writes no final checkpoint")
        func endingInsideAStreak() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                learner.nonFiniteIterations = [4, 5]   // steps 5 and 6, the last two
                let trainer = Trainer(learner: learner, runFolder: root,
                                      configuration: try testConfiguration(steps: 6, checkpointEvery: 2, maximumConsecutiveSkippedSteps: 3))
                let summary = try trainer.run()
                #expect(trainer.checkpointFolder.steps() == [2, 4])
                #expect(summary.checkpointStep == 4 && summary.completedSteps == 6 && summary.skippedSteps == 2)
            }
        }
    }
}
