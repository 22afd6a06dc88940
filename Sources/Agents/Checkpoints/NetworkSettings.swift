import Foundation
import NeuralNetworks

/// The network settings a run records under `"network"` in its configuration JSON (and so in every
/// checkpoint's `config` attribute), and their reading back: a checkpoint rebuilds the same network F,
/// MLP or U-Net (DESIGN.md §5).
///
///     MLP:    {"architecture": "mlp", "dimension", "width", "depth", "dropout", "normalization",
///              "activation", "embedding": {"kind": "positional", "features", "max_frequency"}}
///     U-Net:  {"architecture": "unet", "dimension", "image_channels", "image_height", "image_width",
///              "channel_widths": […], "blocks_per_level", "groups", "embedding_width" (null = 4 × the first width), "class_count",
///              "dropout", "embedding": {…}}
///
/// Settings without `"architecture"` (files written before the U-Net existed) are an MLP; missing MLP
/// fields other than dimension, width and depth take the defaults those files were trained with.
extension TimeConditionedNetworkArchitecture {
    /// The JSON object recorded for this network.
    public var settings: [String: Any] {
        switch self {
        case let .mlp(c):
            return ["architecture": name, "dimension": c.dataDimension, "width": c.width, "depth": c.depth,
                    "dropout": Double(c.dropout), "normalization": c.normalization.rawValue, "activation": c.activation.rawValue,
                    "embedding": Self.settings(of: c.embedding)]
        case let .unet(c):
            return ["architecture": name, "dimension": c.dataDimension, "image_channels": c.imageChannels,
                    "image_height": c.height, "image_width": c.width, "channel_widths": c.channelWidths,
                    "blocks_per_level": c.blocksPerLevel, "groups": c.groups, "embedding_width": c.embeddingWidth.map { $0 as Any } ?? NSNull(),
                    "class_count": c.classCount, "dropout": Double(c.dropout), "embedding": Self.settings(of: c.embedding)]
        }
    }

    /// Reads settings written by ``settings``; throws naming the missing or invalid field.
    public init(settings: [String: Any]) throws {
        func integer(_ key: String) throws -> Int {
            guard let value = (settings[key] as? NSNumber)?.intValue else {
                throw AgentError.invalidSetting("network settings without an integer '\(key)' (\(settings.keys.sorted()))",
                                                expected: "the settings a consistency-td learner records")
            }
            return value
        }
        let dropout = Float((settings["dropout"] as? NSNumber)?.doubleValue ?? 0)
        let embedding = try (settings["embedding"] as? [String: Any]).map(Self.embedding) ?? .reference
        switch settings["architecture"] as? String ?? "mlp" {
        case "mlp":
            let normalizationName = settings["normalization"] as? String ?? "none"
            guard let normalization = TimeConditionedMLPConfiguration.Normalization(rawValue: normalizationName) else {
                throw AgentError.unknownName(kind: "normalisation", name: normalizationName,
                                             valid: TimeConditionedMLPConfiguration.Normalization.allCases.map(\.rawValue))
            }
            let activationName = settings["activation"] as? String ?? "silu"
            guard let activation = Activation(rawValue: activationName) else {
                throw AgentError.unknownName(kind: "activation", name: activationName, valid: Activation.allCases.map(\.rawValue))
            }
            self = .mlp(TimeConditionedMLPConfiguration(dataDimension: try integer("dimension"), width: try integer("width"),
                                                        depth: try integer("depth"), embedding: embedding, activation: activation,
                                                        dropout: dropout, normalization: normalization))
        case "unet":
            guard let widths = (settings["channel_widths"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), !widths.isEmpty else {
                throw AgentError.invalidSetting("U-Net settings without 'channel_widths'", expected: "a list of channel widths, e.g. [32, 64]")
            }
            let configuration = TimeConditionedUNetConfiguration(
                imageChannels: try integer("image_channels"), height: try integer("image_height"), width: try integer("image_width"),
                channelWidths: widths, blocksPerLevel: try integer("blocks_per_level"), groups: try integer("groups"),
                embedding: embedding, embeddingWidth: (settings["embedding_width"] as? NSNumber)?.intValue, classCount: try integer("class_count"),
                dropout: dropout)
            if let dimension = (settings["dimension"] as? NSNumber)?.intValue, dimension != configuration.dataDimension {
                throw AgentError.shapeMismatch("U-Net settings record dimension \(dimension) but C·H·W = \(configuration.dataDimension)")
            }
            self = .unet(configuration)
        case let other:
            throw AgentError.unknownName(kind: "network architecture", name: other, valid: ["mlp", "unet"])
        }
    }

    static func settings(of embedding: TimeEmbeddingKind) -> [String: Any] {
        switch embedding {
        case let .positional(features, maxFrequency):
            return ["kind": "positional", "features": features, "max_frequency": Double(maxFrequency)]
        case let .fourier(features, scale):
            return ["kind": "fourier", "features": features, "scale": Double(scale)]
        }
    }

    static func embedding(_ settings: [String: Any]) throws -> TimeEmbeddingKind {
        let features = (settings["features"] as? NSNumber)?.intValue ?? 0
        switch settings["kind"] as? String ?? "" {
        case "positional":
            return .positional(features: features, maxFrequency: Float((settings["max_frequency"] as? NSNumber)?.doubleValue ?? 0))
        case "fourier":
            return .fourier(features: features, scale: Float((settings["scale"] as? NSNumber)?.doubleValue ?? 0))
        case let other:
            throw AgentError.unknownName(kind: "time embedding", name: other, valid: ["positional", "fourier"])
        }
    }
}

extension Checkpoint {
    /// The network F recorded in the checkpoint's configuration (`"network"`), MLP or U-Net — rebuild it
    /// with ``TimeConditionedNetworkArchitecture/makeNetwork(seed:)`` and load the parameters with
    /// ``restore(into:path:)``.
    public func networkArchitecture() throws -> TimeConditionedNetworkArchitecture {
        guard let object = try? JSONSerialization.jsonObject(with: Data(configuration.utf8)) as? [String: Any],
              let network = object["network"] as? [String: Any]
        else {
            throw AgentError.incompatible("the checkpoint's config attribute has no \"network\" settings; it was not written by a consistency-td learner")
        }
        return try TimeConditionedNetworkArchitecture(settings: network)
    }
}
