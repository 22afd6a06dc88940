import Environments
import Tensors

/// Sample quality of generated points for a Gaussian-mixture data distribution (METHODS.md §9):
///
/// - **Exact NLL**: the mean of −log p₀(x_i) over the finite samples, with p₀ the true mixture
///   density (``GaussianMixture/logDensity(_:count:time:into:)`` at t = 0), and its standard error.
///   Compared with the data's own mean NLL H(p₀) (``GaussianMixture/dataNegativeLogLikelihood(sampleCount:stream:)``,
///   a Monte Carlo estimate): NLL ≈ H(p₀) for a perfect sampler, and mass spread off the modes
///   raises it. The NLL alone cannot see dropped modes (samples piled on a few modes score as well
///   or better), which is what coverage is for.
/// - **Mode coverage**: each sample is assigned to the component with the **nearest mean**
///   (Euclidean distance; for equal weights and standard deviations this is also the posterior's
///   most probable component at t = 0). A mode is covered when it receives at least
///   `coverageThreshold` (1 %) of all samples; coverage = covered modes / K.
/// - **Precision**: the fraction of all samples within `precisionRadius` (3) standard deviations of
///   some mode's mean, ‖x − μ_k‖ ≤ 3 s_k in Euclidean distance. For samples from the data itself this
///   is P(χ²_D ≤ 9) per component (0.9889 = 1 − e^{−4.5} in 2-D), not 1.
///
/// Non-finite samples (any coordinate NaN or ±∞) are counted in ``nonFiniteSampleCount``; they are
/// excluded from the NLL, are assigned to no mode and count as imprecise, and every fraction above
/// has the total sample count as its denominator. Nothing is dropped silently.
public struct GaussianMixtureSampleQuality: Equatable, Sendable, CustomStringConvertible {
    /// The fraction of samples a mode needs to count as covered (1 %, METHODS.md §9).
    public static let defaultCoverageThreshold = 0.01
    /// The radius, in component standard deviations, of the precision test (3, METHODS.md §9).
    public static let defaultPrecisionRadius = 3.0

    /// N, all samples given (finite or not).
    public let sampleCount: Int
    /// Samples with a NaN or infinite coordinate.
    public let nonFiniteSampleCount: Int
    /// Samples assigned to each mode by nearest mean (K values, summing to N − non-finite).
    public let samplesPerMode: [Int]
    /// Modes with at least `coverageThreshold · N` samples.
    public let coveredModeCount: Int
    /// The fraction of samples within `precisionRadius` standard deviations of some mode.
    public let precision: Double
    /// The mean exact NLL −log p₀(x) over the finite samples (nil when no sample is finite).
    public let negativeLogLikelihood: MonteCarloEstimate?
    /// The data's own mean NLL H(p₀), the reference for ``negativeLogLikelihood``.
    public let dataNegativeLogLikelihood: MonteCarloEstimate
    /// The threshold used for coverage.
    public let coverageThreshold: Double
    /// The radius used for precision.
    public let precisionRadius: Double

    /// K, the number of modes.
    public var modeCount: Int { samplesPerMode.count }
    /// Covered modes / K.
    public var modeCoverage: Double { Double(coveredModeCount) / Double(modeCount) }
    /// NLL of the samples − NLL of the data (nil when no sample is finite).
    public var negativeLogLikelihoodGap: Double? { negativeLogLikelihood.map { $0.mean - dataNegativeLogLikelihood.mean } }

