/// What was wrong with the inputs of a score-identity estimate (METHODS.md §3.4) and what is expected
/// (DESIGN.md §7).
public enum ScoreIdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dimension D is not ≥ 1.
    case invalidDimension(Int)
    /// A buffer's length is not a whole number of D-vectors, or does not match the count it must match.
    case sizeMismatch(what: String, count: Int, expected: String)
    /// The reference set holds no point.
    case emptyReferences
    /// A reference point or query has a NaN or infinite coordinate.
    case nonFinite(what: String, row: Int)
    /// Point `point` of the pool of query row `queryRow` (row-wise transitions, where every query has a
    /// pool of its own) has a NaN or infinite coordinate.
    case nonFinitePoolPoint(queryRow: Int, point: Int)
    /// A noise level t is not finite and > 0.
    case invalidTime(row: Int, value: Double)
    /// A target time r is not finite with 0 ≤ r ≤ t.
    case invalidTargetTime(row: Int, value: Double, time: Double)
    /// Query labels were given but the references carry none.
    case labelsMissing(what: String)
    /// A query's label matches no reference, so its class-conditional estimate is undefined.
    case noReferenceWithLabel(row: Int, label: Int32)
    /// Every squared distance ‖x_t − x₀^(j)‖² from the query to its admissible references overflows to
    /// +∞ (coordinates beyond about 1e154 in Double, or 1e19 in the Float kernel, whose squares are
    /// summed in Float), so the weights cannot be formed.
    case noFiniteDistance(row: Int)
    /// `ownPlusPool` references were used with a query count other than the number of own points.
    case queryCountMismatch(queries: Int, ownPoints: Int)

    public var description: String {
        switch self {
        case let .invalidDimension(d):
            return "score identity: the dimension must be ≥ 1, got \(d)"
        case let .sizeMismatch(what, count, expected):
            return "score identity: \(what) has \(count) values; expected \(expected)"
        case .emptyReferences:
            return "score identity: the reference set is empty; it needs at least one point (the query's own x₀)"
        case let .nonFinite(what, row):
            return "score identity: \(what) row \(row) has a NaN or infinite coordinate; all points must be finite"
        case let .nonFinitePoolPoint(queryRow, point):
            return "score identity: point \(point) of query \(queryRow)'s pool has a NaN or infinite coordinate; all points must be finite"
        case let .invalidTime(row, value):
            return "score identity: the noise level t of query \(row) is \(value); it must be finite and > 0"
        case let .invalidTargetTime(row, value, time):
            return "score identity: the target time r of query \(row) is \(value); it must be finite with 0 ≤ r ≤ t = \(time)"
        case let .labelsMissing(what):
            return "score identity: query labels were given (class-conditional estimate) but \(what) has no labels; "
                + "pass labels for every reference point or leave the query labels out"
        case let .noReferenceWithLabel(row, label):
            return "score identity: query \(row) has label \(label) but no reference point carries label \(label); "
                + "every class-conditional query needs at least one reference of its own class"
        case let .noFiniteDistance(row):
            return "score identity: every squared distance from query \(row) to its references overflows to infinity, "
                + "so its weights are undefined; coordinates must stay far below the square root of the largest finite "
                + "value (about 1e154 in Double, 1e19 in Float)"
        case let .queryCountMismatch(queries, ownPoints):
            return "score identity: \(queries) queries but the own-plus-pool references hold \(ownPoints) own points; "
                + "query i must be the noised version of own point i, so the counts must be equal"
        }
    }
}
