import Foundation
import Tensors
@testable import Environments

/// N(μ, s² I) in R^D: the one data distribution whose PF-ODE has a closed-form solution,
///
///     D(x, t) = (t² μ + s² x) / (s² + t²),      x(t) = μ + (x(t₀) − μ) · √((s² + t²) / (s² + t₀²)),
///
/// the oracle of the solver tests (independent of the GaussianMixture type).
struct SolverTestGaussian: ClosedFormDistribution {
    let mean: [Double]
    let standardDeviation: Double
    var dimension: Int { mean.count }

    init(mean: [Double] = [0.7, -1.3], standardDeviation: Double = 0.5) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The exact PF-ODE solution at time `to` of the trajectory through `points` at time `from`.
    func exactSolution(_ points: [Double], from t0: Double, to t: Double) -> [Double] {
        let s2 = standardDeviation * standardDeviation
        let ratio = ((s2 + t * t) / (s2 + t0 * t0)).squareRoot()
        return points.indices.map { i in
            let mu = mean[i % dimension]
            return mu + (points[i] - mu) * ratio
        }
    }

    func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                stream: inout RandomStream) {
        for i in 0..<(count * dimension) { points[i] = mean[i % dimension] + standardDeviation * stream.nextNormal() }
    }

    func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        let s2 = standardDeviation * standardDeviation, t2 = t * t
        for i in 0..<(count * dimension) { output[i] = (t2 * mean[i % dimension] + s2 * points[i]) / (s2 + t2) }
    }

    func logDensity(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        let variance = standardDeviation * standardDeviation + t * t
        for p in 0..<count {
            var squared = 0.0
            for d in 0..<dimension { let z = points[p * dimension + d] - mean[d]; squared += z * z }
            output[p] = -0.5 * squared / variance - 0.5 * Double(dimension) * log(2 * Double.pi * variance)
        }
    }

    func score(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        let variance = standardDeviation * standardDeviation + t * t
        for i in 0..<(count * dimension) { output[i] = (mean[i % dimension] - points[i]) / variance }
    }

    func samplePosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                         into output: UnsafeMutablePointer<Double>, stream: inout RandomStream) {
        let s2 = standardDeviation * standardDeviation, t2 = t * t
        let deviation = (s2 * t2 / (s2 + t2)).squareRoot()
        for i in 0..<(count * dimension) {
            output[i] = (t2 * mean[i % dimension] + s2 * points[i]) / (s2 + t2) + deviation * stream.nextNormal()
        }
    }
}

/// A denoiser that returns NaN: drives the solvers into their non-finite guard.
struct SolverTestNaNDenoiser: Denoiser {
    func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        for i in 0..<(count * 2) { output[i] = .nan }
    }
}

/// A few start points of dimension 2, spread around the mean at noise level t.
func solverTestPoints(count: Int, time t: Double, seed: UInt64 = 7) -> [Double] {
    var stream = RandomStream(seed: seed, purpose: "solver tests")
    return (0..<(count * 2)).map { _ in t * stream.nextNormal() }
}

/// max_i |a_i − b_i|.
func solverMaximumDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// N + 1 times from `start` down to `end`, equally spaced in t.
func solverUniformGrid(from start: Double, to end: Double, steps: Int) -> [Double] {
    (0...steps).map { j in j == steps ? end : start + (end - start) * Double(j) / Double(steps) }
}
