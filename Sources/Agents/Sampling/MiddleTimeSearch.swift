import Foundation
import Tensors

/// Published defaults for the middle time τ₁ of two-step consistency sampling (METHODS.md §8).
public enum TwoStepSamplingDefaults {
    /// τ₁ = 0.821: the two-step middle time of CM and ECT on CIFAR-10 (images in [−1, 1], t_max = 80),
    /// found there by a search like ``ConsistencySampler/searchMiddleTime(count:stream:range:logTolerance:objective:)``.
    /// It is a CIFAR-scale value: toy data with another scale need their own search.
    public static let cifarMiddleTime = 0.821
}

/// The outcome of a middle-time search: the best τ₁ found and its objective.
public struct MiddleTimeSearchResult: Equatable, Sendable {
    /// The best middle time τ₁ among all candidates evaluated.
    public let middleTime: Double
    /// The objective of the two-step samples at ``middleTime``.
    public let objective: Double
    /// How many candidates were sampled and scored (each costs two model evaluations per sample).
    public let evaluationCount: Int
}

extension ConsistencySampler {
    /// Ternary search for the two-step middle time τ₁ ∈ (t_min, t_max) that minimises a caller-given
    /// objective of the two-step samples (METHODS.md §8; CM's and ECT's procedure for choosing τ₁).
    ///
    /// The search runs in u = ln τ₁ on [ln a, ln b] (`range` = [a, b], all of [t_min, t_max] by default):
    ///
    ///     u₁ = lo + (hi − lo)/3,  u₂ = hi − (hi − lo)/3;   J(u₁) < J(u₂) ⇒ hi = u₂,  else lo = u₁
    ///
    /// until hi − lo ≤ `logTolerance`, then scores the midpoint. It finds the minimiser when the
    /// objective is unimodal in ln τ₁; otherwise a local one. The result is the best candidate seen.
    ///
    /// Common random numbers: every candidate is sampled from a copy of `stream` (the same initial
    /// noise z and the same injected noise z₁), so the comparison between two times is not blurred by
    /// sampling noise and the search is deterministic. `stream` is not advanced.
    ///
    /// - Parameters:
    ///   - count: samples per candidate (> 0).
    ///   - range: the bracket [a, b] with t_min ≤ a < b ≤ t_max (candidates are always interior).
    ///   - logTolerance: the final bracket width in ln τ (> 0; 1e−3 by default, ≈ 0.1 % in τ).
    ///   - objective: J(samples) for count × D two-step samples; lower is better; must be finite.
    public func searchMiddleTime(count: Int, stream: RandomStream, range: ClosedRange<Double>? = nil,
                                 logTolerance: Double = 1e-3,
                                 objective: ([Double]) throws -> Double) throws -> MiddleTimeSearchResult {
        guard count > 0 else { throw SamplingError.invalidSampleCount(count) }
        let bracket = range ?? minimumTime ... maximumTime
        guard bracket.lowerBound.isFinite, bracket.upperBound.isFinite,
              bracket.lowerBound >= minimumTime, bracket.upperBound <= maximumTime,
              bracket.lowerBound < bracket.upperBound else {
            throw SamplingError.invalidSearch("the range \(bracket) must be a finite interval [a, b] with "
                + "t_min = \(minimumTime) ≤ a < b ≤ t_max = \(maximumTime)")
        }
        guard logTolerance.isFinite, logTolerance > 0 else {
            throw SamplingError.invalidSearch("logTolerance = \(logTolerance); expected a finite positive width in ln τ")
        }
        var best = (time: Double.nan, value: Double.infinity)
        var evaluationCount = 0
        func score(_ logTime: Double) throws -> Double {
            // exp(ln τ) may round just outside the bracket; τ₁ must stay in [t_min, t_max).
            let time = min(max(Foundation.exp(logTime), bracket.lowerBound), maximumTime.nextDown)
            var candidateStream = stream
            let samples = try sample(count: count, middleTimes: [time], stream: &candidateStream)
            let value = try objective(samples)
            guard value.isFinite else { throw SamplingError.nonFiniteObjective(middleTime: time, value: value) }
            evaluationCount += 1
            if value < best.value { best = (time, value) }
            return value
        }
        var low = Foundation.log(bracket.lowerBound), high = Foundation.log(bracket.upperBound)
        while high - low > logTolerance {
            let third = (high - low) / 3
            let first = low + third, second = high - third
            guard first > low, second < high else { break }  // the bracket is as small as Double allows
            if try score(first) < score(second) { high = second } else { low = first }
        }
        _ = try score(0.5 * (low + high))
        return MiddleTimeSearchResult(middleTime: best.time, objective: best.value, evaluationCount: evaluationCount)
    }
}
