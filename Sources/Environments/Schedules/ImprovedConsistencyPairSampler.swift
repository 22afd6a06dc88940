import Foundation
import Tensors

/// The pair schedule of Improved Consistency Training (iCT; Song & Dhariwal 2023, "Improved Techniques
/// for Training Consistency Models", §3.4–3.5), METHODS.md §2.
///
/// Pairs are adjacent points (t, r) = (t_{i+1}, t_i) of the Karras grid with N(k) points, the interval
/// i drawn from the discretised log-normal
///
///     p(i) ∝ erf((ln t_{i+1} − P_mean) / (√2 P_std)) − erf((ln t_i − P_mean) / (√2 P_std)),
///
/// P_mean = −1.1, P_std = 2.0. The grid size doubles at a fixed period (the "exponential curriculum"):
///
///     N(k) = min(s₀ · 2^⌊k/K′⌋, s₁) + 1,   K′ = ⌊K / (log₂⌊s₁/s₀⌋ + 1)⌋,
///
/// s₀ = 10, s₁ = 1280, K = `totalIterations`. The target network is stop-gradient θ (no EMA).
public struct ImprovedConsistencyPairSampler: TimePairSampler, Equatable {
    public let minimumTime: Double
    public let maximumTime: Double
    /// ρ of the Karras grid.
    public let gridExponent: Double
    /// s₀: N(0) = s₀ + 1.
    public let initialScale: Int
    /// s₁: N never exceeds s₁ + 1.
    public let finalScale: Int
    /// K, the length of training.
    public let totalIterations: Int
    /// P_mean of the log-normal over intervals.
    public let logMean: Double
    /// P_std of the log-normal over intervals.
    public let logStandardDeviation: Double

    public init(minimumTime: Double = 0.002, maximumTime: Double = 80, gridExponent: Double = 7,
                initialScale: Int = 10, finalScale: Int = 1280, totalIterations: Int,
                logMean: Double = -1.1, logStandardDeviation: Double = 2.0) throws {
        let name = "iCT pair sampler"
        try validateCurriculumGrid(sampler: name, minimumTime: minimumTime, maximumTime: maximumTime, gridExponent: gridExponent,
                                   initialScale: initialScale, smallestInitialScale: 1, initialScaleHint: "default 10",
                                   finalScale: finalScale, totalIterations: totalIterations)
        guard logMean.isFinite else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "P_mean", value: "\(logMean)", expected: "a finite number (default −1.1)")
        }
        guard logStandardDeviation.isFinite, logStandardDeviation > 0 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "P_std", value: "\(logStandardDeviation)", expected: "a finite P_std > 0 (default 2.0)")
        }
        // Every grid spans [t_min, t_max], so its interval masses sum to this one mass: zero here means
        // no grid has an interval to draw.
        let scale = (2.0).squareRoot() * logStandardDeviation
        let wholeMass = Self.normalMass(lower: (Foundation.log(minimumTime) - logMean) / scale,
                                        upper: (Foundation.log(maximumTime) - logMean) / scale)
        guard wholeMass > 0 else {
            throw PairSamplerConfigurationError(
                sampler: name, parameter: "P_mean", value: "\(logMean) (P_std \(logStandardDeviation))",
                expected: "a log-normal with probability mass on [t_min, t_max] = [\(minimumTime), \(maximumTime)], P_mean within about 38·P_std of ln t_min…ln t_max (default −1.1, 2.0)")
        }
        self.minimumTime = minimumTime
        self.maximumTime = maximumTime
        self.gridExponent = gridExponent
        self.initialScale = initialScale
        self.finalScale = finalScale
        self.totalIterations = totalIterations
        self.logMean = logMean
        self.logStandardDeviation = logStandardDeviation
    }

    /// K′ = ⌊K / (log₂⌊s₁/s₀⌋ + 1)⌋ (at least 1), the number of iterations between doublings.
    public var doublingPeriod: Int {
        let doublings = Foundation.log2(Double(finalScale / initialScale))
        return max(Int((Double(totalIterations) / (doublings + 1)).rounded(.down)), 1)
    }

    /// N(k) = min(s₀ · 2^⌊k/K′⌋, s₁) + 1.
    public func gridPointCount(iteration: Int) -> Int {
        let doublings = max(iteration, 0) / doublingPeriod
        // s₀ · 2^d saturates at s₁ long before 2^d could overflow.
        let scale = doublings >= 40 ? finalScale : min(initialScale << doublings, finalScale)
        return scale + 1
    }

    /// The Karras grid with N(k) points.
    public func grid(iteration: Int) -> TimeGrid {
        do { return try TimeGrid.karras(count: gridPointCount(iteration: iteration), minimum: minimumTime,
                                        maximum: maximumTime, exponent: gridExponent) }
        catch { preconditionFailure("iCT pair sampler: \(error)") }
    }

    /// erf(upper) − erf(lower) for lower ≤ upper, written with erfc when both arguments lie on one
    /// side of 0 (erfc(lower) − erfc(upper) above, erfc(−upper) − erfc(−lower) below), so both tails
    /// keep their relative precision instead of rounding to 1 − 1 = 0.
    static func normalMass(lower: Double, upper: Double) -> Double {
        if lower > 0 { return Foundation.erfc(lower) - Foundation.erfc(upper) }
        if upper < 0 { return Foundation.erfc(-upper) - Foundation.erfc(-lower) }
        return Foundation.erf(upper) - Foundation.erf(lower)
    }

    /// The interval probabilities p(i), i = 0…N − 2 (0-based: interval i is [t_{i+1}, t_{i+2}] in the
    /// papers' indexing), normalised to sum 1; each erf difference is ``normalMass(lower:upper:)``.
    public func intervalProbabilities(grid: TimeGrid) -> [Double] {
        let scale = (2.0).squareRoot() * logStandardDeviation
        let arguments = grid.ascending.map { (Foundation.log($0) - logMean) / scale }
        var masses = [Double](repeating: 0, count: grid.intervalCount)
        for index in 0..<grid.intervalCount {
            masses[index] = Self.normalMass(lower: arguments[index], upper: arguments[index + 1])
        }
        let total = masses.reduce(0, +)
        return masses.map { $0 / total }
    }

    /// i ~ p(i) by inverse CDF (one uniform Double each), (t, r) = (t_{i+1}, t_i).
    public func samplePairs(count: Int, iteration: Int, stream: inout RandomStream) -> [TimePair] {
        let grid = grid(iteration: iteration)
        let probabilities = intervalProbabilities(grid: grid)
        var pairs: [TimePair] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            // The probabilities are finite, non-negative and sum to 1 (init refuses a log-normal without
            // mass on [t_min, t_max]), so the draw cannot fail.
            let interval: Int
            do { interval = try stream.nextCategory(weights: probabilities) }
            catch { preconditionFailure("iCT pair sampler: interval probabilities \(probabilities) cannot be drawn from: \(error)") }
            pairs.append(TimePair(time: grid.ascending[interval + 1], targetTime: grid.ascending[interval]))
        }
        return pairs
    }

    /// The TD path's next time after τ (see ``TimePairSampler/nextTime(after:iteration:)``).
    public func nextTime(after time: Double, iteration: Int) -> Double {
        grid(iteration: iteration).point(below: time)
    }

    /// `iteration`, `N` (N(k)) and `doubling_period` (K′), the names of the checkpoint's
    /// `/curriculum` attributes (DESIGN.md §5).
    public func curriculumState(iteration: Int) -> [String: Double] {
        ["iteration": Double(iteration),
         "N": Double(gridPointCount(iteration: iteration)),
         "doubling_period": Double(doublingPeriod)]
    }
}
