import Tensors

/// The sample metrics of METHODS.md §9 for any data, against a held-out data sample of the same size:
/// the squared sliced Wasserstein-2 distance, the unbiased squared MMD with a sum of RBF kernels and
/// the energy distance (definitions and papers in ``SampleDistance``). All three are ≈ 0 for samples
/// of the data distribution itself, up to finite-sample noise.
public struct SampleDistanceReport: Equatable, Sendable, CustomStringConvertible {
    /// SW₂², averaged over ``projectionCount`` random directions.
    public let squaredSlicedWasserstein2: Double
    /// MMD²_u (unbiased) with the kernel sum over ``bandwidths``.
    public let squaredMaximumMeanDiscrepancy: Double
    /// The energy distance (U-statistics within sets).
    public let energyDistance: Double
    public let bandwidths: [Double]
    public let projectionCount: Int
    /// n, points per set.
    public let sampleCount: Int

    /// Scores `samples` against `reference` (both count × D, same count); the projections come from
    /// `stream`, the bandwidths default to ``SampleDistance/defaultBandwidths(reference:dimension:)``.
    public init(samples: [Double], reference: [Double], dimension: Int, projections: Int = 256, bandwidths: [Double]? = nil,
                stream: inout RandomStream) throws(SampleQualityError) {
        let widths: [Double]
        if let bandwidths { widths = bandwidths } else { widths = try SampleDistance.defaultBandwidths(reference: reference, dimension: dimension) }
        squaredSlicedWasserstein2 = try SampleDistance.squaredSlicedWasserstein2(samples, reference, dimension: dimension,
                                                                                projections: projections, stream: &stream)
        squaredMaximumMeanDiscrepancy = try SampleDistance.squaredMaximumMeanDiscrepancy(samples, reference, dimension: dimension,
                                                                                        bandwidths: widths)
        energyDistance = try SampleDistance.energyDistance(samples, reference, dimension: dimension)
        self.bandwidths = widths
        projectionCount = projections
        sampleCount = samples.count / dimension
    }

    /// The metrics as named scalars for a metrics store.
    public var metrics: [String: Double] {
        ["sliced_wasserstein2_squared": squaredSlicedWasserstein2, "mmd2": squaredMaximumMeanDiscrepancy,
         "energy_distance": energyDistance]
    }

    public var description: String {
        "SW₂² \(squaredSlicedWasserstein2) · MMD²ᵤ \(squaredMaximumMeanDiscrepancy) · energy \(energyDistance) (n = \(sampleCount))"
    }
}
