import Foundation
import Testing
import Tensors
@testable import Agents
@testable import Environments

/// A denoiser that forwards to a closed-form one and counts its calls and the times it was asked for.
final class CountingDenoiser<Wrapped: Denoiser>: Denoiser {
    let wrapped: Wrapped
    private(set) var times: [Double] = []
    init(_ wrapped: Wrapped) { self.wrapped = wrapped }
    func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        times.append(t)
        try wrapped.denoise(points, count: count, time: t, into: output)
    }
}

/// N(μ, s² I) in 2-D as a one-component mixture; its PF-ODE has the closed-form solution
/// x_r = μ + (x_t − μ) √(s² + r²) / √(s² + t²).
func samplingTestGaussian(mean: [Double] = [1, -0.5], std: Double = 0.5) throws -> GaussianMixture {
    try GaussianMixture(weights: [1], means: [mean], standardDeviations: [std])
}

@Suite("EDM Heun sampler (Karras grid, 18 steps, final Euler step to 0)")
struct SamplingEDMHeunTests {
    @Test("the default grid is EDM's: 18 Karras times from 80 to 0.002, then 0; 35 denoiser calls")
    func defaultGrid() throws {
        let counting = CountingDenoiser(try samplingTestGaussian())
        let sampler = try EDMHeunSampler(denoiser: counting, dimension: 2)
        let karras = try TimeGrid.karras(count: 18, minimum: 0.002, maximum: 80, exponent: 7)
        #expect(sampler.times == karras.descending + [0])
        #expect(sampler.denoiserCallsPerSample == 35)
        var stream = RandomStream(seed: 1, purpose: "edm")
        _ = try sampler.sample(count: 3, stream: &stream)
        #expect(counting.times.count == 35)
        #expect(counting.times.first == 80)
        #expect(counting.times.last == 0.002, "the last call is the Euler step's, at t_min")
        #expect(!counting.times.contains(0), "the denoiser is never asked for t = 0")
    }

    @Test("on a Gaussian each Heun step multiplies x − μ by its exact linear amplification factor")
    func exactDiscreteScheme() throws {
        // D(x, t) = μ + s²/(s² + t²)(x − μ), so ε̂ = λ(t)(x − μ) with λ(t) = t/(s² + t²), and one Heun
        // step from a to b (h = b − a) multiplies x − μ by 1 + (h/2)(λ(a) + λ(b)(1 + h λ(a))).
        let std = 0.5, mean = [1.0, -0.5]
        let sampler = try EDMHeunSampler(distribution: try samplingTestGaussian(mean: mean, std: std), endsAtZero: false)
        let times = sampler.times
        var factor = 1.0
        for j in times.indices.dropFirst() {
            let a = times[j - 1], b = times[j], h = b - a
            let lambdaA = a / (std * std + a * a), lambdaB = b / (std * std + b * b)
            factor *= 1 + 0.5 * h * (lambdaA + lambdaB * (1 + h * lambdaA))
        }
        var stream = RandomStream(seed: 4, purpose: "edm")
        var replay = stream
        let samples = try sampler.sample(count: 50, stream: &stream)
        let start = samplingTestNormals(100, stream: &replay).map { 80 * $0 }
        for i in 0 ..< 100 {
            let expected = mean[i % 2] + (start[i] - mean[i % 2]) * factor
            #expect(abs(samples[i] - expected) <= 1e-11 * max(1, abs(start[i])), "coordinate \(i)")
        }
    }

    @Test("on a Gaussian the error against the exact PF-ODE end point falls with the square of the step")
    func secondOrderConvergence() throws {
        // x_r = μ + (x_t − μ) √(s² + r²) / √(s² + t²) is the exact solution.
        let std = 0.5, mean = [1.0, -0.5]
        let gaussian = try samplingTestGaussian(mean: mean, std: std)
        func error(steps: Int) throws -> Double {
            let sampler = try EDMHeunSampler(distribution: gaussian, stepCount: steps, endsAtZero: false)
            var stream = RandomStream(seed: 4, purpose: "edm")
            var replay = stream
            let samples = try sampler.sample(count: 50, stream: &stream)
            let start = samplingTestNormals(100, stream: &replay).map { 80 * $0 }
            let factor = (std * std + 0.002 * 0.002).squareRoot() / (std * std + 80 * 80).squareRoot()
            var worst = 0.0
            for i in 0 ..< 100 {
                let exact = mean[i % 2] + (start[i] - mean[i % 2]) * factor
                worst = max(worst, abs(samples[i] - exact))
            }
            return worst
        }
        let coarse = try error(steps: 18), middle = try error(steps: 36), fine = try error(steps: 72)
        // Doubling the steps cuts a second-order method's error about 4× (at least 3× here; 1st order: 2×).
        #expect(middle < coarse / 3 && fine < middle / 3, "errors \(coarse), \(middle), \(fine)")
    }

    @Test("ending at 0 adds one Euler step: x₀ = D(x, t_min)")
    func finalEulerStepIsTheDenoiser() throws {
        let gaussian = try samplingTestGaussian()
        let toMinimum = try EDMHeunSampler(distribution: gaussian, endsAtZero: false)
        let toZero = try EDMHeunSampler(distribution: gaussian)
        var first = RandomStream(seed: 8, purpose: "edm"), second = first
        let atMinimum = try toMinimum.sample(count: 7, stream: &first)
        let atZero = try toZero.sample(count: 7, stream: &second)
        var denoised = [Double](repeating: 0, count: atMinimum.count)
        atMinimum.withUnsafeBufferPointer { x in
            denoised.withUnsafeMutableBufferPointer { gaussian.denoise(x.baseAddress!, count: 7, time: 0.002, into: $0.baseAddress!) }
        }
        #expect(zip(atZero, denoised).allSatisfy { abs($0 - $1) <= 1e-12 })
        #expect(toMinimum.denoiserCallsPerSample == 34)
    }

    @Test("the same stream state gives bit-identical samples")
    func determinism() throws {
        let sampler = try EDMHeunSampler(distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        var first = RandomStream(seed: 12, purpose: "edm"), second = first
        let a = try sampler.sample(count: 20, stream: &first)
        let b = try sampler.sample(count: 20, stream: &second)
        #expect(a == b)
        var other = RandomStream(seed: 13, purpose: "edm")
        #expect(try sampler.sample(count: 20, stream: &other) != a)
    }

    @Test("bad step counts, dimensions and sample counts are rejected")
    func invalidInputsThrow() throws {
        let gaussian = try samplingTestGaussian()
        #expect(throws: TimeGridError.tooFewPoints(1)) { try EDMHeunSampler(distribution: gaussian, stepCount: 1) }
        #expect(throws: TimeGridError.self) { try EDMHeunSampler(distribution: gaussian, minimumTime: 0) }
        #expect(throws: SamplingError.invalidDimension(0)) { try EDMHeunSampler(denoiser: gaussian, dimension: 0) }
        var stream = RandomStream(seed: 1, purpose: "edm")
        #expect(throws: SamplingError.invalidSampleCount(-1)) {
            try EDMHeunSampler(distribution: gaussian).sample(count: -1, stream: &stream)
        }
    }
}
