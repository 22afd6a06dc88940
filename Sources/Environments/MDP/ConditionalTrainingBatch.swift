import Tensors

/// The conditional ("training") view of the MDP that consistency training uses: a batch of
/// (x₀, z, t, r) with x₀ from the data, z ~ N(0, I), (t, r) from a pair sampler, and the two points the
/// conditional estimator builds from them (METHODS.md §3.3):
///
///     x_t = x₀ + t·z,     x̂_r = x₀ + r·z
///
/// Rows are samples; `data`, `noise`, `noisy` and `estimate` are count × dimension, row-major.
public struct ConditionalTrainingBatch: Equatable {
    public let count: Int
    public let dimension: Int
    public var data: [Double]
    public var labels: [Int32]?
    public var noise: [Double]
    public var times: [Double]
    public var targetTimes: [Double]
    public var noisy: [Double]
    public var estimate: [Double]

    /// Draws a batch for training iteration `iteration`: data from `(seed, "data", iteration)`, noise
    /// from `(seed, "noise", iteration)` and pairs from `(seed, "time", iteration)`, so a batch depends
    /// only on the seed and the iteration (what makes a resumed run equal an uninterrupted one).
    /// Throws ``EnvironmentError`` for `count` < 1 or a negative `iteration`.
    public init(
        count: Int, from distribution: some DataDistribution, pairs sampler: some TimePairSampler,
        iteration: Int, seed: UInt64
    ) throws {
        guard count > 0 else { throw EnvironmentError("a training batch needs at least one sample, got \(count)") }
        guard iteration >= 0 else {
            throw EnvironmentError("the training iteration must be ≥ 0 (it indexes the batch's random streams), got \(iteration)")
        }
        let dimension = distribution.dimension
        let index = UInt64(iteration)
        var dataStream = RandomStream(seed: seed, purpose: "data", index: index)
        var noiseStream = RandomStream(seed: seed, purpose: "noise", index: index)
        var timeStream = RandomStream(seed: seed, purpose: "time", index: index)
        var data = [Double](repeating: 0, count: count * dimension)
        var labels: [Int32]? = distribution.classCount == nil ? nil : [Int32](repeating: 0, count: count)
        data.withUnsafeMutableBufferPointer { points in
            if labels != nil {
                labels!.withUnsafeMutableBufferPointer { distribution.sample(count: count, into: points.baseAddress!, labels: $0.baseAddress, stream: &dataStream) }
            } else {
                distribution.sample(count: count, into: points.baseAddress!, labels: nil, stream: &dataStream)
            }
        }
        var noise = [Double](repeating: 0, count: count * dimension)
        noise.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: $0.count) }
        let pairs = sampler.samplePairs(count: count, iteration: iteration, stream: &timeStream)
        let times = pairs.map(\.time), targetTimes = pairs.map(\.targetTime)
        var noisy = [Double](repeating: 0, count: count * dimension), estimate = noisy
        ConditionalSampleEstimator.transition(data: data, noise: noise, count: count, dimension: dimension, times: times,
                                              targetTimes: targetTimes, noisy: &noisy, estimate: &estimate)
        self.count = count
        self.dimension = dimension
        self.data = data
        self.labels = labels
        self.noise = noise
        self.times = times
        self.targetTimes = targetTimes
        self.noisy = noisy
        self.estimate = estimate
    }
}
