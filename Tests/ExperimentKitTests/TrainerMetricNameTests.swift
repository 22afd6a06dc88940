import Agents
import Environments
@testable import ExperimentKit
import Foundation
import Testing

extension TrainerTests {
    /// The Agents learners report `train/loss`; the trainer must record it once as `train/loss`, not
    /// as `train/train/loss` (which left the progress line without a loss).
    @Suite("Trainer: metric names")
    struct MetricNames {
        @Test("names already under train/ are kept, bare names get the prefix, eval/ names likewise")
        func prefixIsNeverDoubled() throws {
            let train = try Trainer.prefixed(["train/loss": 1, "grad_norm": 2, "train/learning_rate": 3], Trainer.trainPrefix)
            #expect(train == ["train/loss": 1, "train/grad_norm": 2, "train/learning_rate": 3])
            let evaluation = try Trainer.prefixed(["eval/nll": 4, "mmd": 5], Trainer.evaluationPrefix)
            #expect(evaluation == ["eval/nll": 4, "eval/mmd": 5])
        }

        @Test("train/skipped_steps from a learner gives way to the trainer's count; a bare skipped_steps is refused")
        func skippedStepsBelongToTheTrainer() throws {
            #expect(try Trainer.prefixed(["train/skipped_steps": 3, "train/loss": 1], Trainer.trainPrefix) == ["train/loss": 1])
            #expect(throws: TrainerError.self) { try Trainer.prefixed(["skipped_steps": 1], Trainer.trainPrefix) }
        }

        @Test("two names of one series (loss and train/loss) are refused, naming both, whatever the dictionary order")
        func collidingNamesAreRefused() throws {
            // Dictionaries of different capacities iterate in different orders; every one must throw the same error.
            for capacity in [2, 8, 64, 512] {
                var values = [String: Double](minimumCapacity: capacity)
                values["loss"] = 1
                values["train/loss"] = 2
                values["grad_norm"] = 3
                #expect(throws: TrainerError.metricNameCollision(series: "train/loss", names: ["loss", "train/loss"])) {
                    try Trainer.prefixed(values, Trainer.trainPrefix)
                }
            }
            #expect(throws: TrainerError.metricNameCollision(series: "eval/mmd", names: ["eval/mmd", "mmd"])) {
                try Trainer.prefixed(["mmd": 1, "eval/mmd": 2], Trainer.evaluationPrefix)
            }
        }

        @Test("a ConsistencyLearner's run records train/loss (not train/train/loss) in metrics.h5 and the summary")
        func consistencyLearnerMetricsAreNotDoubled() throws {
            try withTemporaryDirectory { root in
                var configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: 3, dimension: 2)
                configuration.network.width = 8
                configuration.network.depth = 1
                configuration.batchSize = 8
                let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
                let learner = try ConsistencyLearner(configuration: configuration, distribution: ring)
                let summary = try Trainer(learner: learner, runFolder: root, configuration: try testConfiguration(steps: 3)).run()
                let stored = try MetricsStore.read(root + "/metrics.h5")
                #expect(stored.series["train/loss"]?.count == 3)
                #expect(!stored.series.keys.contains { $0.hasPrefix("train/train/") }, "\(stored.series.keys.sorted())")
                #expect(stored.series["train/skipped_steps"] == [0, 0, 0])
                #expect(summary.finalMetrics["train/loss"] == stored.series["train/loss"]?.last)
            }
        }
    }
}
