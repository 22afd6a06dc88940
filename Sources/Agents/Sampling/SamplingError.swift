/// Why a sampler could not run: each case says what was given and what is expected.
///
/// Errors from the model itself (a ``ConsistencyFunction`` or a `Denoiser` that throws, e.g. an ODE
/// solve that exceeds its step budget) are passed through unchanged.
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The number of samples requested is not positive.
    case invalidSampleCount(Int)
    /// The dimension of a point is not positive.
    case invalidDimension(Int)
    /// The time settings are impossible (the message says which rule failed).
    case invalidTimes(String)
    /// A search setting is out of range (the message says which and what is allowed).
    case invalidSearch(String)
    /// The caller's objective returned NaN or infinity at this middle time.
    case nonFiniteObjective(middleTime: Double, value: Double)
    /// The model returned a number of values other than count × dimension.
    case modelOutputMismatch(values: Int, expected: Int)

    public var description: String {
        switch self {
        case .invalidSampleCount(let count):
            return "sampling: \(count) samples requested; expected a positive count"
        case .invalidDimension(let dimension):
            return "sampling: dimension \(dimension); expected a positive dimension (coordinates per point)"
        case .invalidTimes(let message):
            return "sampling: invalid times: \(message)"
        case .invalidSearch(let message):
            return "sampling: invalid middle-time search: \(message)"
        case .nonFiniteObjective(let time, let value):
            return "sampling: the objective is \(value) at middle time τ₁ = \(time); expected a finite number "
                + "(check the objective for empty or non-finite samples)"
        case .modelOutputMismatch(let values, let expected):
            return "sampling: the model returned \(values) values; expected count × dimension = \(expected)"
        }
    }
}
