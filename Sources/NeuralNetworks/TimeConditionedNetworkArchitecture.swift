import Tensors

/// Which network F a model uses, with its settings: the toy MLP or the image U-Net. It rebuilds the
/// network (``makeNetwork(seed:)``) from a checkpoint's recorded settings, so a U-Net checkpoint
/// reloads as a U-Net.
public enum TimeConditionedNetworkArchitecture: Equatable, Sendable {
    /// ``TimeConditionedMLP`` (BENCHMARK.md §1).
    case mlp(TimeConditionedMLPConfiguration)
    /// ``TimeConditionedUNet`` (Ho et al. 2020; Dhariwal & Nichol 2021; EDM's U-Net, small).
    case unet(TimeConditionedUNetConfiguration)

    /// "mlp" or "unet" (the `architecture` field of recorded settings).
    public var name: String {
        switch self {
        case .mlp: return "mlp"
        case .unet: return "unet"
        }
    }

    /// A one-line description for messages: "MLP (D 2, width 256, depth 4)" or
    /// "U-Net (1×8×8, widths [32, 64], 1 block per level, 10 classes)".
    public var summary: String {
        switch self {
        case let .mlp(c): return "MLP (D \(c.dataDimension), width \(c.width), depth \(c.depth))"
        case let .unet(c):
            let classes = c.classCount > 0 ? ", \(c.classCount) classes" : ""
            return "U-Net (\(c.imageChannels)×\(c.height)×\(c.width), widths \(c.channelWidths), \(c.blocksPerLevel) block\(c.blocksPerLevel == 1 ? "" : "s") per level\(classes))"
        }
    }

    /// D, the features of one row.
    public var dataDimension: Int {
        switch self {
        case let .mlp(configuration): return configuration.dataDimension
        case let .unet(configuration): return configuration.dataDimension
        }
    }

    /// K for a class-conditional network, 0 otherwise.
    public var classCount: Int {
        switch self {
        case .mlp: return 0
        case let .unet(configuration): return configuration.classCount
        }
    }

    /// The dropout probability inside the network.
    public var dropout: Float {
        switch self {
        case let .mlp(configuration): return configuration.dropout
        case let .unet(configuration): return configuration.dropout
        }
    }

    /// Builds the network with parameters initialised from `seed` (names and initial values depend only
    /// on the settings and the seed). Throws for invalid settings, saying what is expected.
    public func makeNetwork(seed: UInt64) throws(TensorError) -> any TimeConditionedNetwork {
        switch self {
        case let .mlp(configuration): return try TimeConditionedMLP(configuration, seed: seed)
        case let .unet(configuration): return try TimeConditionedUNet(configuration, seed: seed)
        }
    }
}
