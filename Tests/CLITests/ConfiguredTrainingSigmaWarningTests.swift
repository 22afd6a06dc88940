import ConsistencyTD
import Foundation
import Testing
@testable import consistency_td

/// A pretrained network keeps the σ_d it was trained with; a configured run that names another σ_d —
/// for the network or for a σ_d loss weighting — is told so before training.
@Suite("train --config: σ_d of a pretrained network")
struct ConfiguredTrainingSigmaWarningTests {
    static func teacher(sigma: Double) throws -> PreconditionedNetwork {
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 8, depth: 1), seed: 0)
        return try PreconditionedNetwork(network: mlp, preconditioning: Preconditioning(.edmDenoiser, dataStandardDeviation: sigma))
    }

    @Test("a weighting σ_d or a given data_standard_deviation other than the teacher's gives one warning each, naming both values")
    func mismatchesAreNamed() throws {
        let configuration = try ExperimentConfiguration.load(text: "method: ect", overrides: [
            "consistency.weighting=edm", "training.data_standard_deviation=0.5", "training.pretrained=teacher.h5",
        ])
        let warnings = try ConfiguredTraining.dataStandardDeviationWarnings(configuration, pretrained: try Self.teacher(sigma: 0.8))
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first?.contains("training.data_standard_deviation = 0.5") == true && warnings.first?.contains("σ_d = 0.8") == true)
        #expect(warnings.last?.contains("the loss weighting uses σ_d = 0.5") == true
                && warnings.last?.contains("set consistency.weighting_sigma_data: 0.8") == true, "\(warnings)")
    }

    @Test("no warning when the teacher's σ_d is the configuration's, or without a pretrained network")
    func agreementIsSilent() throws {
        let agreeing = try ExperimentConfiguration.load(text: "method: ect", overrides: [
            "consistency.weighting=inverse-squared-time-plus-data", "training.data_standard_deviation=0.8", "training.pretrained=teacher.h5",
        ])
        #expect(try ConfiguredTraining.dataStandardDeviationWarnings(agreeing, pretrained: try Self.teacher(sigma: 0.8)).isEmpty)
        let scratch = try ExperimentConfiguration.load(text: "method: ict", overrides: ["consistency.weighting=edm"])
        #expect(try ConfiguredTraining.dataStandardDeviationWarnings(scratch, pretrained: nil).isEmpty)
    }
}
