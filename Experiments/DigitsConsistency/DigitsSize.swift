import NeuralNetworks

/// The work of one DigitsConsistency run: network widths, iterations of each stage, minibatch size,
/// seeds and the number of generated samples scored per model.
struct DigitsSize: Sendable {
    /// Channel widths of the U-Net levels (8×8 then 4×4).
    var channelWidths: [Int]
    /// GroupNorm groups (must divide every width).
    var groups: Int
    /// Diffusion pretraining iterations (each of the unconditional and class-conditional teachers).
    var diffusionSteps: Int
    /// Consistency training iterations per method.
    var consistencySteps: Int
    /// Minibatch size of every stage.
    var batchSize: Int
    /// Seeds 0…seeds−1 (offset by `--seed`).
    var seeds: Int
    /// Generated samples scored per model and sampler (a multiple of 10 for balanced classes).
    var samples: Int

    /// About 4 minutes on one idle core (Experiments/README.md): short stages, one seed.
    static let quick = DigitsSize(channelWidths: [16, 32], groups: 4, diffusionSteps: 600, consistencySteps: 400,
                                  batchSize: 64, seeds: 1, samples: 500)
    /// The documented full size (run time and table in Experiments/README.md): longer stages, three seeds.
    static let full = DigitsSize(channelWidths: [16, 32], groups: 4, diffusionSteps: 2000, consistencySteps: 1500,
                                 batchSize: 64, seeds: 3, samples: 1000)

    /// The U-Net of every model: 1×8×8 images, 32 positional time features, E = 4 × the first width,
    /// `classCount` classes (0 for unconditional), dropout shared between the online and target passes.
    func unet(classCount: Int, dropout: Float) -> TimeConditionedUNetConfiguration {
        TimeConditionedUNetConfiguration(height: 8, width: 8, channelWidths: channelWidths, blocksPerLevel: 1, groups: groups,
                                         embedding: .positional(features: 32, maxFrequency: 1000), classCount: classCount,
                                         dropout: dropout)
    }

    /// Checks the overrides: every count positive and the sample count a multiple of 10.
    func validate() throws {
        for (name, value) in [("--diffusion-steps", diffusionSteps), ("--consistency-steps", consistencySteps),
                              ("--batch-size", batchSize), ("--seeds", seeds), ("--samples", samples)] where value < 1 {
            throw ExperimentFailure("\(name) \(value) is not valid; expected ≥ 1")
        }
        guard samples % 10 == 0 else { throw ExperimentFailure("--samples \(samples) is not valid; expected a multiple of 10 (balanced over the classes)") }
        guard channelWidths.allSatisfy({ $0 > 0 && $0 % groups == 0 }) else {
            throw ExperimentFailure("--widths \(channelWidths) is not valid; expected positive multiples of the \(groups) groups")
        }
    }
}
