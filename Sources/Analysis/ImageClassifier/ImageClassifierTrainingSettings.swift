import Foundation

/// How ``ImageClassifierTraining`` fits an ``NeuralNetworks/ImageClassifier``: Adam (Kingma & Ba 2015)
/// on minibatches of the training part with a cosine learning-rate decay (Loshchilov & Hutter 2017),
///
///     lr(s) = lr_min + (lr₀ − lr_min) · ½ (1 + cos(π s / S)),   lr_min = finalLearningRateFraction · lr₀,
///
/// decoupled weight decay λ, and random translations of every training image by (δy, δx) drawn
/// uniformly from {−m, …, m}² (pixels shifted in are `fillValue`, the data's background).
public struct ImageClassifierTrainingSettings: Equatable, Sendable {
    /// S: optimizer steps.
    public var steps: Int
    /// Images per minibatch, drawn uniformly with replacement.
    public var batchSize: Int
    /// lr₀: the initial Adam learning rate.
    public var learningRate: Double
    /// lr_min / lr₀, the rate lr(S) the cosine reaches at s = S (the last step, s = S − 1, is just above it).
    public var finalLearningRateFraction: Double
    /// λ: decoupled weight decay (weights only; biases and norm gains are not decayed).
    public var weightDecay: Double
    /// m: the largest translation in pixels (0 = no augmentation).
    public var maximumShift: Int
    /// The pixel value shifted in at the border (−1, the background of the [−1, 1] digits).
    public var fillValue: Float
    /// The seed of the initialisation, minibatch and augmentation streams.
    public var seed: UInt64

    /// The digits settings (defaults): 3000 steps of 64 images, lr 3·10⁻³ decayed to 1 %, λ = 10⁻²,
    /// shifts of ±1 pixel, background −1, seed 0.
    public init(steps: Int = 3000, batchSize: Int = 64, learningRate: Double = 3e-3, finalLearningRateFraction: Double = 0.01,
                weightDecay: Double = 1e-2, maximumShift: Int = 1, fillValue: Float = -1, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.finalLearningRateFraction = finalLearningRateFraction
        self.weightDecay = weightDecay
        self.maximumShift = maximumShift
        self.fillValue = fillValue
        self.seed = seed
    }

    /// lr(s) for step s ∈ 0..<S (the formula above).
    public func learningRate(atStep step: Int) -> Double {
        let minimum = finalLearningRateFraction * learningRate
        let progress = Double(step) / Double(max(steps, 1))
        return minimum + (learningRate - minimum) * 0.5 * (1 + cos(Double.pi * progress))
    }

    /// Throws ``ImageClassifierError/invalidSettings(reason:)`` naming the first invalid setting.
    public func validate() throws(ImageClassifierError) {
        func invalid(_ reason: String) -> ImageClassifierError { .invalidSettings(reason: reason) }
        guard steps >= 1 else { throw invalid("steps must be ≥ 1, got \(steps)") }
        guard batchSize >= 1 else { throw invalid("the batch size must be ≥ 1, got \(batchSize)") }
        guard learningRate.isFinite, learningRate > 0 else { throw invalid("the learning rate must be finite and > 0, got \(learningRate)") }
        guard finalLearningRateFraction >= 0, finalLearningRateFraction <= 1 else {
            throw invalid("the final learning-rate fraction must be in [0, 1], got \(finalLearningRateFraction)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw invalid("the weight decay must be finite and ≥ 0, got \(weightDecay)") }
        guard maximumShift >= 0 else { throw invalid("the maximum shift must be ≥ 0 pixels, got \(maximumShift)") }
        guard fillValue.isFinite else { throw invalid("the fill value must be finite, got \(fillValue)") }
    }
}
