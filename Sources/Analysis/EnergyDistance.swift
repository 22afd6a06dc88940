extension SampleDistance {
    /// The energy distance (Székely & Rizzo 2013; METHODS.md §9) between two equal-size sets, with
    /// U-statistics for the within-set terms:
    ///
    ///     E = 2/n² Σ_{i,j} ‖x_i − y_j‖ − 1/(n(n−1)) Σ_{i≠j} ‖x_i − x_j‖ − 1/(n(n−1)) Σ_{i≠j} ‖y_i − y_j‖
    ///
    /// An unbiased estimate of 2E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖, which is ≥ 0 and 0 only for identical
    /// distributions (the estimate itself can be slightly negative).
    public static func energyDistance(_ samples: [Double], _ reference: [Double], dimension: Int) throws(SampleQualityError) -> Double {
        let n = Double(try checkedCount(samples, reference, dimension: dimension, minimumCount: 2))
        func distanceSum(_ x: [Double], _ y: [Double], within: Bool) -> Double {
            var total = 0.0
            forEachPair(x, y, dimension: dimension, within: within) { total += $0.squareRoot() }
            return total
        }
        let xy = distanceSum(samples, reference, within: false)
        let xx = 2 * distanceSum(samples, samples, within: true), yy = 2 * distanceSum(reference, reference, within: true)
        return 2 * xy / (n * n) - (xx + yy) / (n * (n - 1))
    }
}
