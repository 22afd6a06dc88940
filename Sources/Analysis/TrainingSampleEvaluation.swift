import Agents
import Environments
import Tensors

/// The sample metrics a run records while it trains (METHODS.md §8–§9; a configuration's
/// `evaluation:` block): N samples of the model with each sampler, scored with the chosen metrics
/// against N held-out data points (fresh draws of a generative distribution; points of a finite
/// dataset's test part, `heldOut`):
///
///     consistency model, 1 step:   x = f(t_max·z, t_max)
///     consistency model, 2 steps:  x = f(f(t_max·z, t_max) + √(τ² − t_min²)·z′, τ)      (CM noise injection)
///     diffusion model, Heun-H:     EDM's Heun sampler on the H-point Karras grid, then Euler to 0
///
///     nll, mode-coverage, precision    exact, against the Gaussian mixture (``GaussianMixtureSampleQuality``)
///     sliced-wasserstein               SW₂², 256 projections            (``SampleDistance``)
///     mmd                              MMD²ᵤ, RBF kernels at 0.25…4 × the median distance
///     energy-distance                  energy distance (U-statistics)
///
/// The result is one scalar per sampler and metric, named `<sampler>/<metric>`: `1-step/nll`,
/// `1-step/nll_gap`, `2-step/mode_coverage`, `heun-18/mmd2`, … plus `<sampler>/non_finite_samples`
/// always. A sampler with a non-finite sample reports NaN distances (on a mixture the NLL averages the
/// finite samples; precision and coverage count a non-finite sample as a miss), so a diverging run is
/// recorded, not aborted.
///
/// **Common random numbers.** The held-out data (stream (seed, "analysis.training-evaluation.reference")),
/// the sampling noise ("….noise", index = sampler), the projections ("….projections") and the data's own
/// NLL ("….data-nll") are the same at every evaluation of a run, so a metric's curve over training
/// moves with the model, not with the draws.
///
/// **Class-conditional models.** The held-out points come with their labels, and a class-conditional
/// network samples the same labels row by row (``ClassGuidedNetwork`` with the guidance scale w), so
/// both sets have the same class frequencies. An unconditional network ignores the labels.
public struct TrainingSampleEvaluation: Sendable {
    /// The metrics of METHODS.md §9 by their configuration names.
    public enum Metric: String, CaseIterable, Sendable {
        case negativeLogLikelihood = "nll"
        case modeCoverage = "mode-coverage"
        case precision
        case slicedWasserstein = "sliced-wasserstein"
        case maximumMeanDiscrepancy = "mmd"
        case energyDistance = "energy-distance"

        /// Whether the metric needs the exact density of a Gaussian mixture.
        public var needsGaussianMixture: Bool {
            switch self {
            case .negativeLogLikelihood, .modeCoverage, .precision: true
            case .slicedWasserstein, .maximumMeanDiscrepancy, .energyDistance: false
            }
        }
    }

    /// How the samples are drawn.
    public enum Sampler: Equatable, Sendable {
        /// Consistency sampling with 1 step, or 2 steps through the middle time τ.
        case consistency(steps: Int, middleTime: Double)
        /// EDM's Heun sampler with this many Karras grid points (a diffusion model).
        case heun(points: Int)

        /// "1-step", "2-step" or "heun-18": the first part of the metric names.
        public var name: String {
            switch self {
            case let .consistency(steps, _): "\(steps)-step"
            case let .heun(points): "heun-\(points)"
            }
        }
    }

    /// The purpose prefix of every random stream of the evaluation.
    public static let streamPrefix = "analysis.training-evaluation"

    /// N, samples per sampler (and held-out data points).
    public let sampleCount: Int
    public let samplers: [Sampler]
    public let metrics: [Metric]
    /// w, the classifier-free guidance scale of a class-conditional network (1 = plain conditional).
    public let guidanceScale: Double
    /// t_max, where sampling starts.
    public let maximumTime: Double
    public let seed: UInt64
    /// D.
    public let dimension: Int
    /// N held-out data points (N × D) and, for labelled data, their labels.
    public let reference: [Double]
    public let referenceLabels: [Int32]?
    let mixture: GaussianMixture?
    let dataNegativeLogLikelihood: MonteCarloEstimate?
    let bandwidths: [Double]?

