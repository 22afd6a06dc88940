import Foundation

/// Why a time grid could not be built: each case says what was given and what is expected.
public enum TimeGridError: Error, Equatable, Sendable, CustomStringConvertible {
    /// t_min must be a finite number greater than 0 (the noise level σ = 0 is the data itself).
    case minimumTimeNotPositive(Double)
    /// t_min must be strictly smaller than t_max.
    case minimumTimeNotBelowMaximum(minimum: Double, maximum: Double)
    /// A grid needs at least two points (t_min and t_max).
    case tooFewPoints(Int)
    /// Every time (and every grid parameter) must be finite.
    case nonFinite(name: String, value: Double)
    /// The Karras exponent ρ must be finite and positive.
    case exponentNotPositive(Double)
    /// An explicit list must be strictly monotone (all ascending or all descending, no repeats).
    case notStrictlyMonotone(index: Int, previous: Double, next: Double)

    public var description: String {
        switch self {
        case .minimumTimeNotPositive(let value):
            return "time grid: t_min = \(value) is not positive; expected t_min > 0 (t = 0 is the data itself, use e.g. 0.002)"
        case .minimumTimeNotBelowMaximum(let minimum, let maximum):
            return "time grid: t_min = \(minimum) is not below t_max = \(maximum); expected t_min < t_max"
        case .tooFewPoints(let count):
            return "time grid: \(count) point(s) requested; expected N ≥ 2 (a grid holds at least t_min and t_max)"
        case .nonFinite(let name, let value):
            return "time grid: \(name) = \(value) is not finite; expected a finite number"
        case .exponentNotPositive(let value):
            return "time grid: Karras exponent ρ = \(value); expected a finite ρ > 0 (the default is 7)"
        case .notStrictlyMonotone(let index, let previous, let next):
            return "time grid: explicit times are not strictly monotone at index \(index) (\(previous) then \(next)); "
                + "expected all ascending or all descending with no repeated value"
        }
    }
}

/// A finite set of noise levels t_min = t₁ < t₂ < … < t_N = t_max (METHODS.md §2).
///
/// Points are stored ascending, the order in which the papers index them (t₁ = t_min). The denoising
/// MDP walks the other way, from t_max down to t_min; ``descending`` and ``descendingTime(atStep:)``
/// give that order (step 0 is t_max, step N − 1 is t_min).
///
/// Built by ``karras(count:minimum:maximum:exponent:)`` (Karras et al. 2022, EDM, the grid of CM, iCT and
/// the EDM sampler), ``uniform(count:minimum:maximum:)``, ``logUniform(count:minimum:maximum:)`` or
/// ``explicit(_:)``. Every constructor checks t_min > 0, t_min < t_max, N ≥ 2, finiteness and strict
/// monotonicity, and throws a ``TimeGridError`` that says what is wrong.
public struct TimeGrid: Equatable, Sendable {
    /// t₁ < t₂ < … < t_N.
    public let ascending: [Double]

    /// Wraps points already known to be valid (strictly ascending, positive, finite, N ≥ 2).
    private init(validatedAscending points: [Double]) { ascending = points }

    /// N, the number of points.
    public var count: Int { ascending.count }
    /// The number of intervals [t_i, t_{i+1}], N − 1.
    public var intervalCount: Int { ascending.count - 1 }
    /// t_min = t₁.
    public var minimum: Double { ascending[0] }
    /// t_max = t_N.
    public var maximum: Double { ascending[ascending.count - 1] }
    /// t_N > t_{N−1} > … > t₁: the order the MDP visits them (t_max first).
    public var descending: [Double] { ascending.reversed() }

    /// The time after `step` steps of the MDP: step 0 is t_max, step N − 1 is t_min (t_{N−step}).
    public func descendingTime(atStep step: Int) -> Double {
        precondition(step >= 0 && step < count, "step \(step) outside 0..<\(count)")
        return ascending[count - 1 - step]
    }

    /// t_i with the papers' one-based index i = 1…N.
    public func time(oneBasedIndex i: Int) -> Double {
        precondition(i >= 1 && i <= count, "index \(i) outside 1...\(count)")
        return ascending[i - 1]
    }

    // MARK: Constructors

