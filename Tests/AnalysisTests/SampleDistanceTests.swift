import Foundation
import Testing
import Tensors
@testable import Analysis
@testable import Environments

/// The any-data sample metrics of METHODS.md §9 against closed forms and null distributions.
@Suite("Sample distances: sliced Wasserstein-2, MMD, energy distance")
struct SampleDistanceTests {
    func normals(_ count: Int, mean: Double = 0, seed: UInt64, purpose: String = "analysis.test-normals") -> [Double] {
        var stream = RandomStream(seed: seed, purpose: purpose)
        var values = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: count) }
        return values.map { $0 + mean }
    }

    @Test("SW₂² of a set with itself is 0 and of its copy shifted by μ in 1-D is exactly μ²")
    func slicedWassersteinOfShiftedCopy() throws {
        let a = normals(500, seed: 1)
        var stream = RandomStream(seed: 1, purpose: "analysis.projections")
        #expect(try SampleDistance.squaredSlicedWasserstein2(a, a, dimension: 1, stream: &stream) == 0)
        let mu = 0.7
        let shifted = try SampleDistance.squaredSlicedWasserstein2(a.map { $0 + mu }, a, dimension: 1, stream: &stream)
        #expect(abs(shifted - mu * mu) < 1e-12, "\(shifted)")
    }

    /// For independent samples of N(μ, 1) and N(0, 1) the 1-D optimal coupling pairs quantiles, so W₂² ≈
    /// (m̂_a − m̂_b)² + (ŝ_a − ŝ_b)² with the samples' own means and standard deviations (the Gaussian
    /// closed form; the remaining empirical-quantile noise is O(log n / n)), which is ≈ μ².
    @Test("SW₂² between independent 1-D Gaussian samples shifted by μ is ≈ μ² (the Gaussian closed form)")
    func slicedWassersteinOfIndependentGaussians() throws {
        let mu = 1.5
        let a = normals(4000, mean: mu, seed: 3), b = normals(4000, seed: 4)
        func moments(_ x: [Double]) -> (mean: Double, deviation: Double) {
            let mean = x.reduce(0, +) / Double(x.count)
            return (mean, (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)).squareRoot())
        }
        let (ma, sa) = moments(a), (mb, sb) = moments(b)
        let closedForm = (ma - mb) * (ma - mb) + (sa - sb) * (sa - sb)
        var stream = RandomStream(seed: 2, purpose: "analysis.projections")
        let value = try SampleDistance.squaredSlicedWasserstein2(a, b, dimension: 1, stream: &stream)
        #expect(abs(value - closedForm) < 0.01, "\(value) vs \(closedForm)")
        #expect(abs(value - mu * mu) < 0.25, "\(value) vs μ² = \(mu * mu)")
    }

    /// In D dimensions a shift by μ gives (θ·μ)² per direction, and E_θ[(θ·μ)²] = ‖μ‖²/D for θ uniform on
    /// the sphere; 4096 directions put the Monte-Carlo error near 1 %.
    @Test("SW₂² of a 2-D copy shifted by μ is ‖μ‖²/D within the projections' Monte-Carlo error")
    func slicedWassersteinInTwoDimensions() throws {
        let a = normals(600, seed: 5), mu = [1.0, -2.0]
        let shifted = (0..<a.count).map { a[$0] + mu[$0 % 2] }
        var stream = RandomStream(seed: 6, purpose: "analysis.projections")
        let value = try SampleDistance.squaredSlicedWasserstein2(shifted, a, dimension: 2, projections: 4096, stream: &stream)
        #expect(abs(value / 2.5 - 1) < 0.05, "\(value) vs 2.5")
        #expect(throws: SampleQualityError.self) { try SampleDistance.squaredSlicedWasserstein2(a, a, dimension: 2, projections: 100, stream: &stream) }
    }

    /// Replicated pairs of independent samples of one distribution: the unbiased MMD²ᵤ and energy
    /// distance average to 0 within 4 standard errors (a V-statistic would sit ~(2/n)(B − E k) above);
    /// between different distributions (the ring scaled by 2) both lie more than 6 null standard deviations above 0.
    @Test("MMD² and energy distance are ≈ 0 (unbiased) for identical distributions and positive for different ones")
    func nullAndAlternative() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.2)
        let n = 60, replicates = 40
        let reference = { (seed: UInt64) -> [Double] in
            var stream = RandomStream(seed: seed, purpose: "analysis.test-ring")
            return ring.sample(count: n, stream: &stream)
        }
        let bandwidths = try SampleDistance.defaultBandwidths(reference: reference(1000), dimension: 2)
        var mmd: [Double] = [], energy: [Double] = []
        for k in 0..<replicates {
            let x = reference(UInt64(2 * k)), y = reference(UInt64(2 * k + 1))
            mmd.append(try SampleDistance.squaredMaximumMeanDiscrepancy(x, y, dimension: 2, bandwidths: bandwidths))
            energy.append(try SampleDistance.energyDistance(x, y, dimension: 2))
        }
        for (name, values) in [("MMD²", mmd), ("energy", energy)] {
            let estimate = MonteCarloEstimate(values: values)
            #expect(abs(estimate.mean) <= 4 * estimate.standardError, "\(name): \(estimate)")
        }
        let moved = reference(7).map { $0 * 2 }
        let mmdDifferent = try SampleDistance.squaredMaximumMeanDiscrepancy(moved, reference(8), dimension: 2, bandwidths: bandwidths)
        let energyDifferent = try SampleDistance.energyDistance(moved, reference(8), dimension: 2)
        let mmdNull = MonteCarloEstimate(values: mmd), energyNull = MonteCarloEstimate(values: energy)
        #expect(mmdDifferent > 6 * mmdNull.standardError * Double(replicates).squareRoot(), "\(mmdDifferent) vs null \(mmdNull)")
        #expect(energyDifferent > 6 * energyNull.standardError * Double(replicates).squareRoot(), "\(energyDifferent) vs null \(energyNull)")
    }

    /// For X ~ N(0, 1), Y ~ N(μ, 1): X − Y ~ N(−μ, 2), E|N(μ, σ²)| = σ√(2/π) e^{−μ²/2σ²} + μ(1 − 2Φ(−μ/σ))
    /// and E|X − X′| = 2/√π, so E = 2E|X − Y| − 2·2/√π.
    @Test("the energy distance of two 1-D Gaussians matches its closed form")
    func energyDistanceClosedForm() throws {
        let mu = 1.0, sigma = 2.0.squareRoot()
        let phi = 0.5 * Foundation.erfc(mu / sigma / 2.0.squareRoot())
        let cross = sigma * (2 / Double.pi).squareRoot() * Foundation.exp(-mu * mu / (2 * sigma * sigma)) + mu * (1 - 2 * phi)
        let expected = 2 * cross - 2 * 2 / Double.pi.squareRoot()
        let value = try SampleDistance.energyDistance(normals(1500, mean: mu, seed: 11), normals(1500, seed: 12), dimension: 1)
        #expect(abs(value - expected) < 0.06, "\(value) vs \(expected)")
    }

    @Test("the report combines the three metrics; unequal sizes and non-finite points are rejected")
    func reportAndErrors() throws {
        let a = normals(200, seed: 13), b = normals(200, mean: 0.5, seed: 14)
        var stream = RandomStream(seed: 15, purpose: "analysis.projections")
        let report = try SampleDistanceReport(samples: a, reference: b, dimension: 2, stream: &stream)
        #expect(report.sampleCount == 100)
        #expect(report.bandwidths.count == SampleDistance.defaultBandwidthFactors.count)
        #expect(report.energyDistance == (try SampleDistance.energyDistance(a, b, dimension: 2)))
        #expect(report.squaredMaximumMeanDiscrepancy == (try SampleDistance.squaredMaximumMeanDiscrepancy(a, b, dimension: 2)))
        #expect(report.metrics.count == 3)
        #expect(throws: SampleQualityError.self) { try SampleDistance.energyDistance(a, Array(b.prefix(100)), dimension: 2) }
        var broken = a
        broken[7] = .nan
        #expect(throws: SampleQualityError.self) { try SampleDistance.energyDistance(broken, b, dimension: 2) }
    }

    @Test("nonFiniteRowCount counts rows with a NaN or infinite coordinate, once per row, and ignores a partial row")
    func nonFiniteRows() {
        let points: [Double] = [1, .nan, 2, 3, .infinity, -.infinity, 4, 5, .nan]
        #expect(SampleDistance.nonFiniteRowCount(points, dimension: 2) == 2)
        #expect(SampleDistance.nonFiniteRowCount(points, dimension: 3) == 3)
        #expect(SampleDistance.nonFiniteRowCount(points, dimension: 1) == 4)
        #expect(SampleDistance.nonFiniteRowCount([1, 2, 3, 4], dimension: 2) == 0)
    }

    @Test("MMD² pins its kernel exp(−d²/2h²) and unbiased form on two hand-computed pairs; the median heuristic on four points")
    func maximumMeanDiscrepancyByHand() throws {
        let x = [0.0, 1], y = [0.5, 2]
        // n = 2: within-set sums over i ≠ j over n(n − 1), the cross term over n².
        let within = Foundation.exp(-0.5) + Foundation.exp(-1.125)
        let cross = (2 * Foundation.exp(-0.125) + Foundation.exp(-2) + Foundation.exp(-0.5)) / 2
        let mmd = try SampleDistance.squaredMaximumMeanDiscrepancy(x, y, dimension: 1, bandwidths: [1])
        #expect(abs(mmd - (within - cross)) < 1e-14, "\(mmd)")
        // Two bandwidths add their kernels.
        let two = try SampleDistance.squaredMaximumMeanDiscrepancy(x, y, dimension: 1, bandwidths: [1, 2])
        let withinTwo = Foundation.exp(-0.125) + Foundation.exp(-2.25 / 8)
        let crossTwo = (2 * Foundation.exp(-0.25 / 8) + Foundation.exp(-0.5) + Foundation.exp(-0.125)) / 2
        #expect(abs(two - (within - cross) - (withinTwo - crossTwo)) < 1e-14, "\(two)")

        // Pairwise distances of 0, 1, 3, 7: 1 2 3 4 6 7, median 3.5.
        let widths = try SampleDistance.defaultBandwidths(reference: [0, 1, 3, 7], dimension: 1)
        #expect(widths == SampleDistance.defaultBandwidthFactors.map { $0 * 3.5 })
        // A non-finite reference point is named, not reported as coinciding points.
        #expect { try SampleDistance.defaultBandwidths(reference: [0, 1, .nan, 7], dimension: 1) } throws: {
            "\($0)".contains("row 2 is not finite")
        }
        #expect { try SampleDistance.defaultBandwidths(reference: [0, 0, 0, 0, .infinity, 1], dimension: 2) } throws: {
            "\($0)".contains("row 2 is not finite")
        }
    }
}
