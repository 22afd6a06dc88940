import Agents
@testable import ExperimentKit
import Foundation
import Testing

extension TrainerTests {
    @Suite("Trainer: run folders and checkpoints")
    struct Checkpoints {
        @Test("checkpoints appear every N steps and at the end, and the latest holds the final state")
        func checkpointsEveryNAndAtTheEnd() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                let trainer = Trainer(learner: learner, runFolder: root, configuration: try testConfiguration(steps: 11, checkpointEvery: 4))
                var stepsSeen: [[Int]] = []
                learner.onIteration = { _ in stepsSeen.append(trainer.checkpointFolder.steps()) }
                let summary = try trainer.run()
                // Before iteration i the folder holds the checkpoints of steps ≤ i that are multiples of 4.
                #expect(stepsSeen == (0..<11).map { iteration in stride(from: 4, through: iteration, by: 4).map { $0 } })
                #expect(trainer.checkpointFolder.steps() == [4, 8, 11])
                #expect(summary.checkpointPath == trainer.checkpointFolder.path(step: 11) && summary.checkpointStep == 11)
                let latest = try #require(try trainer.checkpointFolder.loadLatest())
                let restored = try LinearRegressionLearner()
                try restored.restore(from: latest, path: "latest")
                #expect(restored.state.values == learner.state.values && restored.state.slots == learner.state.slots)
                #expect(FileManager.default.fileExists(atPath: root + "/provenance.json"))
                let provenance = try JSONDecoder().decode(Provenance.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/provenance.json")))
                #expect(provenance == Provenance.current)
                #expect(summary.metricsHDF5Path == root + "/metrics.h5" && summary.metricsCSVPath == root + "/metrics.csv")
            }
        }

        @Test("only the last K checkpoints are kept")
        func keepsTheLastK() throws {
            try withTemporaryDirectory { root in
                let configuration = try TrainerConfiguration(steps: 10, checkpointEvery: 2, keepCheckpoints: 2, progress: .silent)
                let trainer = Trainer(learner: try LinearRegressionLearner(), runFolder: root, configuration: configuration)
                _ = try trainer.run()
                #expect(trainer.checkpointFolder.steps() == [8, 10])
                #expect(try trainer.checkpointFolder.latestPath() == trainer.checkpointFolder.path(step: 10))
            }
        }

        @Test("every step's metrics are recorded under train/ at step = completed iterations, with the skipped-step count")
        func trainingMetricsPerStep() throws {
            try withTemporaryDirectory { root in
                let summary = try Trainer(learner: try LinearRegressionLearner(), runFolder: root,
                                          configuration: try testConfiguration(steps: 6)).run()
                let reference = try LinearRegressionLearner()
                let reports = try (0..<6).map { _ in try reference.trainStep() }
                let stored = try MetricsStore.read(root + "/metrics.h5")
                #expect(stored.steps == Array(1...6))
                #expect(Set(stored.series.keys) == ["train/loss", "train/grad_norm", "train/skipped_steps"])
                #expect(sameValues(stored.series["train/loss"] ?? [], reports.map { $0.metrics["loss"]! }))
                #expect(sameValues(stored.series["train/grad_norm"] ?? [], reports.map { $0.metrics["grad_norm"]! }))
                #expect(stored.series["train/skipped_steps"] == [0, 0, 0, 0, 0, 0])
                #expect(summary.finalMetrics == ["train/loss": reports[5].metrics["loss"]!, "train/grad_norm": reports[5].metrics["grad_norm"]!,
                                                 "train/skipped_steps": 0])
            }
        }

        @Test("a fresh run into a folder that holds a run is refused, pointing to resume, and changes nothing")
        func freshRunIntoUsedFolderIsRefused() throws {
            try withTemporaryDirectory { root in
                _ = try Trainer(learner: try LinearRegressionLearner(), runFolder: root, configuration: try testConfiguration(steps: 3)).run()
                let before = try MetricsStore.read(root + "/metrics.h5")
                let second = Trainer(learner: try LinearRegressionLearner(), runFolder: root, configuration: try testConfiguration(steps: 5))
                expectTrainerError(containing: ["already holds a run", "metrics.h5", "checkpoints/step-00000003.h5", "resume"]) {
                    _ = try second.run()
                }
                let after = try MetricsStore.read(root + "/metrics.h5")
                #expect(after.steps == before.steps && after.series == before.series)
                #expect(second.checkpointFolder.steps() == [3])

                // A folder with only a checkpoint (its metrics deleted) is refused too.
                try FileManager.default.removeItem(atPath: root + "/metrics.h5")
                try FileManager.default.removeItem(atPath: root + "/metrics.csv")
                expectTrainerError(containing: ["checkpoints/latest"]) { _ = try second.run() }
            }
        }
    }
}
