import Foundation
import PropertyBased
import Testing
import Tensors
@testable import Agents
@testable import Environments

/// A consistency-function test double: f(x, t) = x/2 + t for t > t_min and f(x, t_min) = x. It
/// records every call, so a test can rebuild each state the sampler should have formed.
final class RecordingAffineModel: ConsistencyFunction {
    let dimension: Int
    let minimumTime = 0.002
    private(set) var calls: [(points: [Double], time: Double)] = []

    init(dimension: Int) { self.dimension = dimension }

    func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        calls.append((points, t))
        return t == minimumTime ? points : points.map { 0.5 * $0 + t }
    }
}

/// `count` standard normals from `stream` (Double, the order the samplers draw them in).
func samplingTestNormals(_ count: Int, stream: inout RandomStream) -> [Double] {
    var values = [Double](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: count) }
    return values
}

@Suite("Consistency sampling: one step and multistep (CM Algorithm 1)")
struct SamplingConsistencyTests {
    @Test("one step evaluates f once, at t_max, on t_max · z with z from the stream")
    func oneStepIsFOfScaledNoise() throws {
        let model = RecordingAffineModel(dimension: 3)
        let sampler = try ConsistencySampler(model: model)
        var stream = RandomStream(seed: 11, purpose: "sampling-test")
        var replay = stream
        let samples = try sampler.sample(count: 5, stream: &stream)
        let start = samplingTestNormals(15, stream: &replay).map { 80 * $0 }
        #expect(model.calls.count == 1)
        #expect(model.calls[0].time == 80)
        #expect(model.calls[0].points == start)
        #expect(samples == start.map { 0.5 * $0 + 80 })
        #expect(stream == replay, "the sampler draws exactly count × D normals")
    }

    @Test("multistep with CM noise: x = x̂₀ + √(τ_{j+1}² − t_min²) z_j, evaluated at each τ in turn")
    func multistepConsistencyModelsNoise() throws {
        try checkMultistep(noise: .consistencyModels) { tau in (tau * tau - 0.002 * 0.002).squareRoot() }
    }

    @Test("multistep with ECT noise: x = x̂₀ + τ_{j+1} z_j")
    func multistepEasyConsistencyTuningNoise() throws {
        try checkMultistep(noise: .easyConsistencyTuning) { tau in tau }
    }

    private func checkMultistep(noise: NoiseInjection, scale: (Double) -> Double) throws {
        let model = RecordingAffineModel(dimension: 2)
        let sampler = try ConsistencySampler(model: model, maximumTime: 40, noiseInjection: noise)
        let middle = [3.0, 0.5, 0.002]
        var stream = RandomStream(seed: 5, purpose: "sampling-test", index: 2)
        var replay = stream
        let samples = try sampler.sample(count: 4, middleTimes: middle, stream: &stream)
        var state = samplingTestNormals(8, stream: &replay).map { 40 * $0 }
        #expect(model.calls.map { $0.time } == [40] + middle)
        var estimate = state.map { 0.5 * $0 + 40 }
        for (j, tau) in middle.enumerated() {
            let z = samplingTestNormals(8, stream: &replay)
            state = zip(estimate, z).map { $0 + scale(tau) * $1 }
            let recorded = model.calls[j + 1].points
            #expect(zip(recorded, state).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "state before τ = \(tau)")
            estimate = tau == 0.002 ? state : state.map { 0.5 * $0 + tau }
        }
        #expect(zip(samples, estimate).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
        #expect(stream == replay)
    }

    @Test("the same stream state gives bit-identical samples; the next draws differ")
    func sameStreamSameSamples() throws {
        let sampler = try ConsistencySampler(model: RecordingAffineModel(dimension: 2))
        var first = RandomStream(seed: 3, purpose: "determinism")
        var second = first
        let a = try sampler.sample(count: 6, middleTimes: [1.0], stream: &first)
        let b = try sampler.sample(count: 6, middleTimes: [1.0], stream: &second)
        #expect(a == b)
        let c = try sampler.sample(count: 6, middleTimes: [1.0], stream: &first)
        #expect(a != c)
    }

    @Test("CM noise scale satisfies s² + t_min² = τ² and never exceeds the ECT scale τ")
    func noiseScaleLaw() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0.002...80), Gen.double(in: 1e-4...0.002)) { tau, tMin in
            let cm = NoiseInjection.consistencyModels.noiseScale(nextTime: tau, minimumTime: tMin)
            let ect = NoiseInjection.easyConsistencyTuning.noiseScale(nextTime: tau, minimumTime: tMin)
            #expect(abs(cm * cm + tMin * tMin - tau * tau) <= 1e-12 * tau * tau)
            #expect(cm <= ect)
            #expect(ect == tau)
        }
    }

    @Test("invalid counts, times and maximum times are rejected with errors that say what is expected")
    func invalidInputsThrow() throws {
        let model = RecordingAffineModel(dimension: 2)
        let sampler = try ConsistencySampler(model: model)
        var stream = RandomStream(seed: 1, purpose: "errors")
        #expect(throws: SamplingError.invalidSampleCount(0)) { try sampler.sample(count: 0, stream: &stream) }
        for bad in [[1.0, 2.0], [1.0, 1.0], [0.001], [80.0], [100.0], [Double.nan], [1.0, -Double.infinity]] {
            #expect(throws: SamplingError.self, "middle times \(bad)") {
                try sampler.sample(count: 2, middleTimes: bad, stream: &stream)
            }
        }
        #expect(model.calls.isEmpty, "validation happens before any model call")
        do {
            _ = try sampler.sample(count: 2, middleTimes: [0.001], stream: &stream)
            Issue.record("a middle time below t_min was accepted")
        } catch let error as SamplingError {
            #expect(error.description.contains("t_min"))
        }
        #expect(throws: SamplingError.self) { try ConsistencySampler(model: model, maximumTime: 0.002) }
        #expect(throws: SamplingError.self) { try ConsistencySampler(model: model, maximumTime: .infinity) }
        #expect(throws: SamplingError.invalidDimension(0)) { try ConsistencySampler(model: RecordingAffineModel(dimension: 0)) }
    }

    @Test("a model returning the wrong number of values is reported, not indexed out of range")
    func modelOutputMismatch() throws {
        struct Truncating: ConsistencyFunction {
            let dimension = 2, minimumTime = 0.002
            func consistency(_ points: [Double], time t: Double) throws -> [Double] { Array(points.dropLast()) }
        }
        var stream = RandomStream(seed: 1, purpose: "errors")
        #expect(throws: SamplingError.modelOutputMismatch(values: 5, expected: 6)) {
            try ConsistencySampler(model: Truncating()).sample(count: 3, middleTimes: [1], stream: &stream)
        }
    }
}
