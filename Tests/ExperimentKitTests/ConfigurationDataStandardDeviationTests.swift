import Agents
import Environments
import ExperimentKit
import Foundation
import Testing

/// One σ_d per run (METHODS.md §0): the network's preconditioning and a loss weighting that involves σ_d
/// (1/t² + 1/σ_d², EDM's (t² + σ_d²)/(t σ_d)²) use the same number unless the configuration sets the
/// weighting's on purpose; images in [−1, 1] get 0.5, other data their measured standard deviation.
@Suite("Experiment configuration: σ_d of the network and of the loss weighting")
struct ConfigurationDataStandardDeviationTests {
    static let ringSigma = Preconditioning.measuredDataStandardDeviation(
        of: try! ExperimentConfiguration.defaultEnvironment.makeDistribution())

    static var digitsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments/Data/digits-8x8.h5").path
    }

    @Test("without data_standard_deviation a σ_d weighting uses the σ_d the learner measures and builds its network with")
    func weightingFollowsTheMeasuredSigma() throws {
        // Ring of 8, radius 2, std 0.1: per-coordinate variance 4/2 + 0.01, σ_d ≈ 1.418 (0.5 would be EDM's image value).
        #expect(abs(Self.ringSigma - 2.01.squareRoot()) < 0.03)
        let configuration = try ExperimentConfiguration.load(text: "method: ict", overrides: [
            "consistency.weighting=inverse-squared-time-plus-data", "training.steps=10", "training.batch_size=8",
        ])
        #expect(configuration.training.dataStandardDeviation == nil)
        #expect(configuration.consistency?.weighting == .inverseSquaredTimePlusData(dataStandardDeviation: Self.ringSigma))
        #expect(try configuration.networkDataStandardDeviation() == Self.ringSigma)
        let learner = try ConsistencyLearner(configuration: try configuration.consistencyTrainingConfiguration(),
                                             distribution: try configuration.environment.makeDistribution())
        #expect(learner.online.preconditioning.dataStandardDeviation == Self.ringSigma)
    }

    @Test("a given data_standard_deviation reaches the weighting, whichever comes first, as a float, an integer or null",
          arguments: [
              ("method: ect\ntraining: {data_standard_deviation: 0.7}\nconsistency: {weighting: edm}", [String](), 0.7),
              ("method: ect", ["consistency.weighting=edm", "training.data_standard_deviation=0.7"], 0.7),
              ("method: ect", ["training.data_standard_deviation=2", "consistency.weighting=edm"], 2.0),
              ("method: ect\ntraining: {data_standard_deviation: 0.7}", ["training.data_standard_deviation=null", "consistency.weighting=edm"],
               ringSigma),
          ])
    func givenSigmaReachesTheWeighting(text: String, overrides: [String], expected: Double) throws {
        let configuration = try ExperimentConfiguration.load(text: text, overrides: overrides)
        #expect(configuration.consistency?.weighting == .edm(dataStandardDeviation: expected))
        #expect(try configuration.networkDataStandardDeviation() == expected)
    }

    @Test("consistency.weighting_sigma_data set on purpose wins over the network's σ_d and round-trips")
    func explicitWeightingSigmaWins() throws {
        let configuration = try ExperimentConfiguration.load(text: "method: sct", overrides: [
            "consistency.weighting=edm", "consistency.weighting_sigma_data=0.25", "training.data_standard_deviation=0.7",
        ])
        #expect(configuration.consistency?.weighting == .edm(dataStandardDeviation: 0.25))
        #expect(configuration.training.dataStandardDeviation == 0.7)
        #expect(try ExperimentConfiguration.load(text: try configuration.yaml()) == configuration)
    }

    @Test("images in [−1, 1] default to σ_d = 0.5 for both the network and the weighting; other data are measured")
    func imagesDefaultToOneHalf() throws {
        let digits = try ExperimentConfiguration.load(
            text: "method: ect\nenvironment: {kind: empirical, path: \(Self.digitsPath)}", overrides: ["consistency.weighting=edm"])
        #expect(digits.training.dataStandardDeviation == 0.5)
        #expect(digits.consistency?.weighting == .edm(dataStandardDeviation: 0.5))
        // The teacher of ECT/SCT/CD, pretrained on the same images, gets the same σ_d.
        #expect(try ExperimentConfiguration.defaults(method: .diffusion, environment: digits.environment, steps: 10)
                    .training.dataStandardDeviation == 0.5)

        let image = try EmpiricalDataset(points: [-1, 0.5, 0, 1, 0.25, -0.5, 1, -1], dimension: 4, pointShape: [1, 2, 2])
        #expect(ExperimentConfiguration.defaultDataStandardDeviation(of: image) == 0.5)
        let brightImage = try EmpiricalDataset(points: [-1, 0.5, 0, 1, 0.25, -0.5, 1, 1.5], dimension: 4, pointShape: [1, 2, 2])
        #expect(ExperimentConfiguration.defaultDataStandardDeviation(of: brightImage) == nil)
        let greyImage = try EmpiricalDataset(points: [0, 0.5, 1, -1], dimension: 4, pointShape: [2, 2])
        #expect(ExperimentConfiguration.defaultDataStandardDeviation(of: greyImage) == 0.5)
        let vectors = try EmpiricalDataset(points: [-1, 0.5, 0, 1], dimension: 2)
        #expect(ExperimentConfiguration.defaultDataStandardDeviation(of: vectors) == nil)
        #expect(ExperimentConfiguration.defaultDataStandardDeviation(of: try ExperimentConfiguration.defaultEnvironment.makeDistribution()) == nil)
    }
}
