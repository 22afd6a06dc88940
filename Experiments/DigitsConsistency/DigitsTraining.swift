import Agents
import Environments
import Foundation

/// The training recipe shared by every arm of one seed: EDM pretraining of a U-Net denoiser on the
/// training split (Karras et al. 2022), then each consistency method with its preset (METHODS.md §6)
/// adapted to 8×8 digits: σ_d = 0.5, t_max = 80, the size's minibatch, learning rates with a cosine
/// decay to 5 %, an evaluation EMA of rate 1 − 10/steps (at most 0.999) so short runs average over
/// their last tenth. Class-conditional models drop their label (use the null class) with probability
/// ``labelDropout`` so that classifier-free guidance can be applied when sampling.
struct DigitsTraining {
    let size: DigitsSize
    let seed: UInt64
    let train: EmpiricalDataset
    /// The probability of replacing a class-conditional model's label by the null class in training.
    let labelDropout: Double
    /// Learning rate of diffusion pretraining.
    var diffusionLearningRate: Float = 2e-3
    /// Learning rate of the consistency stages (iCT from scratch uses twice this).
    var consistencyLearningRate: Float = 5e-4

    /// The evaluation-average rate for a run of `steps` iterations.
    static func averageRate(steps: Int) -> Float { Float(min(0.999, 1 - 10 / Double(max(steps, 20)))) }

    /// The averaged EDM denoiser D(x, t[, y]) after ``DigitsSize/diffusionSteps`` iterations;
    /// `progress(done, total, loss)` is called every `reportEvery` iterations.
    func pretrainDiffusion(classConditional: Bool, reportEvery: Int,
                           progress: (Int, Int, Double) -> Void) throws -> PreconditionedNetwork {
        var configuration = DiffusionPretrainingConfiguration(
            steps: size.diffusionSteps, unet: size.unet(classCount: classConditional ? 10 : 0, dropout: 0))
        configuration.batchSize = size.batchSize
        configuration.seed = seed
        configuration.dataStandardDeviation = 0.5
        configuration.learningRate = diffusionLearningRate
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.evaluationAverageRate = Self.averageRate(steps: size.diffusionSteps)
        if classConditional { configuration.labelDropout = labelDropout }
        let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: train)
        try run(steps: size.diffusionSteps, reportEvery: reportEvery, progress: progress) { try pretrainer.trainStep() }
        return try pretrainer.averagedNetwork()
    }

    /// The consistency function f_θ of `arm` (its evaluation average), tuned from `teacher` when the arm
    /// tunes from diffusion; returns the model and the training loss every `reportEvery` iterations.
    func trainConsistency(_ arm: DigitsArm, teacher: PreconditionedNetwork?, reportEvery: Int,
                          progress: (Int, Int, Double) -> Void) throws -> (model: PreconditionedNetwork, losses: [Double]) {
        var configuration = try ConsistencyTrainingConfiguration.preset(arm.method, steps: size.consistencySteps, dimension: 64)
        configuration.unet = size.unet(classCount: arm.classConditional ? 10 : 0, dropout: arm.tunesFromDiffusion ? 0 : 0.1)
        configuration.batchSize = size.batchSize
        configuration.seed = seed
        configuration.dataStandardDeviation = 0.5
        configuration.maximumTime = 80
        configuration.learningRate = arm.tunesFromDiffusion ? consistencyLearningRate : 2 * consistencyLearningRate
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.evaluationAverageRate = Self.averageRate(steps: size.consistencySteps)
        if arm.classConditional { configuration.labelDropout = labelDropout }
        let initial = arm.tunesFromDiffusion ? teacher : nil
        if arm.tunesFromDiffusion, initial == nil {
            throw ExperimentFailure("\(arm.name) tunes from a diffusion model, but none was trained")
        }
        let learner = try ConsistencyLearner(configuration: configuration, distribution: train, initial: initial, teacher: teacher)
        var losses: [Double] = []
        try run(steps: size.consistencySteps, reportEvery: reportEvery, progress: { done, total, loss in
            losses.append(loss)
            progress(done, total, loss)
        }) { try learner.trainStep() }
        return (try learner.averagedNetwork(), losses)
    }

    /// Runs `step` `steps` times; reports the mean loss of each block of `reportEvery` iterations.
    /// A non-finite loss that the learner did not skip ends the run with a message.
    private func run(steps: Int, reportEvery: Int, progress: (Int, Int, Double) -> Void,
                     step: () throws -> TrainingStepReport) throws {
        var sum = 0.0, counted = 0
        for k in 0..<steps {
            let report = try step()
            if !report.skipped, let loss = report.metrics["train/loss"] {
                guard loss.isFinite else { throw ExperimentFailure("training diverged at iteration \(k + 1): loss \(loss); lower the learning rate") }
                sum += loss
                counted += 1
            }
            if (k + 1) % reportEvery == 0 || k + 1 == steps {
                progress(k + 1, steps, counted > 0 ? sum / Double(counted) : .nan)
                sum = 0
                counted = 0
            }
        }
    }
}
