import Environments

extension Preconditioning {
    /// σ_d measured from the data, as a learner measures it when none is configured: the RMS over
    /// dimensions of the per-dimension standard deviations (ddof = 1) of 16 384 draws from the fixed
    /// stream (seed 0, "sigma-data"),
    ///
    ///     σ_d = √( (1/D) Σ_j s_j² ),
    ///
    /// so every run on the same data gets the same value, whatever its seed.
    public static func measuredDataStandardDeviation(of distribution: any DataDistribution) -> Double {
        TrainingDraws.measuredStandardDeviation(of: distribution)
    }
}
