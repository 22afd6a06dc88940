@testable import Agents
import Environments
import Foundation
import NeuralNetworks
import Tensors
import Testing

@Suite("Label dropout for classifier-free guidance training")
struct LabelDropoutTests {
    @Test("the fraction of rows dropped to the null class matches p within 4 binomial standard errors, and dropped rows are exactly the null ones")
    func droppedFractionMatchesProbability() {
        let n = 20_000
        let labels = (0..<n).map { Int32($0 % 10) }
        for p in [0.1, 0.37] {
            var dropped = 0
            for k in 0..<4 {
                let (result, mask) = LabelDropout(probability: p).apply(labels, nullClass: 10, seed: 3, iteration: k)
                let flags = mask!
                dropped += flags.filter { $0 }.count
                #expect(result!.indices.allSatisfy { i in flags[i] ? result![i] == 10 : result![i] == labels[i] })
            }
            let fraction = Double(dropped) / Double(4 * n), standardError = (p * (1 - p) / Double(4 * n)).squareRoot()
            #expect(abs(fraction - p) < 4 * standardError, "p = \(p): dropped fraction \(fraction)")
        }
    }

    @Test("the dropped rows depend only on (seed, iteration): equal for equal keys, different otherwise; p = 0 returns the labels untouched")
    func droppingIsDeterministic() {
        let labels = (0..<512).map { Int32($0 % 3) }
        let a = LabelDropout(probability: 0.2).apply(labels, nullClass: 3, seed: 1, iteration: 5)
        let b = LabelDropout(probability: 0.2).apply(labels, nullClass: 3, seed: 1, iteration: 5)
        #expect(a.labels == b.labels && a.dropped == b.dropped)
        #expect(LabelDropout(probability: 0.2).apply(labels, nullClass: 3, seed: 1, iteration: 6).dropped != a.dropped)
        #expect(LabelDropout(probability: 0.2).apply(labels, nullClass: 3, seed: 2, iteration: 5).dropped != a.dropped)
        let off = LabelDropout(probability: 0).apply(labels, nullClass: 3, seed: 1, iteration: 5)
        #expect(off.labels == labels && off.dropped == nil)
    }

    /// The null row (label K) of the class-embedding table.
    static func nullRow(_ network: PreconditionedNetwork, classes: Int) throws -> [Float] {
        let entry = try #require(network.store.entry(named: "classEmbedding.weight"))
        return Array(network.store.values(of: entry.handle)[(classes * 8)...])
    }

    @Test("consistency training: p = 0 never touches the null class row and trains bit-identically to the default; p = 0.4 trains it")
    func learnerFeedsDroppedLabels() throws {
        let data = try twoClassImages()
        func train(_ p: Double?) throws -> (ConsistencyLearner, [Float]) {
            var configuration = try ClassConditionalTargetTests.configuration(estimator: .scoreIdentity(referenceSize: nil))
            if let p { configuration.labelDropout = p }
            let learner = try ConsistencyLearner(configuration: configuration, distribution: data)
            let before = try Self.nullRow(learner.online, classes: 2)
            for _ in 0..<3 { #expect(!(try learner.trainStep()).skipped) }
            return (learner, before)
        }
        let (off, offBefore) = try train(0), (standard, _) = try train(nil), (on, onBefore) = try train(0.4)
        #expect(try Self.nullRow(off.online, classes: 2) == offBefore)
        #expect(off.online.store.snapshotValues() == standard.online.store.snapshotValues())
        #expect(try Self.nullRow(on.online, classes: 2) != onBefore)
        #expect(try on.preparePairs(iteration: 0).labels!.contains(2))
        #expect(off.configuration.json == standard.configuration.json)
        #expect(on.configuration.json.contains("\"label_dropout\":0.4"))
    }

    @Test("diffusion pretraining with p = 0.3 trains the null class row; p = 0 leaves it untouched")
    func pretrainerFeedsDroppedLabels() throws {
        let data = try twoClassImages()
        for p in [0.0, 0.3] {
            var configuration = DiffusionPretrainingConfiguration(steps: 3, unet: tinyUNet(classes: 2))
            configuration.batchSize = 24
            configuration.dataStandardDeviation = 0.5
            configuration.labelDropout = p
            let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: data)
            let before = try Self.nullRow(pretrainer.network, classes: 2)
            for _ in 0..<3 { _ = try pretrainer.trainStep() }
            #expect((try Self.nullRow(pretrainer.network, classes: 2) == before) == (p == 0), "p = \(p)")
        }
    }

    @Test("a label dropout outside [0, 1), or on an unconditional network, fails naming p_uncond")
    func invalidDropoutFails() throws {
        for p in [-0.1, 1.0, .nan] {
            var configuration = try ClassConditionalTargetTests.configuration(estimator: .conditionalSample)
            configuration.labelDropout = p
            #expect { try configuration.validate() } throws: { error in "\(error)".contains("p_uncond") && "\(error)".contains("0 ≤ p_uncond < 1") }
            var pretraining = DiffusionPretrainingConfiguration(steps: 3, unet: tinyUNet(classes: 2))
            pretraining.labelDropout = p
            #expect { try pretraining.validate() } throws: { error in "\(error)".contains("p_uncond") }
        }
        var configuration = try ClassConditionalTargetTests.configuration(estimator: .conditionalSample, classes: 0)
        configuration.labelDropout = 0.1
        #expect { try configuration.validate() } throws: { error in "\(error)".contains("class-conditional network") }
    }
}
