import Agents
import Analysis
import Environments
import ExperimentKit
import Foundation
import Tensors

/// Scores generated digits (METHODS.md §9): the Fréchet distance between the committed classifier's
/// penultimate features of the samples and of the test split,
///
///     FD = ‖μ_s − μ_test‖² + tr Σ_s + tr Σ_test − 2 tr (Σ_s^½ Σ_test Σ_s^½)^½,
///
/// and, for class-conditional samples, the fraction the classifier assigns to the requested class.
/// Samples are drawn from fixed streams (seed, model name), so every model of a seed sees the same
/// noise; class-conditional requests are balanced, label i mod 10 for sample i.
struct DigitsEvaluation {
    let classifier: ImageClassifierEvaluation
    let classifierSHA256: String
    let test: FeatureStatistics
    /// The two-step sampler's middle time (METHODS.md §8: 0.821 at CIFAR scale).
    static let middleTime = 0.821
    static let maximumTime = 80.0

    init(classifierPath: String, test split: EmpiricalDataset) throws {
        classifierSHA256 = try SHA256Checksum.hexDigest(ofFileAt: classifierPath)
        classifier = try ImageClassifierEvaluation(checkpointPath: classifierPath)
        test = try FeatureStatistics(features: try classifier.penultimateFeatures(images: split.points),
                                     dimension: classifier.featureCount)
    }

    /// FD of `images` (n × 64 in [−1, 1]) against the test split, and the classifier's accuracy
    /// against `labels` when given.
    func score(_ images: [Float], labels: [Int32]?) throws -> (frechetDistance: Double, accuracy: Double?) {
        let features = try classifier.penultimateFeatures(images: images)
        let fd = try SampleDistance.frechetDistance(FeatureStatistics(features: features, dimension: classifier.featureCount), test)
        return (fd, try labels.map { try classifier.accuracy(images: images, labels: $0) })
    }

    /// The balanced labels 0, 1, …, 9, 0, … of `count` class-conditional samples.
    static func balancedLabels(_ count: Int) -> [Int32] { (0..<count).map { Int32($0 % 10) } }

    /// `count` samples of a consistency model with `steps` ∈ {1, 2} (Song et al. 2023, Algorithm 1;
    /// the second step from the middle time), class-conditional with guidance scale `guidance` when
    /// the model is.
    static func consistencySamples(_ model: PreconditionedNetwork, steps: Int, count: Int, guidance: Double,
                                   stream: inout RandomStream) throws -> (images: [Float], labels: [Int32]?) {
        let labels = model.classCount > 0 ? balancedLabels(count) : nil
        let guided = try ClassGuidedNetwork(network: model, labels: labels, guidanceScale: labels == nil ? 1 : guidance)
        let sampler = try ConsistencySampler(model: guided, maximumTime: maximumTime)
        let samples = try sampler.sample(count: count, middleTimes: steps == 1 ? [] : [middleTime], stream: &stream)
        return (samples.map { Float($0) }, labels)
    }

    /// `count` samples of the EDM Heun sampler (18 steps, Karras et al. 2022) with the diffusion model.
    static func diffusionSamples(_ model: PreconditionedNetwork, count: Int, guidance: Double,
                                 stream: inout RandomStream) throws -> (images: [Float], labels: [Int32]?) {
        let labels = model.classCount > 0 ? balancedLabels(count) : nil
        let guided = try ClassGuidedNetwork(network: model, labels: labels, guidanceScale: labels == nil ? 1 : guidance)
        let sampler = try EDMHeunSampler(denoiser: guided, dimension: 64, stepCount: 18, maximumTime: maximumTime)
        return (try sampler.sample(count: count, stream: &stream).map { Float($0) }, labels)
    }

    /// A 10 × 10 grid of the first 100 images (a class per column for balanced class-conditional
    /// samples), drawn at 4× into `path`.
    static func writeGrid(_ images: [Float], to path: String) throws {
        let count = min(100, images.count / 64)
        let grid = try ImageGrid.render(Array(images.prefix(count * 64)), count: count, channels: 1, height: 8, width: 8,
                                        columns: 10, scale: 4, padding: 2, background: 64)
        try grid.write(to: path)
    }
}
