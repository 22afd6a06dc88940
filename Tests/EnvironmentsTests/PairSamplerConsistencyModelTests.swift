import Foundation
import Testing
import Environments
import Tensors

@Suite("CM pair sampler (Song et al. 2023)")
struct PairSamplerConsistencyModelTests {
    @Test("N(k) at k = 0, K/2, K: 2, 107, 151 for s0 = 2, s1 = 150")
    func curriculumHandValues() throws {
        let sampler = try ConsistencyModelPairSampler(totalIterations: 1000)
        // k = 0: ⌈√(s0²) − 1⌉ + 1 = ⌈1⌉ + 1 = 2 (= s0, not s0 + 1).
        #expect(sampler.gridPointCount(iteration: 0) == 2)
        // k = K/2: √(½(151² − 4) + 4) = √11402.5 = 106.78…; ⌈105.78⌉ + 1 = 107.
        #expect(sampler.gridPointCount(iteration: 500) == 107)
        // k = K: √(151²) − 1 = 150; + 1 = 151.
        #expect(sampler.gridPointCount(iteration: 1000) == 151)
        #expect(sampler.gridPointCount(iteration: 5000) == 151)
    }

    /// At k = 0, K/2, K rounding to nearest gives the same N as the ceiling; these points do not.
    @Test("N(k) rounds up (not to nearest) where the two differ, and μ(k) follows that N: k = 1, 2, 10 of K = 1000")
    func curriculumRoundsUp() throws {
        let sampler = try ConsistencyModelPairSampler(totalIterations: 1000)
        // (s1 + 1)² − s0² = 22801 − 4 = 22797.
        // k = 1: √(22.797 + 4) − 1 = √26.797 − 1 = 4.1766…; ⌈⌉ + 1 = 6 (nearest would give 5).
        #expect(sampler.gridPointCount(iteration: 1) == 6)
        // k = 2: √(45.594 + 4) − 1 = √49.594 − 1 = 6.0423…; ⌈⌉ + 1 = 8 (nearest: 7).
        #expect(sampler.gridPointCount(iteration: 2) == 8)
        // k = 10: √(227.97 + 4) − 1 = √231.97 − 1 = 14.2306…; ⌈⌉ + 1 = 16 (nearest: 15).
        #expect(sampler.gridPointCount(iteration: 10) == 16)
        // μ(k) = exp(s0 ln μ0 / (N − 1)) = 0.9^{2/(N − 1)}: 0.9^{2/5}, 0.9^{2/7}, 0.9^{2/15}
        // (nearest would give 0.9^{1/2} = 0.9487, 0.9^{1/3} = 0.9655, 0.9^{1/7} = 0.9851).
        #expect(abs(sampler.emaRate(iteration: 1) - 0.9587315155141827) < 1e-15)
        #expect(abs(sampler.emaRate(iteration: 2) - 0.9703455784651036) < 1e-15)
        #expect(abs(sampler.emaRate(iteration: 10) - 0.9860501449214379) < 1e-15)
    }

    @Test("μ(k) = exp(s0 ln μ0 / (N(k) − 1)) by default and exp(s0 ln μ0 / N(k)) as the paper's option")
    func emaRateFormula() throws {
        let code = try ConsistencyModelPairSampler(totalIterations: 1000)
        #expect(abs(code.emaRate(iteration: 0) - 0.81) < 1e-15)            // 0.9² (N − 1 = 1)
        #expect(abs(code.emaRate(iteration: 1000) - 0.9985961794038429) < 1e-15)   // 0.9^{2/150}
        let paper = try ConsistencyModelPairSampler(totalIterations: 1000, emaRateDenominator: .gridPoints)
        #expect(abs(paper.emaRate(iteration: 0) - 0.9) < 1e-15)           // 0.9^{2/2}
        #expect(abs(paper.emaRate(iteration: 500) - exp(2 * log(0.9) / 107)) < 1e-15)
        let state = code.curriculumState(iteration: 500)
        #expect(state["N"] == 107)
        #expect(state["mu"] == code.emaRate(iteration: 500))
    }

    @Test("Pairs are adjacent Karras points, every interval drawn, r < t")
    func pairsAreAdjacentGridPoints() throws {
        let sampler = try ConsistencyModelPairSampler(totalIterations: 100, fixedPointCount: 18)
        let grid = try TimeGrid.karras(count: 18)
        var stream = RandomStream(seed: 3, purpose: "cm-pairs")
        let pairs = sampler.samplePairs(count: 2000, iteration: 0, stream: &stream)
        var seen = Set<Int>()
        for pair in pairs {
            let upper = try #require(grid.ascending.firstIndex(of: pair.time))
            #expect(upper >= 1)
            #expect(grid.ascending[upper - 1] == pair.targetTime)
            #expect(pair.targetTime < pair.time)
            seen.insert(upper)
        }
        #expect(seen.count == 17)
    }

    @Test("Invalid settings are rejected with a readable message")
    func invalidSettings() {
        #expect(throws: PairSamplerConfigurationError.self) { try ConsistencyModelPairSampler(totalIterations: 0) }
        do {
            _ = try ConsistencyModelPairSampler(totalIterations: 10, initialEMARate: 1.5)
            Issue.record("μ0 = 1.5 should be rejected")
        } catch {
            #expect("\(error)".contains("μ0 = 1.5"))
            #expect("\(error)".contains("expected 0 < μ0 < 1"))
        }
    }
}
