/// Why an ODE solve of the PF-ODE could not start or did not finish.
///
/// Invalid arguments (`invalidTimes`, `invalidDimension`, `countMismatch`, `invalidTolerance`) are
/// caller mistakes detected before any work. `stepBudgetExceeded`, `stepSizeUnderflow` and
/// `nonFiniteState` are truncations (STYLE.md §2): the solve stopped before reaching its end time,
/// and the error says where it stopped.
public enum SolverError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The times do not describe a valid solve (the message says which rule failed).
    case invalidTimes(String)
    /// The dimension of a point is not positive.
    case invalidDimension(Int)
    /// The number of values is not `count × dimension` (or not a multiple of `dimension`).
    case countMismatch(values: Int, dimension: Int, expectedCount: Int?)
    /// A tolerance or a solver setting is out of range.
    case invalidTolerance(String)
    /// The adaptive solver used `budget` steps (accepted + rejected) without reaching its end time.
    case stepBudgetExceeded(budget: Int, reachedTime: Double, targetTime: Double)
    /// The adaptive step became too small to advance the time in Double.
    case stepSizeUnderflow(time: Double)
    /// The state or the denoiser output became NaN or infinite at this time.
    case nonFiniteState(time: Double)

    public var description: String {
        switch self {
        case .invalidTimes(let message):
            return "invalid times: \(message)"
        case .invalidDimension(let dimension):
            return "invalid dimension \(dimension): a point needs at least one coordinate"
        case .countMismatch(let values, let dimension, let expectedCount?):
            return "count mismatch: \(values) values given, but \(expectedCount) points × dimension \(dimension) = \(expectedCount * dimension) expected"
        case .countMismatch(let values, let dimension, nil):
            return "count mismatch: \(values) values is not a whole number of points of dimension \(dimension)"
        case .invalidTolerance(let message):
            return "invalid solver setting: \(message)"
        case .stepBudgetExceeded(let budget, let reached, let target):
            return "step budget exceeded: \(budget) steps took the solve only to t = \(reached) of target t = \(target); raise maximumSteps or loosen the tolerances"
        case .stepSizeUnderflow(let time):
            return "step size underflow at t = \(time): the tolerances cannot be met in Double arithmetic"
        case .nonFiniteState(let time):
            return "non-finite state (NaN or infinity) at t = \(time)"
        }
    }
}

/// Argument checks shared by the solvers.
enum SolverValidation {
    /// The number of points in `values`, which must hold whole points of `dimension` coordinates.
    static func pointCount(_ values: Int, dimension: Int) throws(SolverError) -> Int {
        guard dimension > 0 else { throw .invalidDimension(dimension) }
        guard values % dimension == 0 else {
            throw .countMismatch(values: values, dimension: dimension, expectedCount: nil)
        }
        return values / dimension
    }

    /// Checks a step from `t` down to `r`: t finite and positive, r finite, r ≥ 0 (r > 0 when
    /// `endMayBeZero` is false) and r < t.
    static func checkStep(from t: Double, to r: Double, endMayBeZero: Bool) throws(SolverError) {
        guard t.isFinite, t > 0 else { throw .invalidTimes("the start time t = \(t) must be finite and positive") }
        guard r.isFinite else { throw .invalidTimes("the end time r = \(r) must be finite") }
        if endMayBeZero {
            guard r >= 0 else { throw .invalidTimes("the end time r = \(r) must be non-negative") }
        } else {
            guard r > 0 else { throw .invalidTimes("the end time r = \(r) must be positive (the solver works in u = ln t)") }
        }
        guard r < t else { throw .invalidTimes("the end time r = \(r) must be below the start time t = \(t) (the PF-ODE is solved toward the data)") }
    }

    /// Checks a descending time grid t_max = τ₀ > τ₁ > … > τ_H.
    static func checkGrid(_ times: [Double], endMayBeZero: Bool) throws(SolverError) {
        guard !times.isEmpty else { throw .invalidTimes("the time grid is empty") }
        for j in times.indices.dropFirst() {
            do { try checkStep(from: times[j - 1], to: times[j], endMayBeZero: endMayBeZero) } catch {
                throw .invalidTimes("the grid must be strictly descending and positive; at index \(j): \(error.description)")
            }
        }
        if times.count == 1 {
            guard times[0].isFinite, times[0] >= 0 else { throw .invalidTimes("the grid time \(times[0]) must be finite and non-negative") }
        }
    }
}
