import ConsistencyTD
import Foundation
import Testing
@testable import consistency_td

/// `consistency-td evaluate` scores a diverged model instead of failing: a sample set with a non-finite
/// row gets NaN distances and the count of non-finite samples (SampleDistance itself still rejects such
/// sets for direct callers).
@Suite("consistency-td evaluate: non-finite samples")
struct SampleEvaluationNonFiniteTests {
    static func points(_ count: Int, seed: UInt64, purpose: String) -> [Double] {
        var stream = RandomStream(seed: seed, purpose: purpose)
        var values = [Double](repeating: 0, count: count * 2)
        values.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: count * 2) }
        return values
    }

    @Test("a sample set with a NaN row yields NaN distances, the non-finite count and a table that says so, not an error")
    func nanRowGivesNaNDistancesAndTheCount() throws {
        var samples = Self.points(40, seed: 1, purpose: "test.samples")
        let reference = Self.points(40, seed: 2, purpose: "test.reference")
        samples[7 * 2 + 1] = .nan
        samples[20 * 2] = .infinity
        var direct = RandomStream(seed: 0, purpose: "test.projections")
        #expect(throws: SampleQualityError.self) {
            try SampleDistanceReport(samples: samples, reference: reference, dimension: 2, stream: &direct)
        }

        let mixture = try GaussianMixture(weights: [1, 1], means: [[-1, 0], [1, 0]], standardDeviations: [0.5, 0.5])
        var nllStream = RandomStream(seed: 3, purpose: "test.data-nll")
        let dataNLL = try mixture.dataNegativeLogLikelihood(sampleCount: 1000, stream: &nllStream)
        for (label, mixtureOrNil) in [("mixture", mixture as GaussianMixture?), ("any data", nil)] {
            let evaluation = try SampleEvaluation(name: "1-step", samples: samples, reference: reference, dimension: 2,
                                                  mixture: mixtureOrNil, dataNLL: mixtureOrNil == nil ? nil : dataNLL, seed: 5, index: 0)
            #expect(evaluation.nonFiniteSampleCount == 2, "\(label)")
            #expect(evaluation.metrics["non_finite_samples"] == 2, "\(label)")
            for key in ["sliced_wasserstein2_squared", "mmd2", "energy_distance"] {
                #expect(evaluation.metrics[key]?.isNaN == true, "\(label): \(key) = \(String(describing: evaluation.metrics[key]))")
            }
            #expect(evaluation.quality?.nonFiniteSampleCount == (mixtureOrNil == nil ? nil : 2), "\(label)")
            let table = SampleEvaluation.table([evaluation])
            let row = try #require(table.split(separator: "\n").first { $0.hasPrefix("1-step") })
            #expect(row.split(separator: " ").suffix(3) == ["nan", "nan", "nan"], "\(label): \(row)")
            #expect(table.contains("1-step: 2 of 40 samples are not finite"), "\(label): \(table)")
        }
    }

    @Test("finite samples keep the distance report's values and a non-finite count of 0, with no note under the table")
    func finiteSamplesAreScoredAsBefore() throws {
        let samples = Self.points(40, seed: 1, purpose: "test.samples")
        let reference = Self.points(40, seed: 2, purpose: "test.reference")
        let evaluation = try SampleEvaluation(name: "1-step", samples: samples, reference: reference, dimension: 2,
                                              mixture: nil, dataNLL: nil, seed: 5, index: 0)
        var stream = RandomStream(seed: 5, purpose: "cli.evaluate.projections", index: 0)
        let report = try SampleDistanceReport(samples: samples, reference: reference, dimension: 2, stream: &stream)
        #expect(evaluation.distances == report)
        #expect(evaluation.nonFiniteSampleCount == 0)
        #expect(evaluation.metrics["non_finite_samples"] == 0)
        #expect(!SampleEvaluation.table([evaluation]).contains("not finite"))
    }

    @Test("the JSON output writes an undefined distance as null and keeps the count")
    func jsonWritesNull() throws {
        var samples = Self.points(10, seed: 1, purpose: "test.samples")
        samples[3] = .nan
        let evaluation = try SampleEvaluation(name: "2-step", samples: samples, reference: Self.points(10, seed: 2, purpose: "test.reference"),
                                              dimension: 2, mixture: nil, dataNLL: nil, seed: 5, index: 0)
        let path = NSTemporaryDirectory() + "sample-evaluation-nan-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SampleEvaluation.write([(evaluation, samples)], dimension: 2, context: [:], to: path)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let metrics = try #require((object?["samplers"] as? [String: Any])?["2-step"] as? [String: Any])
        #expect(metrics["mmd2"] is NSNull)
        #expect((metrics["non_finite_samples"] as? Double) == 1)
    }
}
