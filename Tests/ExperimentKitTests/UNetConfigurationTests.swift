import Agents
import Environments
import ExperimentKit
import Foundation
import NeuralNetworks
import Testing

@Suite("Experiment configuration: the U-Net, class conditioning and guidance")
struct UNetConfigurationTests {
    static var digitsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments/Data/digits-8x8.h5").path
    }

    static var yamlText: String {
        """
        experiment: digits-cond
        method: ect
        environment: {kind: empirical, path: \(digitsPath)}
        network:
          architecture: unet
          channels: [8, 16]
          groups: 4
          embedding_width: 32
          class_count: 10
          label_dropout: 0.1
        training: {steps: 4, batch_size: 8}
        evaluation: {guidance_scale: 2.5}
        """
    }

    @Test("a U-Net document resolves to the Agents U-Net of the data's 1×8×8 images, with classes, label dropout and guidance")
    func unetSettingsReachAgents() throws {
        let configuration = try ExperimentConfiguration.load(text: Self.yamlText)
        #expect(configuration.network.unet == UNetSettings(channels: [8, 16], blocksPerLevel: 1, groups: 4, embeddingWidth: 32,
                                                           classCount: 10, labelDropout: 0.1))
        #expect(configuration.evaluation.guidanceScale == 2.5)
        let agents = try configuration.consistencyTrainingConfiguration()
        let unet = try #require(agents.unet)
        #expect(unet.imageChannels == 1 && unet.height == 8 && unet.width == 8)
        #expect(unet.channelWidths == [8, 16] && unet.groups == 4 && unet.embeddingWidth == 32 && unet.classCount == 10)
        #expect(agents.labelDropout == 0.1)
        #expect(agents.architecture.classCount == 10)
    }

    @Test("the U-Net settings survive the YAML and JSON round trip; an MLP document round-trips with architecture: mlp")
    func roundTrip() throws {
        let configuration = try ExperimentConfiguration.load(text: Self.yamlText)
        let yaml = try configuration.yaml()
        #expect(yaml.contains("architecture: \"unet\"") && yaml.contains("guidance_scale: 2.5") && yaml.contains("channels: [8, 16]"))
        #expect(try ExperimentConfiguration.load(text: yaml) == configuration)
        let json = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        #expect(try ExperimentConfiguration.load(text: json) == configuration)
        // A plain MLP document is unchanged apart from the explicit architecture name.
        let ring = try ExperimentConfiguration.load(text: "method: ict")
        #expect(ring.network.unet == nil && ring.evaluation.guidanceScale == 1)
        #expect(try ring.yaml().contains("architecture: \"mlp\""))
        #expect(try ExperimentConfiguration.load(text: ring.yaml()) == ring)
    }

    @Test("bad U-Net values fail naming the key, the value and what is expected")
    func badValuesFail() throws {
        let cases: [(String, String, String)] = [
            ("network.channels=[8, -16]", "network.channels", "≥ 1"),
            ("network.label_dropout=1", "network.label_dropout", "0 ≤ p_uncond < 1"),
            ("network.label_dropout=-0.2", "network.label_dropout", "0 ≤ p_uncond < 1"),
            ("evaluation.guidance_scale=.inf", "evaluation.guidance_scale", "finite"),
            ("evaluation.guidance_scale=.nan", "evaluation.guidance_scale", "finite"),
            ("network.groups=3", "network.groups", "divisor"),
            ("network.class_count=-1", "network.class_count", "≥ 0"),
        ]
        for (override, key, expected) in cases {
            #expect { try ExperimentConfiguration.load(text: Self.yamlText, overrides: [override]) } throws: { error in
                let message = "\(error)"
                return message.contains(key) && message.contains(expected)
            }
        }
        #expect { try ExperimentConfiguration.load(text: Self.yamlText, overrides: ["network.class_count=0"]) } throws: { error in
            "\(error)".contains("network.label_dropout") && "\(error)".contains("class_count")
        }
    }

    @Test("an unknown U-Net key gets the nearest valid one, an unknown architecture the valid names; a U-Net on non-image data is refused")
    func unknownKeysAndNonImageData() throws {
        #expect { try ExperimentConfiguration.load(text: Self.yamlText, overrides: ["network.chanels=[4]"]) } throws: { error in
            "\(error)".contains("network.chanels") && "\(error)".contains("network.channels")
        }
        #expect { try ExperimentConfiguration.load(text: "method: ict\nnetwork: {architecture: transformer}") } throws: { error in
            "\(error)".contains("network.architecture") && "\(error)".contains("transformer") && "\(error)".contains("unet")
        }
        #expect { try ExperimentConfiguration.load(text: "method: ict\nnetwork: {architecture: unet}") } throws: { error in
            "\(error)".contains("unet") && "\(error)".contains("image")
        }
    }
}
