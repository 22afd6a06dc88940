import Agents
import Environments
import ExperimentKit
import Foundation
import Testing

/// DESIGN.md §4: a run stopped and resumed from its checkpoint ends bit-identical to the uninterrupted
/// run — parameters, target network, optimizer, evaluation average and every metric.
@Suite("Resume equals uninterrupted")
struct ResumeTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

    static func configuration(_ method: ConsistencyMethod) throws -> ConsistencyTrainingConfiguration {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: 12, dimension: 2)
        configuration.network.width = 32
        configuration.network.depth = 2
        configuration.batchSize = 64
        configuration.target = method == .ct ? .nStep(2) : .td0
        return configuration
    }

    static func folder(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "consistency-td-resume-\(name)-\(UUID().uuidString)"
        return path
    }

    static func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    @Test("CT (EMA target, 2-step targets) and iCT (dropout) resumed from step 4 or 6 end bit-identical", arguments: [ConsistencyMethod.ct, .ict])
    func resumedRunIsIdentical(method: ConsistencyMethod) throws {
        let configuration = try Self.configuration(method)
        let whole = Self.folder("whole"), split = Self.folder("split")
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: split) }
        let settings = try TrainerConfiguration(steps: 12, checkpointEvery: 4, evaluateEvery: 3, progress: .silent,
                                                handlesInterruptSignals: false)
        let uninterrupted = try ConsistencyLearner(configuration: configuration, distribution: Self.ring)
        uninterrupted.evaluator = { model in ["mean_output": try model.consistency([0.5, -0.5], time: 1.0).reduce(0, +)] }
        _ = try Trainer(learner: uninterrupted, runFolder: whole, configuration: settings).run()

        let first = try ConsistencyLearner(configuration: configuration, distribution: Self.ring)
        first.evaluator = uninterrupted.evaluator
        _ = try Trainer(learner: first, runFolder: split,
                        configuration: TrainerConfiguration(steps: 6, checkpointEvery: 4, evaluateEvery: 3, progress: .silent,
                                                            handlesInterruptSignals: false)).run()
        let resumed = try ConsistencyLearner(configuration: configuration, distribution: Self.ring)
        resumed.evaluator = uninterrupted.evaluator
        let summary = try Trainer(learner: resumed, runFolder: split, configuration: settings).resume()
        #expect(summary.completedSteps == 12)

        let a = uninterrupted.checkpoint(), b = resumed.checkpoint()
        #expect(a.parameters == b.parameters)
        #expect(a.targetParameters == b.targetParameters)
        #expect(a.optimizer == b.optimizer)
        #expect(a.averages == b.averages)
        #expect(!a.parameters.isEmpty && (method != .ct || a.targetParameters != nil))
        let metricsA = try MetricsStore.read(whole + "/metrics.h5"), metricsB = try MetricsStore.read(split + "/metrics.h5")
        #expect(metricsA.steps == metricsB.steps)
        #expect(Set(metricsA.series.keys) == Set(metricsB.series.keys))
        for (name, values) in metricsA.series {
            #expect(Self.bits(values) == Self.bits(metricsB.series[name] ?? []), "series \(name)")
        }
        #expect(metricsA.series.keys.contains("eval/mean_output"))
    }

    @Test("diffusion pretraining resumed mid-run is bit-identical")
    func diffusionResume() throws {
        var configuration = DiffusionPretrainingConfiguration(steps: 10, dimension: 2, width: 32, depth: 2)
        configuration.batchSize = 64
        let whole = Self.folder("diffusion-whole"), split = Self.folder("diffusion-split")
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: split) }
        let uninterrupted = try DiffusionPretrainer(configuration: configuration, distribution: Self.ring)
        _ = try Trainer(learner: uninterrupted, runFolder: whole,
                        configuration: TrainerConfiguration(steps: 10, checkpointEvery: 5, progress: .silent, handlesInterruptSignals: false)).run()
        let first = try DiffusionPretrainer(configuration: configuration, distribution: Self.ring)
        _ = try Trainer(learner: first, runFolder: split,
                        configuration: TrainerConfiguration(steps: 5, checkpointEvery: 5, progress: .silent, handlesInterruptSignals: false)).run()
        let resumed = try DiffusionPretrainer(configuration: configuration, distribution: Self.ring)
        _ = try Trainer(learner: resumed, runFolder: split,
                        configuration: TrainerConfiguration(steps: 10, checkpointEvery: 5, progress: .silent, handlesInterruptSignals: false)).resume()
        #expect(uninterrupted.checkpoint().parameters == resumed.checkpoint().parameters)
        #expect(uninterrupted.checkpoint().optimizer == resumed.checkpoint().optimizer)
    }
}
