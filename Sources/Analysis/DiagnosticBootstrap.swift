import Agents

/// The bootstrap value of the diagnosed TD targets (METHODS.md §10.3): the exact consistency function
/// f* of the data ("oracle value", which isolates the transition estimator's error), or any
/// ``ConsistencyFunction`` — typically a checkpoint's network f_θ⁻, giving the whole TD target as
/// training sees it. Bias is always measured against f*(x_t, t).
public enum DiagnosticBootstrap {
    /// f*, solved with ``ExactValue`` (Dormand–Prince in ln t, tolerances 1e−9).
    case exact
    /// A consistency function (e.g. a ``PreconditionedNetwork`` loaded from a checkpoint) with `name`
    /// for tables and files.
    case function(any ConsistencyFunction, name: String)

    /// "exact" or the function's name.
    public var name: String {
        switch self {
        case .exact: return "exact"
        case let .function(_, name): return name
        }
    }
}
