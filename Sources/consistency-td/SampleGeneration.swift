import ConsistencyTD
import Foundation

/// Samples from a checkpoint's model (METHODS.md §8): a consistency model one-step,
/// x = f(t_max z, t_max), or two-step through a middle time τ (CM noise injection); a diffusion model
/// by EDM's Heun sampler on the Karras grid. Noise comes from the stream (seed, "cli.sample", 0), so a
/// seed gives the same samples every time.
struct SampleGeneration {
    /// The middle time of two-step sampling used by ECT on CIFAR-10 (``TwoStepSamplingDefaults``).
    static let defaultMiddleTime = TwoStepSamplingDefaults.cifarMiddleTime

    /// Refuses a `--count` whose samples and network activations (count × (D + W) doubles, W the MLP's
    /// width or the U-Net's widest feature map C·H·W) cannot fit in memory, before anything is
    /// allocated (``MemoryBudget``).
    static func checkMemory(count: Int, model: CheckpointModel) throws {
        let width: Int
        switch model.network.architecture {
        case let .mlp(configuration): width = configuration.width
        case let .unet(configuration): width = (configuration.channelWidths.max() ?? 1) * configuration.height * configuration.width
        }
        do {
            try MemoryBudget.check("--count × (dimension + width)", [count, model.dimension + width],
                                   bytesPerElement: 8, operation: "sampling")
        } catch { throw CommandLineFailure("\(error)") }
    }

    var steps: Int = 1
    var middleTime: Double = defaultMiddleTime
    var heunSteps: Int = 18
    /// The class of a class-conditional model's samples (nil: the null class, i.e. unconditional).
    var label: Int32? = nil
    /// The classifier-free guidance scale w (``ClassGuidedNetwork``; 1 = plain conditional).
    var guidanceScale: Double = 1

    /// "1-step", "2-step (τ = 0.821)" or "heun-18".
    func name(for model: CheckpointModel) -> String {
        if model.isDiffusion { return "heun-\(heunSteps)" }
        return steps == 1 ? "1-step" : "2-step"
    }

    /// `count` samples (count × D, row-major) of `model`.
    func samples(of model: CheckpointModel, count: Int, seed: UInt64) throws -> [Double] {
        try Self.checkMemory(count: count, model: model)
        if label != nil || guidanceScale != 1 {
            let guided: ClassGuidedNetwork
            do {
                guided = try ClassGuidedNetwork(network: model.network, labels: label.map { [$0] }, guidanceScale: guidanceScale)
            } catch { throw CommandLineFailure("--class/--guidance: \(error)") }
            return try samples(of: guided, model: model, count: count, seed: seed)
        }
        return try samples(of: model.network, model: model, count: count, seed: seed)
    }

    /// Samples of `network` (the checkpoint's network, or it with class guidance).
    private func samples<Network: ConsistencyFunction & Denoiser>(of network: Network, model: CheckpointModel, count: Int,
                                                                  seed: UInt64) throws -> [Double] {
        var stream = RandomStream(seed: seed, purpose: "cli.sample", index: 0)
        if model.isDiffusion {
            let sampler = try EDMHeunSampler(denoiser: network, dimension: model.dimension, stepCount: heunSteps,
                                             minimumTime: model.network.minimumTime, maximumTime: model.maximumTime)
            return try sampler.sample(count: count, stream: &stream)
        }
        let sampler = try ConsistencySampler(model: network, maximumTime: model.maximumTime)
        switch steps {
        case 1: return try sampler.sample(count: count, stream: &stream)
        case 2: return try sampler.sample(count: count, middleTimes: [middleTime], stream: &stream)
        default: throw CommandLineFailure("--steps \(steps) is not valid; expected 1 or 2")
        }
    }
}
