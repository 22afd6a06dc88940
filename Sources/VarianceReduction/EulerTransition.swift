/// The Euler step of the PF-ODE with a denoiser estimate D̂ (METHODS.md §3.2, §3.4),
///
///     x̂_r = x_t + (r − t)(x_t − D̂)/t,   and exactly D̂ when r = 0,
///
/// for every row of `points` (rows × D, row-major) at its time t (`times`) and target time r
/// (`targetTimes`), given D̂ for the same rows in `denoised`. Same arithmetic, in the same order, as
/// the denoisers' own transitions, which end with it; use it when D̂ comes from elsewhere (for
/// instance from the Float32 kernel for Double points). Throws when the dimension is not positive, the
/// lengths disagree or a time is invalid (t must be > 0 and finite, 0 ≤ r ≤ t).
public func eulerTransition(points: [Double], times: [Double], targetTimes: [Double], denoised: [Double],
                            dimension: Int) throws(ScoreIdentityError) -> [Double] {
    try checkedEulerTransition(points: points, times: times, targetTimes: targetTimes, denoised: denoised, dimension: dimension)
}

/// The same step in Float32 (see the Double form).
public func eulerTransition(points: [Float], times: [Float], targetTimes: [Float], denoised: [Float],
                            dimension: Int) throws(ScoreIdentityError) -> [Float] {
    try checkedEulerTransition(points: points, times: times, targetTimes: targetTimes, denoised: denoised, dimension: dimension)
}

/// The checks and the step behind both public forms (concrete there, so it is specialised in this module).
private func checkedEulerTransition<T: BinaryFloatingPoint>(points: [T], times: [T], targetTimes: [T], denoised: [T],
                                                           dimension: Int) throws(ScoreIdentityError) -> [T] {
    guard dimension > 0 else { throw .invalidDimension(dimension) }
    let rows = try ScoreIdentityValidation.rows(points.count, dimension: dimension, what: "points")
    try ScoreIdentityValidation.checkLength(times.count, rows: rows, what: "times")
    try ScoreIdentityValidation.checkLength(targetTimes.count, rows: rows, what: "target times")
    guard denoised.count == points.count else {
        throw .sizeMismatch(what: "denoised values", count: denoised.count, expected: "\(points.count), one per coordinate of the points")
    }
    var result = denoised
    guard rows > 0 else { return result }
    try times.withUnsafeBufferPointer { (t) throws(ScoreIdentityError) in
        try targetTimes.withUnsafeBufferPointer { (r) throws(ScoreIdentityError) in
            try ScoreIdentityValidation.checkTimes(t.baseAddress!, count: rows)
            try ScoreIdentityValidation.checkTargetTimes(r.baseAddress!, times: t.baseAddress!, count: rows)
        }
    }
    points.withUnsafeBufferPointer { x in
        times.withUnsafeBufferPointer { t in
            targetTimes.withUnsafeBufferPointer { r in
                result.withUnsafeMutableBufferPointer { out in
                    eulerTransitionInPlace(x.baseAddress!, times: t.baseAddress!, targetTimes: r.baseAddress!,
                                           count: rows, dimension: dimension, denoised: out.baseAddress!)
                }
            }
        }
    }
    return result
}

/// Overwrites `denoised` (D̂) with x̂_r = x_t + (r − t)(x_t − D̂)/t, row by row; rows with r = 0 keep D̂.
@inline(__always)
func eulerTransitionInPlace<T: BinaryFloatingPoint>(_ queries: UnsafePointer<T>, times: UnsafePointer<T>,
                                                   targetTimes: UnsafePointer<T>, count: Int, dimension: Int,
                                                   denoised: UnsafeMutablePointer<T>) {
    for row in 0..<count {
        let t = times[row], r = targetTimes[row]
        guard r != 0 else { continue }
        let factor = (r - t) / t
        for k in 0..<dimension {
            let i = row * dimension + k
            denoised[i] = queries[i] + factor * (queries[i] - denoised[i])
        }
    }
}
