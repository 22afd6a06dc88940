import Foundation
import Testing
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments

/// The samplers run on exact models (f* and the closed-form denoiser) must reproduce the data:
/// every mode covered and the exact NLL within 0.2 nats of the data's own (METHODS.md §8–§9).
@Suite("Samplers with exact models reproduce the ring of 8")
struct SamplerQualityTests {
    let sampleCount = 4_000

    /// The data's mean NLL for the ring, from 20 000 fresh points.
    func dataReference(_ ring: GaussianMixture) throws -> MonteCarloEstimate {
        var stream = RandomStream(seed: 7, purpose: "analysis.reference")
        return try ring.dataNegativeLogLikelihood(sampleCount: 20_000, stream: &stream)
    }

    func expectReproducesData(_ samples: [Double], _ ring: GaussianMixture, _ label: String) throws {
        let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: ring,
                                                       dataNegativeLogLikelihood: try dataReference(ring))
        #expect(quality.coveredModeCount == 8, "\(label): \(quality)")
        #expect(quality.nonFiniteSampleCount == 0, "\(label): \(quality)")
        #expect(abs(try #require(quality.negativeLogLikelihoodGap)) < 0.2, "\(label): \(quality)")
        #expect(quality.precision > 0.97, "\(label): \(quality)")
    }

    @Test("one-step sampling with the exact f* covers 8/8 modes with the data's NLL (±0.2 nats)")
    func oneStepExact() throws {
        let ring = try analysisTestRing()
        let sampler = try ConsistencySampler(model: try ExactValue(distribution: ring))
        var stream = RandomStream(seed: 21, purpose: "analysis.sampler")
        try expectReproducesData(try sampler.sample(count: sampleCount, stream: &stream), ring, "one step")
    }

    @Test("two- and three-step sampling with the exact f* (CM and ECT noise) cover 8/8 with the data's NLL")
    func multistepExact() throws {
        let ring = try analysisTestRing()
        for noise in NoiseInjection.allCases {
            let sampler = try ConsistencySampler(model: try ExactValue(distribution: ring), noiseInjection: noise)
            var stream = RandomStream(seed: 22, purpose: "analysis.sampler")
            try expectReproducesData(try sampler.sample(count: sampleCount, middleTimes: [0.821], stream: &stream),
                                     ring, "two steps, \(noise)")
            try expectReproducesData(try sampler.sample(count: sampleCount, middleTimes: [2, 0.3], stream: &stream),
                                     ring, "three steps, \(noise)")
        }
    }

    @Test("the EDM Heun sampler with the closed-form denoiser covers 8/8 with the data's NLL")
    func edmHeunClosedForm() throws {
        let ring = try analysisTestRing()
        for endsAtZero in [true, false] {
            let sampler = try EDMHeunSampler(distribution: ring, endsAtZero: endsAtZero)
            var stream = RandomStream(seed: 23, purpose: "analysis.sampler")
            try expectReproducesData(try sampler.sample(count: sampleCount, stream: &stream), ring,
                                     "EDM Heun, endsAtZero \(endsAtZero)")
        }
    }
}