    /// Scores `samples` (count × D, row-major) against `mixture`, with a precomputed data NLL
    /// (from ``GaussianMixture/dataNegativeLogLikelihood(sampleCount:stream:)``; compute it once and
    /// reuse it when scoring many sample sets).
    public init(samples: [Double], mixture: GaussianMixture, dataNegativeLogLikelihood: MonteCarloEstimate,
                coverageThreshold: Double = defaultCoverageThreshold,
                precisionRadius: Double = defaultPrecisionRadius) throws(SampleQualityError) {
        let dimension = mixture.dimension
        guard !samples.isEmpty else { throw .emptySamples }
        guard samples.count % dimension == 0 else { throw .dimensionMismatch(values: samples.count, dimension: dimension) }
        guard coverageThreshold.isFinite, coverageThreshold > 0, coverageThreshold <= 1 else {
            throw .invalidSetting("coverage threshold \(coverageThreshold); expected a fraction in (0, 1] (default 0.01)")
        }
        guard precisionRadius.isFinite, precisionRadius > 0 else {
            throw .invalidSetting("precision radius \(precisionRadius); expected a finite positive number of standard deviations (default 3)")
        }
        let count = samples.count / dimension
        var perMode = [Int](repeating: 0, count: mixture.componentCount)
        var finitePoints: [Double] = []
        finitePoints.reserveCapacity(samples.count)
        var nonFinite = 0, precise = 0
        samples.withUnsafeBufferPointer { all in
            for i in 0 ..< count {
                let point = UnsafeBufferPointer(rebasing: all[(i * dimension) ..< ((i + 1) * dimension)])
                guard point.allSatisfy({ $0.isFinite }) else { nonFinite += 1; continue }
                finitePoints.append(contentsOf: point)
                let (mode, isNear) = mixture.nearestMode(point, radius: precisionRadius)
                perMode[mode] += 1
                if isNear { precise += 1 }
            }
        }
        let finiteCount = count - nonFinite
        sampleCount = count
        nonFiniteSampleCount = nonFinite
        samplesPerMode = perMode
        // The fraction k/N is compared, not k with threshold·N: 0.07·100 rounds to 7.000000000000001, so
        // a mode with exactly 7 of 100 samples would miss a threshold of 0.07 (k/N rounds correctly).
        coveredModeCount = perMode.filter { Double($0) / Double(count) >= coverageThreshold }.count
        precision = Double(precise) / Double(count)
        negativeLogLikelihood = finiteCount > 0
            ? MonteCarloEstimate(values: mixture.negativeLogLikelihoods(finitePoints, count: finiteCount))
            : nil
        self.dataNegativeLogLikelihood = dataNegativeLogLikelihood
        self.coverageThreshold = coverageThreshold
        self.precisionRadius = precisionRadius
    }

    /// Scores `samples` against `mixture`, estimating the data NLL from `dataSampleCount` fresh
    /// mixture samples drawn from `stream` (see the other initialiser).
    public init(samples: [Double], mixture: GaussianMixture, dataSampleCount: Int = 10_000,
                stream: inout RandomStream, coverageThreshold: Double = defaultCoverageThreshold,
                precisionRadius: Double = defaultPrecisionRadius) throws(SampleQualityError) {
        let reference = try mixture.dataNegativeLogLikelihood(sampleCount: dataSampleCount, stream: &stream)
        try self.init(samples: samples, mixture: mixture, dataNegativeLogLikelihood: reference,
                      coverageThreshold: coverageThreshold, precisionRadius: precisionRadius)
    }

    /// The metrics as named scalars for a metrics store (the NLL keys are absent when no sample is finite).
    public var metrics: [String: Double] {
        var result: [String: Double] = [
            "data_nll": dataNegativeLogLikelihood.mean,
            "mode_coverage": modeCoverage,
            "covered_modes": Double(coveredModeCount),
            "precision": precision,
            "non_finite_samples": Double(nonFiniteSampleCount),
        ]
        if let nll = negativeLogLikelihood {
            result["nll"] = nll.mean
            result["nll_gap"] = nll.mean - dataNegativeLogLikelihood.mean
        }
        return result
    }

    /// One line: "NLL 0.312 ± 0.012 (data 0.305, gap +0.007) · modes 8/8 · precision 0.989 · 0 of 4000 non-finite".
    public var description: String {
        let nll = negativeLogLikelihood.map { "NLL \(format($0.mean)) \($0.formattedStandardError(format))" } ?? "NLL n/a (no finite sample)"
        let gap = negativeLogLikelihoodGap.map { ", gap \($0 >= 0 ? "+" : "")\(format($0))" } ?? ""
        return "\(nll) (data \(format(dataNegativeLogLikelihood.mean))\(gap)) · modes \(coveredModeCount)/\(modeCount)"
            + " · precision \(format(precision)) · \(nonFiniteSampleCount) of \(sampleCount) non-finite"
    }
}

/// Three decimals, without Foundation's locale-dependent formatting.
private func format(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
    let scaled = (value * 1000).rounded()
    let sign = scaled < 0 ? "-" : ""
    let magnitude = abs(scaled)
    let whole = Int(magnitude / 1000)
    let fraction = Int(magnitude.truncatingRemainder(dividingBy: 1000))
    let digits = String(fraction)
    return "\(sign)\(whole).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
}
