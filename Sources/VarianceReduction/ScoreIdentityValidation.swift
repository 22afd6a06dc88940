/// Checks shared by the Double and Float score-identity estimators.
enum ScoreIdentityValidation {
    static func checkTimes<T: BinaryFloatingPoint>(_ times: UnsafePointer<T>, count: Int) throws(ScoreIdentityError) {
        for row in 0..<count where !(times[row].isFinite && times[row] > 0) {
            throw .invalidTime(row: row, value: Double(times[row]))
        }
    }

    static func checkTargetTimes<T: BinaryFloatingPoint>(_ targets: UnsafePointer<T>, times: UnsafePointer<T>,
                                                         count: Int) throws(ScoreIdentityError) {
        for row in 0..<count where !(targets[row].isFinite && targets[row] >= 0 && targets[row] <= times[row]) {
            throw .invalidTargetTime(row: row, value: Double(targets[row]), time: Double(times[row]))
        }
    }

    static func checkFinite<T: BinaryFloatingPoint>(_ points: UnsafePointer<T>, count: Int, dimension: Int,
                                                    what: String) throws(ScoreIdentityError) {
        for row in 0..<count {
            for k in 0..<dimension where !points[row * dimension + k].isFinite { throw .nonFinite(what: what, row: row) }
        }
    }

    /// The row count of a flat buffer of `values` coordinates, or an error naming `what`.
    static func rows(_ values: Int, dimension: Int, what: String) throws(ScoreIdentityError) -> Int {
        guard values % dimension == 0 else {
            throw .sizeMismatch(what: what, count: values, expected: "a multiple of the dimension \(dimension) (rows × D)")
        }
        return values / dimension
    }

    static func checkLength(_ length: Int, rows: Int, what: String) throws(ScoreIdentityError) {
        guard length == rows else { throw .sizeMismatch(what: what, count: length, expected: "\(rows), one per query") }
    }
}
