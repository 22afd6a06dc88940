import Foundation
import Tensors

/// The pair schedule of Consistency Models (CM; Song, Dhariwal, Chen & Sutskever 2023, "Consistency
/// Models", Algorithm 3 and Appendix C), METHODS.md §2.
///
/// Pairs are adjacent points of the Karras grid with N = N(k) points: i uniform in 1…N − 1,
///
///     (t, r) = (t_{i+1}, t_i).
///
/// Curriculum over iterations k = 0…K (K = `totalIterations`), with s₀ = 2 and s₁ = 150 for CIFAR-10 CT:
///
///     N(k) = ⌈√(k/K · ((s₁ + 1)² − s₀²) + s₀²) − 1⌉ + 1
///
/// so N(0) = s₀ and N(K) = s₁ + 1. The target network's EMA rate follows
///
///     μ(k) = exp(s₀ · ln μ₀ / (N(k) − 1)),   μ₀ = 0.9,
///
/// dividing by N(k) − 1 as the public code (openai/consistency_models) does; the paper writes N(k), which
/// ``EMARateDenominator/gridPoints`` selects. A fixed N (CD uses N = 18) is ``fixedPointCount``.
public struct ConsistencyModelPairSampler: TimePairSampler, Equatable {
    /// What μ(k) divides s₀ · ln μ₀ by (the raw values are the configuration names).
    public enum EMARateDenominator: String, Equatable, Sendable, CaseIterable {
        /// N(k) − 1, the public code's choice (toolkit default).
        case gridPointsMinusOne = "grid-points-minus-one"
        /// N(k), as written in the CM paper.
        case gridPoints = "grid-points"
    }

    public let minimumTime: Double
    public let maximumTime: Double
    /// ρ of the Karras grid.
    public let gridExponent: Double
    /// s₀, the curriculum's initial grid size parameter.
    public let initialScale: Int
    /// s₁, the curriculum's final grid size parameter (N(K) = s₁ + 1).
    public let finalScale: Int
    /// K, the iteration at which the curriculum reaches s₁ + 1 points.
    public let totalIterations: Int
    /// μ₀, the EMA rate at the start of the curriculum.
    public let initialEMARate: Double
    public let emaRateDenominator: EMARateDenominator
    /// When set, N is this constant instead of N(k) (consistency distillation, N = 18).
    public let fixedPointCount: Int?

    public init(minimumTime: Double = 0.002, maximumTime: Double = 80, gridExponent: Double = 7,
                initialScale: Int = 2, finalScale: Int = 150, totalIterations: Int,
                initialEMARate: Double = 0.9, emaRateDenominator: EMARateDenominator = .gridPointsMinusOne,
                fixedPointCount: Int? = nil) throws {
        let name = "CM pair sampler"
        try validateCurriculumGrid(sampler: name, minimumTime: minimumTime, maximumTime: maximumTime, gridExponent: gridExponent,
                                   initialScale: initialScale, smallestInitialScale: 2, initialScaleHint: "N(0) = s0 grid points",
                                   finalScale: finalScale, totalIterations: totalIterations)
        guard initialEMARate > 0, initialEMARate < 1 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "μ0", value: "\(initialEMARate)", expected: "0 < μ0 < 1 (default 0.9)")
        }
        if let fixedPointCount, fixedPointCount < 2 {
            throw PairSamplerConfigurationError(sampler: name, parameter: "fixed N", value: "\(fixedPointCount)", expected: "N ≥ 2")
        }
        self.minimumTime = minimumTime
        self.maximumTime = maximumTime
        self.gridExponent = gridExponent
        self.initialScale = initialScale
        self.finalScale = finalScale
        self.totalIterations = totalIterations
        self.initialEMARate = initialEMARate
        self.emaRateDenominator = emaRateDenominator
        self.fixedPointCount = fixedPointCount
    }

    /// N(k) = ⌈√(k/K · ((s₁ + 1)² − s₀²) + s₀²) − 1⌉ + 1, the number of grid points at iteration k
    /// (k is clamped to 0…K; at least 2).
    public func gridPointCount(iteration: Int) -> Int {
        if let fixedPointCount { return fixedPointCount }
        let k = Double(min(max(iteration, 0), totalIterations)), total = Double(totalIterations)
        let s0 = Double(initialScale), s1 = Double(finalScale)
        let root = (k / total * ((s1 + 1) * (s1 + 1) - s0 * s0) + s0 * s0).squareRoot()
        return max(Int((root - 1).rounded(.up)), 1) + 1
    }

    /// μ(k) = exp(s₀ · ln μ₀ / (N(k) − 1)) (public code, default) or exp(s₀ · ln μ₀ / N(k)) (paper).
    public func emaRate(iteration: Int) -> Double {
        let pointCount = Double(gridPointCount(iteration: iteration))
        let denominator = emaRateDenominator == .gridPointsMinusOne ? pointCount - 1 : pointCount
        return Foundation.exp(Double(initialScale) * Foundation.log(initialEMARate) / denominator)
    }

    /// The Karras grid with N(k) points.
    public func grid(iteration: Int) -> TimeGrid {
        // Settings were validated in init; only a collapsed grid (absurd N) can fail here.
        do { return try TimeGrid.karras(count: gridPointCount(iteration: iteration), minimum: minimumTime,
                                        maximum: maximumTime, exponent: gridExponent) }
        catch { preconditionFailure("CM pair sampler: \(error)") }
    }

    /// i uniform in 1…N − 1 (one uniform Double each), (t, r) = (t_{i+1}, t_i).
    public func samplePairs(count: Int, iteration: Int, stream: inout RandomStream) -> [TimePair] {
        let points = grid(iteration: iteration).ascending
        let intervalCount = points.count - 1
        var pairs: [TimePair] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            let interval = min(Int(stream.nextUniform() * Double(intervalCount)), intervalCount - 1)
            pairs.append(TimePair(time: points[interval + 1], targetTime: points[interval]))
        }
        return pairs
    }

    /// The TD path's next time after τ (see ``TimePairSampler/nextTime(after:iteration:)``).
    public func nextTime(after time: Double, iteration: Int) -> Double {
        grid(iteration: iteration).point(below: time)
    }

    /// `iteration`, `N` (N(k)) and `mu` (μ(k)), the names of the checkpoint's `/curriculum`
    /// attributes (DESIGN.md §5).
    public func curriculumState(iteration: Int) -> [String: Double] {
        ["iteration": Double(iteration),
         "N": Double(gridPointCount(iteration: iteration)),
         "mu": emaRate(iteration: iteration)]
    }
}
