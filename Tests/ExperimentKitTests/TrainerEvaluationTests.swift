@testable import ExperimentKit
import Foundation
import Testing

extension TrainerTests {
    @Suite("Trainer: evaluation")
    struct Evaluation {
        @Test("evaluations are recorded under eval/ exactly at multiples of evaluateEvery, with the learner's values")
        func evaluationAtMultiples() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                let summary = try Trainer(learner: learner, runFolder: root,
                                          configuration: try testConfiguration(steps: 10, evaluateEvery: 3)).run()
                #expect(learner.evaluationCount == 3)

                let reference = try LinearRegressionLearner()
                var expected: [Int: [String: Double]] = [:]
                for step in 1...10 {
                    _ = try reference.trainStep()
                    if step % 3 == 0 { expected[step] = try reference.evaluate() }
                }
                let stored = try MetricsStore.read(root + "/metrics.h5")
                #expect(stored.steps == Array(1...10))
                for name in ["mse", "weight_error"] {
                    let column = try #require(stored.series["eval/" + name])
                    let wanted = (1...10).map { expected[$0]?[name] ?? .nan }
                    #expect(sameValues(column, wanted), "eval/\(name): \(column)")
                }
                #expect(summary.lastEvaluationStep == 9)
                #expect(summary.lastEvaluation == ["eval/mse": expected[9]!["mse"]!, "eval/weight_error": expected[9]!["weight_error"]!])
            }
        }

        @Test("evaluatesAtEnd adds the last step: alone, beside evaluateEvery, and once when the last step is a multiple")
        func evaluationAtTheEnd() throws {
            for (every, expected) in [(nil, [7]), (3, [3, 6, 7]), (7, [7])] as [(Int?, [Int])] {
                let configuration = try TrainerConfiguration(steps: 7, evaluateEvery: every, evaluatesAtEnd: true, progress: .silent)
                #expect((1...7).filter { configuration.evaluatesAt(step: $0) } == expected)
                try withTemporaryDirectory { root in
                    let learner = try LinearRegressionLearner()
                    let summary = try Trainer(learner: learner, runFolder: root, configuration: configuration).run()
                    #expect(learner.evaluationCount == expected.count && summary.lastEvaluationStep == 7)
                    let column = try #require(try MetricsStore.read(root + "/metrics.h5").series["eval/mse"])
                    #expect(column.indices.filter { !column[$0].isNaN }.map { $0 + 1 } == expected)
                }
            }
        }

        @Test("without evaluateEvery the learner is never evaluated")
        func noEvaluation() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                let summary = try Trainer(learner: learner, runFolder: root, configuration: try testConfiguration(steps: 4)).run()
                #expect(learner.evaluationCount == 0 && summary.lastEvaluation == nil)
                #expect(try MetricsStore.read(root + "/metrics.h5").series.keys.allSatisfy { !$0.hasPrefix("eval/") })
            }
        }
    }
}
