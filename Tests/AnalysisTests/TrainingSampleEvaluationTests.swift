import Agents
import Environments
import Foundation
import NeuralNetworks
import Tensors
import Testing
@testable import Analysis

@Suite("Training sample evaluation: the metrics a run records from its evaluation: block")
struct TrainingSampleEvaluationTests {
    static let everyMetric = TrainingSampleEvaluation.Metric.allCases

    static func untrainedNetwork(seed: UInt64 = 3) throws -> PreconditionedNetwork {
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2), seed: seed)
        return try PreconditionedNetwork(network: mlp, preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
    }

    /// An evaluation on the ring of 8 (radius 2, std 0.1) with t_max 80.
    static func ringEvaluation(count: Int, samplers: [TrainingSampleEvaluation.Sampler] = [.consistency(steps: 1, middleTime: 0.821)],
                               metrics: [TrainingSampleEvaluation.Metric] = everyMetric, maximumTime: Double = 80,
                               seed: UInt64) throws -> (ring: GaussianMixture, evaluation: TrainingSampleEvaluation) {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        return (ring, try TrainingSampleEvaluation(distribution: ring, sampleCount: count, samplers: samplers, metrics: metrics,
                                                   maximumTime: maximumTime, minimumTime: 0.002, seed: seed))
    }

    @Test("scores equal the metric functions on the same streams; only the chosen metrics are reported")
    func scoresAreTheMetricFunctions() throws {
        let (ring, evaluation) = try Self.ringEvaluation(count: 300, seed: 4)
        var stream = RandomStream(seed: 99, purpose: "samples")
        let samples = ring.sample(count: 300, stream: &stream).map { $0 * 1.1 }
        let scores = try evaluation.score(samples)

        var projections = RandomStream(seed: 4, purpose: TrainingSampleEvaluation.streamPrefix + ".projections")
        let sw = try SampleDistance.squaredSlicedWasserstein2(samples, evaluation.reference, dimension: 2, projections: 256,
                                                             stream: &projections)
        let bandwidths = try SampleDistance.defaultBandwidths(reference: evaluation.reference, dimension: 2)
        let mmd = try SampleDistance.squaredMaximumMeanDiscrepancy(samples, evaluation.reference, dimension: 2, bandwidths: bandwidths)
        let energy = try SampleDistance.energyDistance(samples, evaluation.reference, dimension: 2)
        var dataStream = RandomStream(seed: 4, purpose: TrainingSampleEvaluation.streamPrefix + ".data-nll")
        let quality = try GaussianMixtureSampleQuality(
            samples: samples, mixture: ring, dataNegativeLogLikelihood: try ring.dataNegativeLogLikelihood(sampleCount: 10_000, stream: &dataStream))
        #expect(scores == [
            "non_finite_samples": 0, "sliced_wasserstein2_squared": sw, "mmd2": mmd, "energy_distance": energy,
            "nll": quality.negativeLogLikelihood!.mean, "nll_gap": quality.negativeLogLikelihoodGap!,
            "mode_coverage": quality.modeCoverage, "precision": quality.precision,
        ])
        #expect(sw > 0.01)   // the scaled ring is not the data

        let distancesOnly = try Self.ringEvaluation(count: 300, metrics: [.maximumMeanDiscrepancy], seed: 4).evaluation
        #expect(try distancesOnly.score(samples) == ["non_finite_samples": 0, "mmd2": mmd])
    }

    @Test("held-out data scored against themselves: SW₂² = 0, every mode covered, precision 1 within 3 std")
    func heldOutDataScoreZero() throws {
        let evaluation = try Self.ringEvaluation(count: 400, seed: 2).evaluation
        let scores = try evaluation.score(evaluation.reference)
        #expect(scores["sliced_wasserstein2_squared"] == 0)
        #expect(scores["mode_coverage"] == 1)
        #expect(scores["precision"]! > 0.99)
    }

    @Test("a non-finite sample gives NaN distances and is counted, instead of aborting the evaluation")
    func nonFiniteSamples() throws {
        let evaluation = try Self.ringEvaluation(count: 100, seed: 2).evaluation
        var samples = evaluation.reference
        samples[7] = .nan
        samples[40] = .infinity
        let scores = try evaluation.score(samples)
        #expect(scores["non_finite_samples"] == 2)
        #expect(scores["sliced_wasserstein2_squared"]!.isNaN && scores["mmd2"]!.isNaN && scores["energy_distance"]!.isNaN)
        #expect(scores["nll"]!.isFinite && scores["mode_coverage"] == 1)
    }

    @Test("evaluate samples the network with each sampler on fixed streams: 1-step/… and 2-step/… equal the samplers' own output")
    func evaluateIsTheSamplers() throws {
        let evaluation = try Self.ringEvaluation(
            count: 200, samplers: [.consistency(steps: 1, middleTime: 0.821), .consistency(steps: 2, middleTime: 1.5)],
            metrics: [.slicedWasserstein, .negativeLogLikelihood], maximumTime: 20, seed: 8).evaluation
        let network = try Self.untrainedNetwork()
        let result = try evaluation.evaluate(network)
        #expect(Set(result.keys) == ["1-step/non_finite_samples", "1-step/sliced_wasserstein2_squared", "1-step/nll", "1-step/nll_gap",
                                     "2-step/non_finite_samples", "2-step/sliced_wasserstein2_squared", "2-step/nll", "2-step/nll_gap"])
        let sampler = try ConsistencySampler(model: network, maximumTime: 20)
        for (index, middleTimes) in [[], [1.5]].enumerated() {
            var noise = RandomStream(seed: 8, purpose: TrainingSampleEvaluation.streamPrefix + ".noise", index: UInt64(index))
            let expected = try evaluation.score(try sampler.sample(count: 200, middleTimes: middleTimes, stream: &noise))
            let name = index == 0 ? "1-step" : "2-step"
            for (metric, value) in expected { #expect(result[name + "/" + metric] == value, "\(name)/\(metric)") }
        }
        #expect(result["1-step/sliced_wasserstein2_squared"] != result["2-step/sliced_wasserstein2_squared"])
        #expect(try evaluation.evaluate(network) == result)   // the same streams at every evaluation
    }

    @Test("a diffusion network is scored by Heun on the Karras grid")
    func heunSampler() throws {
        let evaluation = try Self.ringEvaluation(count: 64, samplers: [.heun(points: 5)], metrics: [.energyDistance],
                                                 maximumTime: 20, seed: 1).evaluation
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2), seed: 5)
        let network = try PreconditionedNetwork(network: mlp, preconditioning: Preconditioning(.edmDenoiser, dataStandardDeviation: 0.5))
        let result = try evaluation.evaluate(network)
        var noise = RandomStream(seed: 1, purpose: TrainingSampleEvaluation.streamPrefix + ".noise", index: 0)
        let heun = try EDMHeunSampler(denoiser: network, dimension: 2, stepCount: 5, minimumTime: network.minimumTime, maximumTime: 20)
        let expected = try SampleDistance.energyDistance(try heun.sample(count: 64, stream: &noise), evaluation.reference, dimension: 2)
        #expect(result == ["heun-5/non_finite_samples": 0, "heun-5/energy_distance": expected])
    }

    @Test("a class-conditional network samples the held-out points' labels, row by row, with the guidance scale")
    func classConditionalSamplesTheReferenceLabels() throws {
        var stream = RandomStream(seed: 5, purpose: "two-class-images")
        var points = [Float](), labels = [Int32]()
        for i in 0..<40 {
            let label = Int32(i % 2)
            labels.append(label)
            for _ in 0..<16 { points.append(Float((label == 0 ? 0.4 : -0.4) + 0.3 * stream.nextNormal())) }
        }
        let data = try EmpiricalDataset(points: points, dimension: 16, labels: labels, pointShape: [1, 4, 4])
        let unet = try TimeConditionedUNet(
            TimeConditionedUNetConfiguration(height: 4, width: 4, channelWidths: [4], blocksPerLevel: 1, groups: 2,
                                             embedding: .positional(features: 8, maxFrequency: 1000), embeddingWidth: 8, classCount: 2),
            seed: 2)
        let network = try PreconditionedNetwork(network: unet, preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
        let evaluation = try TrainingSampleEvaluation(
            distribution: data, sampleCount: 16, samplers: [.consistency(steps: 1, middleTime: 0.821)], metrics: [.slicedWasserstein],
            guidanceScale: 2, maximumTime: 20, minimumTime: 0.002, seed: 6)
        let referenceLabels = try #require(evaluation.referenceLabels)
        #expect(Set(referenceLabels) == [0, 1])
        let result = try evaluation.evaluate(network)

        func score(labels: [Int32]?, guidance: Double) throws -> Double {
            let guided = try ClassGuidedNetwork(network: network, labels: labels, guidanceScale: guidance)
            var noise = RandomStream(seed: 6, purpose: TrainingSampleEvaluation.streamPrefix + ".noise", index: 0)
            let samples = try ConsistencySampler(model: guided, maximumTime: 20).sample(count: 16, stream: &noise)
            return try #require(try evaluation.score(samples)["sliced_wasserstein2_squared"])
        }
        #expect(result["1-step/sliced_wasserstein2_squared"] == (try score(labels: referenceLabels, guidance: 2)))
        #expect(result["1-step/sliced_wasserstein2_squared"] != (try score(labels: nil, guidance: 1)))
        #expect(result["1-step/sliced_wasserstein2_squared"] != (try score(labels: referenceLabels, guidance: 1)))
    }

    @Test("held-out data come from heldOut when given (a dataset's test part); the exact metrics still use the training distribution")
    func heldOutDistributionGivesTheReference() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let train = try EmpiricalDataset(points: [0, 0, 1, 1, 2, 2].map(Float.init), dimension: 2)
        let test = try EmpiricalDataset(points: [5, 5, 6, 6, 7, 7, 8, 8].map(Float.init), dimension: 2)
        let evaluation = try TrainingSampleEvaluation(distribution: train, heldOut: test, sampleCount: 50,
                                                      samplers: [.consistency(steps: 1, middleTime: 1)], metrics: [.mmd, .energyDistance],
                                                      maximumTime: 80, minimumTime: 0.002, seed: 3)
        var stream = RandomStream(seed: 3, purpose: TrainingSampleEvaluation.streamPrefix + ".reference")
        #expect(evaluation.reference == test.sample(count: 50, stream: &stream))
        #expect(evaluation.reference.allSatisfy { $0 >= 5 })
        // Without heldOut the points are fresh draws of the distribution itself, as before.
        let own = try TrainingSampleEvaluation(distribution: train, sampleCount: 50, samplers: [.consistency(steps: 1, middleTime: 1)],
                                               metrics: [.mmd], maximumTime: 80, minimumTime: 0.002, seed: 3)
        #expect(own.reference.allSatisfy { $0 <= 2 })
        // NLL on a mixture with held-out draws of the same mixture from another object: the mixture is the training one.
        let withMixture = try TrainingSampleEvaluation(distribution: ring, heldOut: ring, sampleCount: 20,
                                                       samplers: [.consistency(steps: 1, middleTime: 1)], metrics: [.negativeLogLikelihood],
                                                       maximumTime: 80, minimumTime: 0.002, seed: 3)
        #expect(withMixture.reference == (try Self.ringEvaluation(count: 20, metrics: [.negativeLogLikelihood], seed: 3)).evaluation.reference)

        func message(_ heldOut: any DataDistribution) -> String {
            do {
                _ = try TrainingSampleEvaluation(distribution: train, heldOut: heldOut, sampleCount: 10, samplers: [.consistency(steps: 1, middleTime: 1)],
                                                 metrics: [.mmd], maximumTime: 80, minimumTime: 0.002, seed: 0)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message(try EmpiricalDataset(points: [0, 1, 2].map(Float.init), dimension: 3)).contains("dimension 3 for a model of dimension 2"))
        #expect(message(try EmpiricalDataset(points: [0, 1, 2, 3].map(Float.init), dimension: 2, labels: [0, 1])).contains("expected both or neither labelled"))
    }

    @Test("bad settings fail at construction, naming what is expected")
    func badSettings() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        func message(_ samplers: [TrainingSampleEvaluation.Sampler], _ metrics: [TrainingSampleEvaluation.Metric] = [.mmd],
                     distribution: any DataDistribution, count: Int = 10) -> String {
            do {
                _ = try TrainingSampleEvaluation(distribution: distribution, sampleCount: count, samplers: samplers, metrics: metrics,
                                                 maximumTime: 80, minimumTime: 0.002, seed: 0)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message([.consistency(steps: 3, middleTime: 1)], distribution: ring).contains("expected 1 or 2 steps"))
        #expect(message([.consistency(steps: 2, middleTime: 80)], distribution: ring).contains("t_min = 0.002 < τ < t_max = 80.0"))
        #expect(message([.heun(points: 1)], distribution: ring).contains("at least 2"))
        #expect(message([], distribution: ring).contains("at least one"))
        // Two samplers of one name would write the same "2-step/…" metrics, the second over the first.
        #expect(message([.consistency(steps: 2, middleTime: 0.5), .consistency(steps: 2, middleTime: 1.5)], distribution: ring)
            .contains("two samplers are named 2-step"))
        #expect(message([.heun(points: 18), .consistency(steps: 1, middleTime: 1), .heun(points: 18)], distribution: ring)
            .contains("two samplers are named heun-18"))
        #expect(message([.consistency(steps: 1, middleTime: 1)], distribution: ring, count: 1).contains("at least 2"))
        let empirical = try EmpiricalDataset(points: [0, 1, 2, 3].map(Float.init), dimension: 2)
        #expect(message([.consistency(steps: 1, middleTime: 1)], [.precision], distribution: empirical).contains("precision needs a Gaussian-mixture"))
    }
}

extension TrainingSampleEvaluation.Metric {
    static var mmd: Self { .maximumMeanDiscrepancy }
}
