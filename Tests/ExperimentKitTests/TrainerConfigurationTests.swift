@testable import ExperimentKit
import Foundation
import Testing

extension TrainerTests {
    @Suite("Trainer: configuration")
    struct Configuration {
        /// An invalid setting, the setting's name and the value the message must show.
        struct InvalidCase: Sendable, CustomTestStringConvertible {
            var make: @Sendable () throws -> TrainerConfiguration
            var setting: String
            var value: String
            var testDescription: String { "\(setting) = \(value)" }
        }

        static let invalidCases: [InvalidCase] = [
            InvalidCase(make: { try TrainerConfiguration(steps: 0) }, setting: "steps", value: "0"),
            InvalidCase(make: { try TrainerConfiguration(steps: -5) }, setting: "steps", value: "-5"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, checkpointEvery: 0) }, setting: "checkpointEvery", value: "0"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, keepCheckpoints: 0) }, setting: "keepCheckpoints", value: "0"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, evaluateEvery: 0) }, setting: "evaluateEvery", value: "0"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, maximumConsecutiveSkippedSteps: 0) },
                        setting: "maximumConsecutiveSkippedSteps", value: "0"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, progress: .lines(every: 0)) }, setting: "progress", value: ".lines(every: 0)"),
            InvalidCase(make: { try TrainerConfiguration(steps: 10, metricsFlushInterval: .seconds(-1)) },
                        setting: "metricsFlushInterval", value: "-1"),
        ]

        @Test("an invalid setting fails before training starts, with a message naming the setting and its value",
              arguments: invalidCases)
        func invalidSettingsFailFirst(_ invalid: InvalidCase) throws {
            try withTemporaryDirectory { root in
                let folder = root + "/run"
                expectTrainerError(containing: ["invalid trainer configuration", invalid.setting + " is " + invalid.value, "expected"]) {
                    let configuration = try invalid.make()
                    _ = try Trainer(learner: try LinearRegressionLearner(), runFolder: folder, configuration: configuration).run()
                }
                #expect(!FileManager.default.fileExists(atPath: folder), "nothing may be written")
            }
        }

        @Test("the documented defaults")
        func defaults() throws {
            let configuration = try TrainerConfiguration(steps: 1)
            #expect(configuration.checkpointEvery == 1000 && configuration.keepCheckpoints == 3)
            #expect(configuration.evaluateEvery == nil && configuration.maximumConsecutiveSkippedSteps == 10)
            #expect(configuration.progress == .automatic && configuration.metricsFlushInterval == .seconds(5))
            #expect(configuration.handlesInterruptSignals)
        }

        @Test("a fresh run with a learner already past the step count is refused")
        func learnerPastStepCount() throws {
            try withTemporaryDirectory { root in
                let learner = try LinearRegressionLearner()
                for _ in 0..<3 { _ = try learner.trainStep() }
                expectTrainerError(containing: ["completed 3 iterations", "steps 2"]) {
                    _ = try Trainer(learner: learner, runFolder: root + "/run", configuration: try testConfiguration(steps: 2)).run()
                }
                #expect(!FileManager.default.fileExists(atPath: root + "/run"))
            }
        }
    }
}
