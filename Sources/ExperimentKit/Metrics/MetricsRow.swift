/// One row of the metrics table: a step and one value per series column.
///
/// `values[c]` belongs to column c of the store's column list; columns past the end of `values`
/// (series first seen after this row was made) and NaN entries both mean "not recorded".
struct MetricsRow: Equatable {
    var step: Int64
    var values: [Double]

    /// The value in `column`, or NaN when the row has none.
    func value(_ column: Int) -> Double {
        column < values.count ? values[column] : .nan
    }

    /// Sets `column` to `value`, padding with NaN as needed.
    mutating func set(_ column: Int, _ value: Double) {
        if column >= values.count { values.append(contentsOf: repeatElement(.nan, count: column + 1 - values.count)) }
        values[column] = value
    }
}
