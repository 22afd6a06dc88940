@testable import Agents
import Environments
import Foundation
import Replay
import Tensors
import Testing

/// Replayed pairs of a class-conditional model carry the label of the episode each window comes from:
/// every episode's states equal its label in every coordinate, so a row's label can be read off its state.
@Suite("Replayed pairs: episode labels condition a class-conditional model")
struct ReplayLabelTests {
    static let times = [2.0, 1.0, 0.5, 0.002]

    /// An episode of 1×4×4 states whose coordinates all equal `value` (label `label`).
    static func episode(value: Float, label: Int32?) throws -> Episode {
        let d = 16, steps = times.count - 1
        return try Episode(dimension: d, times: times, observations: [Float](repeating: value, count: (steps + 1) * d),
                           actions: [Float](repeating: value, count: steps * d), rewards: [Float](repeating: 0, count: steps * d),
                           terminations: [false, false, true], truncations: [false, false, false], seed: 0, label: label)
    }

    static func buffer(labels: [Int32?]) throws -> ReplayBuffer {
        var buffer = try ReplayBuffer(capacity: labels.count, dimension: 16, times: times)
        for (i, label) in labels.enumerated() { try buffer.append(try episode(value: Float(label ?? Int32(i)), label: label)) }
        return buffer
    }

    static func configuration(labelDropout: Double = 0, sampling: PairSource.ReplaySampling = .uniform) throws -> ConsistencyTrainingConfiguration {
        var configuration = try ClassConditionalTargetTests.configuration(estimator: .conditionalSample, labelDropout: labelDropout)
        configuration.pairSource = .replay(sampling)
        return configuration
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("every replayed row is labelled with its episode's label (uniform windows and time-stratified transitions)",
          arguments: [PairSource.ReplaySampling.uniform, .timeStratified])
    func rowsCarryEpisodeLabels(sampling: PairSource.ReplaySampling) throws {
        let buffer = try Self.buffer(labels: (0..<12).map { Int32($0 % 2) })
        let learner = try ConsistencyLearner(configuration: try Self.configuration(sampling: sampling), distribution: try twoClassImages(),
                                             replay: buffer)
        for k in 0..<3 {
            let pairs = try learner.preparePairs(iteration: k)
            let labels = try #require(pairs.labels)
            #expect(labels.count == 24)
            for row in 0..<24 { #expect(labels[row] == Int32(pairs.states[row * 16]), "iteration \(k), row \(row)") }
            #expect(Set(labels) == [0, 1])
        }
    }

    @Test("label dropout replaces replayed labels by the null class at its rate, and training steps run")
    func labelDropoutAppliesToReplayedRows() throws {
        let buffer = try Self.buffer(labels: (0..<12).map { Int32($0 % 2) })
        let learner = try ConsistencyLearner(configuration: try Self.configuration(labelDropout: 0.5), distribution: try twoClassImages(),
                                             replay: buffer)
        var dropped = 0, total = 0
        for k in 0..<20 {
            let pairs = try learner.preparePairs(iteration: k)
            for (row, label) in try #require(pairs.labels).enumerated() {
                if label == 2 { dropped += 1 } else { #expect(label == Int32(pairs.states[row * 16])) }
                total += 1
            }
        }
        #expect(dropped > total / 4 && dropped < 3 * total / 4, "\(dropped) of \(total) dropped")
        let report = try learner.trainStep()
        #expect(report.metrics["train/loss"].map { $0.isFinite } == true)
    }

    @Test("an unlabelled or out-of-range episode stops a class-conditional learner with a clear message")
    func missingOrBadLabelsFail() throws {
        let unlabelled = Self.message {
            _ = try ConsistencyLearner(configuration: try Self.configuration(), distribution: try twoClassImages(),
                                       replay: try Self.buffer(labels: [0, 1, nil]))
        }
        #expect(unlabelled.contains("needs a class label on every replayed episode"), "\(unlabelled)")
        let outOfRange = Self.message {
            _ = try ConsistencyLearner(configuration: try Self.configuration(), distribution: try twoClassImages(),
                                       replay: try Self.buffer(labels: [0, 1, 5]))
        }
        #expect(outOfRange.contains("class label 5, outside 0…1"), "\(outOfRange)")
        // A buffer refilled after construction is checked when its pairs are drawn.
        let learner = try ConsistencyLearner(configuration: try Self.configuration(), distribution: try twoClassImages(),
                                             replay: try Self.buffer(labels: [0, 1]))
        learner.replayBuffer = try Self.buffer(labels: [nil, nil])
        let later = Self.message { _ = try learner.preparePairs(iteration: 0) }
        #expect(later.contains("needs a class label"), "\(later)")
    }

    @Test("an unconditional model trained from labelled episodes ignores the labels")
    func unconditionalModelIgnoresLabels() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 10, dimension: 16)
        configuration.unet = tinyUNet(classes: 0)
        configuration.batchSize = 8
        configuration.pairSource = .replay(.uniform)
        let learner = try ConsistencyLearner(configuration: configuration, distribution: try twoClassImages(),
                                             replay: try Self.buffer(labels: [0, 1, 0, 1]))
        #expect(try learner.preparePairs(iteration: 0).labels == nil)
    }
}
