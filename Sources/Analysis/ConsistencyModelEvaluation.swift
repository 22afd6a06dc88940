import Agents
import Environments
import Tensors

/// Sample quality of a consistency model's one-step and multistep samples against its data
/// (METHODS.md §8–§9) — what every ablation reports at each evaluation point:
///
///     x = f_θ(t_max · z, t_max)   (one step; with middle times τ₁ … τ_H the multistep sampler of
///                                  Song et al. 2023, Algorithm 1, via ``ConsistencySampler``)
///     SW₂²(samples, held-out data)          (any data; ``SampleDistance``)
///     NLL − H(p₀), mode coverage           (Gaussian mixtures only; ``GaussianMixtureSampleQuality``)
///
/// The noise z (and the multistep noise) comes from the stream (seed, "analysis.consistency-model-evaluation.noise"),
/// the held-out data from (seed, "…reference") and the data's own NLL from (seed, "…data-nll"): every
/// model scored by one evaluation sees the same noise (common random numbers), so differences between
/// models are not differences between noise draws. The sliced Wasserstein projections come from
/// (seed, "…projections"), also shared.
public struct ConsistencyModelEvaluation: Sendable {
    /// The purpose prefix of every random stream of the evaluation.
    public static let streamPrefix = "analysis.consistency-model-evaluation"

    /// N, the number of samples drawn (and of held-out data points).
    public let sampleCount: Int
    /// D.
    public let dimension: Int
    /// The seed of every stream.
    public let seed: UInt64
    /// N held-out data points (N × D, row-major), the reference of the sliced Wasserstein distance.
    public let reference: [Double]
    /// The Gaussian mixture when the data are one (then NLL and coverage are reported).
    public let mixture: GaussianMixture?
    /// H(p₀) estimated from `dataSampleCount` data points (Gaussian mixtures only).
    public let dataNegativeLogLikelihood: MonteCarloEstimate?
    /// The number of random directions of the sliced Wasserstein distance.
    public let projections: Int

    /// Prepares the held-out data (and, for a Gaussian mixture, its own NLL from `dataSampleCount`
    /// points). Throws when `sampleCount` or `dataSampleCount` is not positive or `projections` < 256.
    public init(distribution: any DataDistribution, sampleCount: Int, seed: UInt64, dataSampleCount: Int = 10_000,
                projections: Int = 256) throws {
        guard sampleCount > 0 else { throw SampleQualityError.invalidSampleCount(sampleCount) }
        guard dataSampleCount > 0 else { throw SampleQualityError.invalidSampleCount(dataSampleCount) }
        guard projections >= 256 else {
            throw SampleQualityError.invalidSetting("\(projections) projections; expected at least 256 (METHODS.md §9)")
        }
        self.sampleCount = sampleCount
        self.seed = seed
        self.projections = projections
        dimension = distribution.dimension
        var referenceStream = RandomStream(seed: seed, purpose: Self.streamPrefix + ".reference")
        reference = distribution.sample(count: sampleCount, stream: &referenceStream)
        if let mixture = distribution as? GaussianMixture {
            var dataStream = RandomStream(seed: seed, purpose: Self.streamPrefix + ".data-nll")
            self.mixture = mixture
            dataNegativeLogLikelihood = try mixture.dataNegativeLogLikelihood(sampleCount: dataSampleCount, stream: &dataStream)
        } else {
            mixture = nil
            dataNegativeLogLikelihood = nil
        }
    }

    /// Draws N samples from `model` (one step when `middleTimes` is empty, else the multistep sampler
    /// through them, CM noise injection) starting at t_max = `maximumTime`, and scores them.
    public func evaluate<Model: ConsistencyFunction>(_ model: Model, maximumTime: Double,
                                                     middleTimes: [Double] = []) throws -> SampleScore {
        guard model.dimension == dimension else {
            throw SampleQualityError.invalidSetting("a model of dimension \(model.dimension) for data of dimension \(dimension); expected equal dimensions")
        }
        let sampler = try ConsistencySampler(model: model, maximumTime: maximumTime)
        var noise = RandomStream(seed: seed, purpose: Self.streamPrefix + ".noise")
        return try score(sampler.sample(count: sampleCount, middleTimes: middleTimes, stream: &noise))
    }

    /// Scores N given samples (N × D): SW₂² to the held-out data (NaN when a sample is not finite,
    /// which ``SampleScore/nonFiniteSampleCount`` then counts), and for a Gaussian mixture the exact
    /// NLL, its gap to H(p₀) and the mode coverage.
    public func score(_ samples: [Double]) throws -> SampleScore {
        guard samples.count == sampleCount * dimension else {
            throw SampleQualityError.invalidSetting("\(samples.count) values; expected \(sampleCount) samples × D = \(dimension)")
        }
        let nonFinite = SampleDistance.nonFiniteRowCount(samples, dimension: dimension)
        var projectionStream = RandomStream(seed: seed, purpose: Self.streamPrefix + ".projections")
        let distance = nonFinite > 0 ? Double.nan
            : try SampleDistance.squaredSlicedWasserstein2(samples, reference, dimension: dimension, projections: projections,
                                                           stream: &projectionStream)
        guard let mixture, let dataNegativeLogLikelihood else {
            return SampleScore(samples: samples, squaredSlicedWasserstein2: distance, nonFiniteSampleCount: nonFinite,
                               negativeLogLikelihood: nil, negativeLogLikelihoodGap: nil, modeCoverage: nil)
        }
        let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: mixture,
                                                       dataNegativeLogLikelihood: dataNegativeLogLikelihood)
        return SampleScore(samples: samples, squaredSlicedWasserstein2: distance, nonFiniteSampleCount: nonFinite,
                           negativeLogLikelihood: quality.negativeLogLikelihood,
                           negativeLogLikelihoodGap: quality.negativeLogLikelihoodGap, modeCoverage: quality.modeCoverage)
    }
}

/// The scores of one set of samples (see ``ConsistencyModelEvaluation``).
public struct SampleScore: Equatable, Sendable {
    /// The samples, N × D row-major.
    public let samples: [Double]
    /// SW₂² to the held-out data (NaN when a sample is not finite).
    public let squaredSlicedWasserstein2: Double
    /// Samples with a NaN or infinite coordinate.
    public let nonFiniteSampleCount: Int
    /// Mean exact NLL −log p₀(x) of the finite samples (Gaussian mixtures; nil otherwise or when none is finite).
    public let negativeLogLikelihood: MonteCarloEstimate?
    /// NLL − H(p₀) (Gaussian mixtures; nil otherwise or when no sample is finite).
    public let negativeLogLikelihoodGap: Double?
    /// Covered modes / K (Gaussian mixtures; nil otherwise).
    public let modeCoverage: Double?

    public init(samples: [Double], squaredSlicedWasserstein2: Double, nonFiniteSampleCount: Int,
                negativeLogLikelihood: MonteCarloEstimate?, negativeLogLikelihoodGap: Double?, modeCoverage: Double?) {
        self.samples = samples
        self.squaredSlicedWasserstein2 = squaredSlicedWasserstein2
        self.nonFiniteSampleCount = nonFiniteSampleCount
        self.negativeLogLikelihood = negativeLogLikelihood
        self.negativeLogLikelihoodGap = negativeLogLikelihoodGap
        self.modeCoverage = modeCoverage
    }
}
