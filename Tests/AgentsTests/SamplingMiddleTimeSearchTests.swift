import Foundation
import PropertyBased
import Testing
import Tensors
@testable import Agents

/// f(x, t) = ln t in every coordinate for t > t_min (and x at t_min): two-step samples through τ₁
/// are exactly ln τ₁, so an objective of the samples has a known minimiser.
struct LogTimeModel: ConsistencyFunction {
    let dimension = 2
    let minimumTime = 0.002
    func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        t == minimumTime ? points : [Double](repeating: Foundation.log(t), count: points.count)
    }
}

/// f(x, t) = x for every t: two-step samples are t_max z + s₁ z₁, so they depend on the noise.
struct IdentityModel: ConsistencyFunction {
    let dimension = 2
    let minimumTime = 0.002
    func consistency(_ points: [Double], time t: Double) throws -> [Double] { points }
}

/// (mean of the samples − ln target)²: convex in ln τ₁ for ``LogTimeModel``, minimised at τ₁ = target.
func squaredLogDistance(to target: Double) -> ([Double]) -> Double {
    { samples in
        let mean = samples.reduce(0, +) / Double(samples.count)
        return (mean - Foundation.log(target)) * (mean - Foundation.log(target))
    }
}

@Suite("Two-step middle-time search (ternary search in ln τ₁)")
struct SamplingMiddleTimeSearchTests {
    @Test("finds the minimiser of an objective convex in ln τ₁ to the requested tolerance")
    func findsMinimiser() throws {
        let sampler = try ConsistencySampler(model: LogTimeModel())
        let result = try sampler.searchMiddleTime(count: 3, stream: RandomStream(seed: 1, purpose: "search"),
                                                  objective: squaredLogDistance(to: 0.5))
        #expect(abs(Foundation.log(result.middleTime) - Foundation.log(0.5)) <= 1e-3)
        #expect(result.objective <= 1e-6)
        #expect(result.evaluationCount > 10 && result.evaluationCount % 2 == 1)
    }

    @Test("finds the minimiser anywhere in (t_min, t_max)")
    func findsMinimiserAnywhere() async throws {
        let sampler = try ConsistencySampler(model: LogTimeModel())
        await propertyCheck(count: 25, input: Gen.double(in: -5.5 ... 4.0)) { logTarget in
            let target = Foundation.exp(logTarget)
            let result = try! sampler.searchMiddleTime(count: 1, stream: RandomStream(seed: 2, purpose: "search"),
                                                       logTolerance: 1e-4, objective: squaredLogDistance(to: target))
            #expect(abs(Foundation.log(result.middleTime) - logTarget) <= 1e-4, "target \(target)")
        }
    }

    @Test("a bracket that excludes the minimiser returns its nearest end")
    func bracketEnd() throws {
        let sampler = try ConsistencySampler(model: LogTimeModel())
        let result = try sampler.searchMiddleTime(count: 2, stream: RandomStream(seed: 1, purpose: "search"),
                                                  range: 1 ... 10, objective: squaredLogDistance(to: 0.5))
        #expect(result.middleTime >= 1)
        #expect(Foundation.log(result.middleTime) <= 1e-3)
    }

    @Test("common random numbers: the best objective equals a fresh two-step sample at τ₁ from the same stream")
    func commonRandomNumbers() throws {
        let sampler = try ConsistencySampler(model: IdentityModel(), maximumTime: 2)
        let stream = RandomStream(seed: 9, purpose: "search")
        // Two-step samples are 2 z + s₁ z₁, whose mean square is ≈ 4 + τ₁²: the objective depends on the
        // noise, with its minimiser near τ₁ ≈ 0.7.
        let objective: ([Double]) -> Double = { samples in
            let meanSquare = samples.reduce(0) { $0 + $1 * $1 } / Double(samples.count)
            return abs(meanSquare - 4.5)
        }
        let result = try sampler.searchMiddleTime(count: 200, stream: stream, objective: objective)
        var replay = stream
        let again = try sampler.sample(count: 200, middleTimes: [result.middleTime], stream: &replay)
        #expect(objective(again) == result.objective)
        let repeated = try sampler.searchMiddleTime(count: 200, stream: stream, objective: objective)
        #expect(repeated == result, "the search is deterministic")
    }

    @Test("the CIFAR-scale default middle time is 0.821 (CM, ECT)")
    func cifarDefault() {
        #expect(TwoStepSamplingDefaults.cifarMiddleTime == 0.821)
    }

    @Test("bad counts, brackets, tolerances and non-finite objectives are rejected")
    func invalidInputsThrow() throws {
        let sampler = try ConsistencySampler(model: LogTimeModel())
        let stream = RandomStream(seed: 1, purpose: "search")
        let objective = squaredLogDistance(to: 1)
        #expect(throws: SamplingError.invalidSampleCount(0)) {
            try sampler.searchMiddleTime(count: 0, stream: stream, objective: objective)
        }
        for range in [0.001 ... 1.0, 1.0 ... 100.0, 1.0 ... 1.0, 0.5 ... Double.infinity] {
            #expect(throws: SamplingError.self, "range \(range)") {
                try sampler.searchMiddleTime(count: 1, stream: stream, range: range, objective: objective)
            }
        }
        for tolerance in [0.0, -1.0, Double.nan] {
            #expect(throws: SamplingError.self, "tolerance \(tolerance)") {
                try sampler.searchMiddleTime(count: 1, stream: stream, logTolerance: tolerance, objective: objective)
            }
        }
        do {
            _ = try sampler.searchMiddleTime(count: 1, stream: stream) { _ in .nan }
            Issue.record("a NaN objective was accepted")
        } catch let error as SamplingError {
            guard case .nonFiniteObjective = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("finite"))
        }
    }
}
