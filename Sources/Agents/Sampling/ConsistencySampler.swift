import Tensors

/// One-step and multistep sampling with a consistency function (METHODS.md §8; Song et al. 2023,
/// "Consistency Models", Algorithm 1).
///
/// One step:
///
///     x = t_max · z,  z ~ N(0, I),      output f(x, t_max)
///
/// Multistep through t_max = τ₀ > τ₁ > … > τ_H ≥ t_min:
///
///     x̂₀ = f(x, τ_j),   x = x̂₀ + s_j · z_j  (z_j ~ N(0, I)),   output f(x, τ_H) after the last step
///
/// with s_j = √(τ_{j+1}² − t_min²) (CM, the default) or s_j = τ_{j+1} (ECT), see ``NoiseInjection``.
/// The exact f* of a closed-form distribution (``ExactValue``) is a perfect consistency model, so the
/// same sampler runs on the ground truth.
///
/// Randomness: every normal comes from the caller's stream, in this order: the count × D initial
/// normals z, then count × D normals z_j for each middle time in turn (row-major, point by point).
/// The same stream state therefore gives bit-identical samples, and a copy of a stream gives the
/// same noise to two samplers (common random numbers).
public struct ConsistencySampler<Model: ConsistencyFunction> {
    /// The consistency function f(x, t).
    public let model: Model
    /// t_max, the noise level of the first state (80 by default, METHODS.md §0).
    public let maximumTime: Double
    /// The fresh-noise convention of multistep sampling (CM by default).
    public var noiseInjection: NoiseInjection

    /// A sampler for `model` starting at t_max = `maximumTime`. Throws when t_max is not finite or not
    /// above the model's t_min, or when the model's dimension is not positive.
    public init(model: Model, maximumTime: Double = 80,
                noiseInjection: NoiseInjection = .consistencyModels) throws(SamplingError) {
        guard model.dimension > 0 else { throw .invalidDimension(model.dimension) }
        let minimumTime = model.minimumTime
        guard minimumTime.isFinite, minimumTime > 0 else {
            throw .invalidTimes("the model's t_min = \(minimumTime); expected a finite positive t_min")
        }
        guard maximumTime.isFinite, maximumTime > minimumTime else {
            throw .invalidTimes("t_max = \(maximumTime); expected a finite t_max above the model's t_min = \(minimumTime)")
        }
        self.model = model
        self.maximumTime = maximumTime
        self.noiseInjection = noiseInjection
    }

    /// D, the dimension of a sample.
    public var dimension: Int { model.dimension }
    /// t_min, the model's boundary time.
    public var minimumTime: Double { model.minimumTime }

    /// `count` one-step samples f(t_max · z, t_max) (count × D, row-major).
    public func sample(count: Int, stream: inout RandomStream) throws -> [Double] {
        try sample(count: count, middleTimes: [], stream: &stream)
    }

    /// `count` multistep samples through t_max = τ₀ > τ₁ > … > τ_H (count × D, row-major).
    /// `middleTimes` are τ₁ … τ_H: strictly descending, each in [t_min, t_max). An empty list is
    /// one-step sampling. Uses H + 1 evaluations of the model.
    public func sample(count: Int, middleTimes: [Double], stream: inout RandomStream) throws -> [Double] {
        guard count > 0 else { throw SamplingError.invalidSampleCount(count) }
        try validateMiddleTimes(middleTimes)
        let valueCount = count * dimension
        var state = [Double](repeating: 0, count: valueCount)
        state.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: valueCount) }
        for i in 0 ..< valueCount { state[i] *= maximumTime }
        var estimate = try evaluate(state, time: maximumTime)
        var noise = [Double](repeating: 0, count: middleTimes.isEmpty ? 0 : valueCount)
        for time in middleTimes {
            let scale = noiseInjection.noiseScale(nextTime: time, minimumTime: minimumTime)
            noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: valueCount) }
            for i in 0 ..< valueCount { state[i] = estimate[i] + scale * noise[i] }
            estimate = try evaluate(state, time: time)
        }
        return estimate
    }

    /// f(x, t) with its output size checked.
    private func evaluate(_ points: [Double], time: Double) throws -> [Double] {
        let output = try model.consistency(points, time: time)
        guard output.count == points.count else {
            throw SamplingError.modelOutputMismatch(values: output.count, expected: points.count)
        }
        return output
    }

    /// τ₁ … τ_H finite, strictly descending, τ₁ < t_max and τ_H ≥ t_min.
    func validateMiddleTimes(_ times: [Double]) throws(SamplingError) {
        var previous = maximumTime
        for (index, time) in times.enumerated() {
            guard time.isFinite else {
                throw .invalidTimes("middle time at index \(index) is \(time); expected a finite time")
            }
            guard time < previous else {
                throw .invalidTimes("middle time at index \(index) is \(time), not below the previous time \(previous); "
                    + "expected strictly descending times below t_max = \(maximumTime)")
            }
            guard time >= minimumTime else {
                throw .invalidTimes("middle time at index \(index) is \(time), below t_min = \(minimumTime); "
                    + "expected times in [t_min, t_max)")
            }
            previous = time
        }
    }
}
