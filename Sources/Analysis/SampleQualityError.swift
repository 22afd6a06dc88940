/// Why sample-quality metrics could not be computed: each case says what was given and what is
/// expected. The distance functions refuse non-finite points; the evaluations built on them
/// (``GaussianMixtureSampleQuality``, ``TrainingSampleEvaluation``) count non-finite samples and report
/// them in the result instead of failing.
public enum SampleQualityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No samples were given.
    case emptySamples
    /// The number of values is not a whole number of points of the distribution's dimension.
    case dimensionMismatch(values: Int, dimension: Int)
    /// A Monte Carlo sample size is not positive.
    case invalidSampleCount(Int)
    /// A metric setting is out of range (the message says which and what is allowed).
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .emptySamples:
            return "sample quality: no samples given; expected at least one sample (count × dimension values)"
        case .dimensionMismatch(let values, let dimension):
            return "sample quality: \(values) values is not a whole number of points of dimension \(dimension); "
                + "expected count × \(dimension) values, row-major"
        case .invalidSampleCount(let count):
            return "sample quality: Monte Carlo sample count \(count); expected a positive count"
        case .invalidSetting(let message):
            return "sample quality: \(message)"
        }
    }
}
