import Foundation

extension SampleDistance {
    /// The bandwidth multipliers of the default kernel sum: h_b = c_b · h_med, c ∈ {1/4, 1/2, 1, 2, 4}.
    public static let defaultBandwidthFactors = [0.25, 0.5, 1, 2, 4]

    /// The unbiased squared maximum mean discrepancy (Gretton et al. 2012, the U-statistic MMD²_u) with a
    /// sum of RBF kernels (METHODS.md §9):
    ///
    ///     k(x, y) = Σ_b exp(−‖x − y‖² / (2 h_b²))
    ///     MMD²_u = 1/(n(n−1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i, y_j) − 2/n² Σ_{i,j} k(x_i, y_j)
    ///
    /// Its expectation is exactly MMD² (0 for identical distributions), so it can be slightly negative.
    /// `bandwidths` nil uses ``defaultBandwidths(reference:dimension:)``, which depends only on the
    /// reference, so many sample sets scored against one reference share one kernel.
    public static func squaredMaximumMeanDiscrepancy(_ samples: [Double], _ reference: [Double], dimension: Int,
                                                     bandwidths: [Double]? = nil) throws(SampleQualityError) -> Double {
        let n = Double(try checkedCount(samples, reference, dimension: dimension, minimumCount: 2))
        let widths: [Double]
        if let bandwidths { widths = bandwidths } else { widths = try defaultBandwidths(reference: reference, dimension: dimension) }
        guard !widths.isEmpty, widths.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidSetting("MMD bandwidths \(widths); expected at least one finite positive bandwidth")
        }
        let scales = widths.map { -0.5 / ($0 * $0) }
        func kernelSum(_ x: [Double], _ y: [Double], within: Bool) -> Double {
            var total = 0.0
            forEachPair(x, y, dimension: dimension, within: within) { squared in
                for scale in scales { total += Foundation.exp(scale * squared) }
            }
            return total
        }
        let xx = 2 * kernelSum(samples, samples, within: true), yy = 2 * kernelSum(reference, reference, within: true)
        let xy = kernelSum(samples, reference, within: false)
        return (xx + yy) / (n * (n - 1)) - 2 * xy / (n * n)
    }

    /// The default bandwidths: ``defaultBandwidthFactors`` times the median pairwise distance h_med of
    /// the reference (its first 512 points; the median heuristic of Gretton et al. 2012).
    public static func defaultBandwidths(reference: [Double], dimension: Int) throws(SampleQualityError) -> [Double] {
        guard dimension >= 1, reference.count % dimension == 0 else { throw .dimensionMismatch(values: reference.count, dimension: dimension) }
        let head = Array(reference.prefix(512 * dimension))
        guard head.count >= 2 * dimension else { throw .invalidSetting("the reference has fewer than 2 points; expected at least 2 for the median heuristic") }
        if let index = head.firstIndex(where: { !$0.isFinite }) {
            throw .invalidSetting("the reference point at row \(index / dimension) is not finite; expected finite coordinates for the median heuristic")
        }
        var distances: [Double] = []
        forEachPair(head, head, dimension: dimension, within: true) { distances.append($0.squareRoot()) }
        distances.sort()
        let middle = distances.count / 2
        let median = distances.count % 2 == 1 ? distances[middle] : 0.5 * (distances[middle - 1] + distances[middle])
        guard median > 0 else { throw .invalidSetting("the reference points coincide (median distance 0); give explicit bandwidths") }
        return defaultBandwidthFactors.map { $0 * median }
    }
}