    /// Draws the held-out data and, for a Gaussian mixture, its own NLL (10 000 points). `heldOut` is the
    /// distribution the held-out points come from when it is not `distribution` itself: the test part of a
    /// finite dataset whose training part is `distribution` (``DistributionSpec/makeHeldOutDistribution()``).
    /// Fresh draws of a generative distribution are held out already, so nil (the default) draws them from
    /// `distribution`. Throws when N < 2, when there is no sampler, when two samplers share a name, when a sampler's setting is out of range
    /// (1 or 2 consistency steps with t_min < τ < t_max; at least 2 Heun grid points), when a metric needs
    /// a Gaussian mixture and the data are not one, or when `heldOut` differs from `distribution` in
    /// dimension or in having labels.
    public init(distribution: any DataDistribution, heldOut: (any DataDistribution)? = nil, sampleCount: Int,
                samplers: [Sampler], metrics: [Metric],
                guidanceScale: Double = 1, maximumTime: Double, minimumTime: Double, seed: UInt64) throws {
        guard sampleCount >= 2 else {
            throw SampleQualityError.invalidSetting("\(sampleCount) evaluation samples; expected at least 2 (MMD needs two points)")
        }
        guard !samplers.isEmpty else { throw SampleQualityError.invalidSetting("no sampler; expected at least one") }
        guard guidanceScale.isFinite else {
            throw SampleQualityError.invalidSetting("guidance scale \(guidanceScale); expected a finite number")
        }
        for sampler in samplers {
            switch sampler {
            case let .consistency(steps, middleTime):
                guard steps == 1 || steps == 2 else {
                    throw SampleQualityError.invalidSetting("\(steps)-step consistency sampling; expected 1 or 2 steps (2 steps use the middle time τ)")
                }
                guard steps == 1 || (middleTime > minimumTime && middleTime < maximumTime) else {
                    throw SampleQualityError.invalidSetting("the middle time τ = \(middleTime); expected t_min = \(minimumTime) < τ < t_max = \(maximumTime)")
                }
            case let .heun(points):
                guard points >= 2 else {
                    throw SampleQualityError.invalidSetting("Heun sampling on \(points) grid points; expected at least 2")
                }
            }
        }
        var names = Set<String>()
        for sampler in samplers where !names.insert(sampler.name).inserted {
            throw SampleQualityError.invalidSetting("two samplers are named \(sampler.name), so one's metrics would overwrite the other's; "
                                                    + "expected distinct samplers (at most one per step count and one per Heun grid size)")
        }
        let mixture = distribution as? GaussianMixture
        if let metric = metrics.first(where: \.needsGaussianMixture), mixture == nil {
            throw SampleQualityError.invalidSetting("the metric \(metric.rawValue) needs a Gaussian-mixture environment")
        }
        let heldOut = heldOut ?? distribution
        guard heldOut.dimension == distribution.dimension else {
            throw SampleQualityError.invalidSetting("held-out data of dimension \(heldOut.dimension) for a model of dimension \(distribution.dimension); expected the same dimension")
        }
        guard (heldOut.classCount == nil) == (distribution.classCount == nil) else {
            throw SampleQualityError.invalidSetting("held-out data \(heldOut.classCount == nil ? "without" : "with") labels for training data \(distribution.classCount == nil ? "without" : "with") them; expected both or neither labelled")
        }
        self.sampleCount = sampleCount
        self.samplers = samplers
        self.metrics = metrics
        self.guidanceScale = guidanceScale
        self.maximumTime = maximumTime
        self.seed = seed
        dimension = distribution.dimension
        var points = [Double](repeating: 0, count: sampleCount * dimension)
        var labels = heldOut.classCount == nil ? nil : [Int32](repeating: 0, count: sampleCount)
        var referenceStream = RandomStream(seed: seed, purpose: Self.streamPrefix + ".reference")
        points.withUnsafeMutableBufferPointer { pointBuffer in
            if labels != nil {
                labels!.withUnsafeMutableBufferPointer {
                    heldOut.sample(count: sampleCount, into: pointBuffer.baseAddress!, labels: $0.baseAddress!, stream: &referenceStream)
                }
            } else {
                heldOut.sample(count: sampleCount, into: pointBuffer.baseAddress!, labels: nil, stream: &referenceStream)
            }
        }
        reference = points
        referenceLabels = labels
        if let mixture, metrics.contains(where: \.needsGaussianMixture) {
            var dataStream = RandomStream(seed: seed, purpose: Self.streamPrefix + ".data-nll")
            self.mixture = mixture
            dataNegativeLogLikelihood = try mixture.dataNegativeLogLikelihood(sampleCount: 10_000, stream: &dataStream)
        } else {
            self.mixture = nil
            dataNegativeLogLikelihood = nil
        }
        bandwidths = metrics.contains(.maximumMeanDiscrepancy)
            ? try SampleDistance.defaultBandwidths(reference: points, dimension: dimension) : nil
    }