    /// The Karras ρ-grid (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based
    /// Generative Models", eq. 5; used by CM, iCT and ECT's sampler):
    ///
    ///     t_i = (t_min^{1/ρ} + (i − 1)/(N − 1) · (t_max^{1/ρ} − t_min^{1/ρ}))^ρ,   i = 1…N,  ρ = 7
    ///
    /// ascending. The endpoints are set to t_min and t_max exactly (the formula reproduces them only
    /// up to rounding), so t₁ is the boundary time at which f(x, t_min) = x.
    public static func karras(count: Int, minimum: Double = 0.002, maximum: Double = 80,
                              exponent rho: Double = 7) throws(TimeGridError) -> TimeGrid {
        try validateRange(count: count, minimum: minimum, maximum: maximum)
        guard rho.isFinite else { throw .nonFinite(name: "ρ", value: rho) }
        guard rho > 0 else { throw .exponentNotPositive(rho) }
        let lowRoot = Foundation.pow(minimum, 1 / rho), highRoot = Foundation.pow(maximum, 1 / rho)
        var points = [Double](repeating: 0, count: count)
        for index in 0..<count {
            let fraction = Double(index) / Double(count - 1)
            points[index] = Foundation.pow(lowRoot + fraction * (highRoot - lowRoot), rho)
        }
        points[0] = minimum
        points[count - 1] = maximum
        return try checkedAscending(points)
    }

    /// Equally spaced times: t_i = t_min + (i − 1)/(N − 1) · (t_max − t_min), i = 1…N.
    public static func uniform(count: Int, minimum: Double = 0.002, maximum: Double = 80) throws(TimeGridError) -> TimeGrid {
        try validateRange(count: count, minimum: minimum, maximum: maximum)
        var points = [Double](repeating: 0, count: count)
        for index in 0..<count {
            points[index] = minimum + Double(index) / Double(count - 1) * (maximum - minimum)
        }
        points[0] = minimum
        points[count - 1] = maximum
        return try checkedAscending(points)
    }

    /// Equally spaced in ln t (geometric): t_i = exp(ln t_min + (i − 1)/(N − 1) · (ln t_max − ln t_min)).
    /// The Karras grid tends to this one as ρ → ∞.
    public static func logUniform(count: Int, minimum: Double = 0.002, maximum: Double = 80) throws(TimeGridError) -> TimeGrid {
        try validateRange(count: count, minimum: minimum, maximum: maximum)
        let lowLog = Foundation.log(minimum), highLog = Foundation.log(maximum)
        var points = [Double](repeating: 0, count: count)
        for index in 0..<count {
            points[index] = Foundation.exp(lowLog + Double(index) / Double(count - 1) * (highLog - lowLog))
        }
        points[0] = minimum
        points[count - 1] = maximum
        return try checkedAscending(points)
    }

    /// A grid from a given list of times, strictly ascending or strictly descending (stored ascending).
    /// The smallest time is t_min and must be > 0.
    public static func explicit(_ times: [Double]) throws(TimeGridError) -> TimeGrid {
        guard times.count >= 2 else { throw .tooFewPoints(times.count) }
        for (index, time) in times.enumerated() where !time.isFinite {
            throw .nonFinite(name: "time at index \(index)", value: time)
        }
        let isDescending = times[0] > times[1]
        for index in 1..<times.count {
            let previous = times[index - 1], next = times[index]
            let ordered = isDescending ? next < previous : next > previous
            if !ordered { throw .notStrictlyMonotone(index: index, previous: previous, next: next) }
        }
        let points = isDescending ? Array(times.reversed()) : times
        guard points[0] > 0 else { throw .minimumTimeNotPositive(points[0]) }
        return TimeGrid(validatedAscending: points)
    }

    /// Checks the (N, t_min, t_max) of a generated grid; also used by samplers that build grids later.
    public static func validateRange(count: Int, minimum: Double, maximum: Double) throws(TimeGridError) {
        guard minimum.isFinite else { throw .nonFinite(name: "t_min", value: minimum) }
        guard maximum.isFinite else { throw .nonFinite(name: "t_max", value: maximum) }
        guard minimum > 0 else { throw .minimumTimeNotPositive(minimum) }
        guard minimum < maximum else { throw .minimumTimeNotBelowMaximum(minimum: minimum, maximum: maximum) }
        guard count >= 2 else { throw .tooFewPoints(count) }
    }

    /// A generated grid can collapse (two equal points) when N is huge and t_max/t_min close to 1.
    private static func checkedAscending(_ points: [Double]) throws(TimeGridError) -> TimeGrid {
        for index in 1..<points.count where !(points[index] > points[index - 1]) {
            throw .notStrictlyMonotone(index: index, previous: points[index - 1], next: points[index])
        }
        return TimeGrid(validatedAscending: points)
    }
}
