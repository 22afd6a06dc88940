import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// `train --config` with a class-conditional U-Net on the 8×8 digits, then `sample --class --guidance`.
@Suite("consistency-td with a class-conditional U-Net", .serialized)
struct CLIClassConditionalTests {
    static var digitsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments/Data/digits-8x8.h5").path
    }

    static var config: String {
        """
        experiment: digits-cond
        method: ict
        seed: 3
        environment: {kind: empirical, path: \(digitsPath)}
        network: {architecture: unet, channels: [4, 8], groups: 2, embedding_width: 16, class_count: 10, label_dropout: 0.2}
        training: {steps: 3, batch_size: 8, checkpoint_every: 3, data_standard_deviation: 0.5}
        consistency: {estimator: score-identity}
        evaluation: {guidance_scale: 1.5}
        """
    }

    @Test("a tiny class-conditional U-Net trains from a config on the digits and samples class 3 with guidance; an unknown class fails in one line")
    func trainAndSampleClass() throws {
        let folder = try CLI.temporaryFolder("digits-cond")
        try Data(Self.config.utf8).write(to: URL(fileURLWithPath: folder + "/digits.yaml"))
        let trained = try CLI.run(["train", "--config", "digits.yaml", "--run-dir", "run"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let configuration = try ExperimentRunFolder(path: folder + "/run").configuration()
        #expect(configuration.network.unet?.classCount == 10 && configuration.evaluation.guidanceScale == 1.5)

        let sampled = try CLI.run(["sample", "--checkpoint", "run", "--class", "3", "--guidance", "2", "--count", "4", "--out", "three.h5"], in: folder)
        #expect(sampled.status == 0, "\(sampled.standardError)")
        #expect(sampled.standardOutput.contains("of class 3"), "\(sampled.standardOutput)")
        let (values, shape) = try CLI.readFloats(folder + "/three.h5", dataset: "samples")
        #expect(shape == [4, 64])
        #expect(values.allSatisfy { $0.isFinite })

        // Without --guidance the run's evaluation.guidance_scale (1.5) applies; it differs from w = 2.
        let fromRun = try CLI.run(["sample", "--checkpoint", "run", "--class", "3", "--count", "4", "--out", "run-scale.h5"], in: folder)
        #expect(fromRun.status == 0 && fromRun.standardOutput.contains("w = 1.5"), "\(fromRun.standardOutput) \(fromRun.standardError)")
        #expect(try CLI.readFloats(folder + "/run-scale.h5", dataset: "samples").values != values)

        let unknown = try CLI.run(["sample", "--checkpoint", "run", "--class", "12", "--count", "4", "--out", "bad.h5"], in: folder)
        #expect(unknown.status != 0)
        #expect(unknown.errorLines.count == 1 && unknown.standardError.contains("class label 12") && unknown.standardError.contains("0…9"),
                "\(unknown.standardError)")
    }

    /// Validation accepts evaluation.guidance_scale with an MLP (training evaluation uses w = 1 then);
    /// `sample` used to apply it and fail with "--class/--guidance … needs a class-conditional network".
    @Test("an unconditional run whose config sets evaluation.guidance_scale samples without --guidance; an explicit --guidance is still refused")
    func unconditionalRunIgnoresTheConfigGuidance() throws {
        let folder = try CLI.temporaryFolder("mlp-guidance")
        let config = """
            method: ict
            seed: 2
            network: {width: 16, depth: 1}
            training: {steps: 2, batch_size: 16, checkpoint_every: 2}
            evaluation: {guidance_scale: 1.5, metrics: []}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/mlp.yaml"))
        let trained = try CLI.run(["train", "--config", "mlp.yaml", "--run-dir", "run"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let sampled = try CLI.run(["sample", "--checkpoint", "run", "--count", "4", "--out", "plain.h5"], in: folder)
        #expect(sampled.status == 0, "\(sampled.standardError)")
        #expect(try CLI.readFloats(folder + "/plain.h5", dataset: "samples").shape == [4, 2])
        let explicit = try CLI.run(["sample", "--checkpoint", "run", "--guidance", "2", "--count", "4", "--out", "guided.h5"], in: folder)
        #expect(explicit.status != 0 && explicit.standardError.contains("class-conditional"), "\(explicit.standardError)")
    }
}