    /// Samples `network` with every sampler and scores the samples: `<sampler>/<metric>` → value.
    /// Throws when the network's dimension is not D or a sampler fails (e.g. a diffusion sampler on a
    /// consistency model is the caller's choice and is not detected here).
    public func evaluate(_ network: PreconditionedNetwork) throws -> [String: Double] {
        guard network.dimension == dimension else {
            throw SampleQualityError.invalidSetting("a network of dimension \(network.dimension) for data of dimension \(dimension); expected equal dimensions")
        }
        let labels = network.classCount > 0 ? referenceLabels : nil
        let model = try ClassGuidedNetwork(network: network, labels: labels, guidanceScale: labels == nil ? 1 : guidanceScale)
        var result: [String: Double] = [:]
        for (index, sampler) in samplers.enumerated() {
            var noise = RandomStream(seed: seed, purpose: Self.streamPrefix + ".noise", index: UInt64(index))
            let samples: [Double]
            switch sampler {
            case let .consistency(steps, middleTime):
                let consistencySampler = try ConsistencySampler(model: model, maximumTime: maximumTime)
                samples = try consistencySampler.sample(count: sampleCount, middleTimes: steps == 2 ? [middleTime] : [], stream: &noise)
            case let .heun(points):
                let heun = try EDMHeunSampler(denoiser: model, dimension: dimension, stepCount: points,
                                              minimumTime: network.minimumTime, maximumTime: maximumTime)
                samples = try heun.sample(count: sampleCount, stream: &noise)
            }
            for (name, value) in try score(samples) { result[sampler.name + "/" + name] = value }
        }
        return result
    }

    /// The chosen metrics of N samples (N × D) against the held-out data, by metric name, plus
    /// `non_finite_samples`.
    public func score(_ samples: [Double]) throws -> [String: Double] {
        guard samples.count == sampleCount * dimension else {
            throw SampleQualityError.invalidSetting("\(samples.count) values; expected \(sampleCount) samples × D = \(dimension)")
        }
        let nonFinite = SampleDistance.nonFiniteRowCount(samples, dimension: dimension)
        var result = ["non_finite_samples": Double(nonFinite)]
        if let mixture, let dataNegativeLogLikelihood {
            let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: mixture,
                                                           dataNegativeLogLikelihood: dataNegativeLogLikelihood)
            if metrics.contains(.negativeLogLikelihood) {
                result["nll"] = quality.negativeLogLikelihood?.mean ?? .nan
                result["nll_gap"] = quality.negativeLogLikelihoodGap ?? .nan
            }
            if metrics.contains(.modeCoverage) { result["mode_coverage"] = quality.modeCoverage }
            if metrics.contains(.precision) { result["precision"] = quality.precision }
        }
        let finite = nonFinite == 0
        if metrics.contains(.slicedWasserstein) {
            var projections = RandomStream(seed: seed, purpose: Self.streamPrefix + ".projections")
            result["sliced_wasserstein2_squared"] = finite
                ? try SampleDistance.squaredSlicedWasserstein2(samples, reference, dimension: dimension, projections: 256,
                                                               stream: &projections)
                : .nan
        }
        if metrics.contains(.maximumMeanDiscrepancy), let bandwidths {
            result["mmd2"] = finite
                ? try SampleDistance.squaredMaximumMeanDiscrepancy(samples, reference, dimension: dimension, bandwidths: bandwidths)
                : .nan
        }
        if metrics.contains(.energyDistance) {
            result["energy_distance"] = finite ? try SampleDistance.energyDistance(samples, reference, dimension: dimension) : .nan
        }
        return result
    }
}
