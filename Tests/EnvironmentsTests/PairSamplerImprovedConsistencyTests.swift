import Foundation
import Testing
import Environments
import Tensors

@Suite("iCT pair sampler (Song & Dhariwal 2023)")
struct PairSamplerImprovedConsistencyTests {
    @Test("Doubling curriculum: K′ = ⌊K/8⌋ and N(k) = min(10 · 2^⌊k/K′⌋, 1280) + 1")
    func doublingSchedule() throws {
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 8000)
        // log2⌊1280/10⌋ = 7, K′ = ⌊8000 / 8⌋ = 1000.
        #expect(sampler.doublingPeriod == 1000)
        #expect(sampler.gridPointCount(iteration: 0) == 11)
        #expect(sampler.gridPointCount(iteration: 999) == 11)
        #expect(sampler.gridPointCount(iteration: 1000) == 21)
        #expect(sampler.gridPointCount(iteration: 2500) == 41)
        #expect(sampler.gridPointCount(iteration: 6999) == 641)
        #expect(sampler.gridPointCount(iteration: 7000) == 1281)
        #expect(sampler.gridPointCount(iteration: 8000) == 1281)   // ⌊8000/1000⌋ = 8 → min(2560, 1280)
        #expect(sampler.gridPointCount(iteration: 1_000_000) == 1281)
        // A ratio that is not a power of two: log2⌊100/10⌋ = log2 10 ≈ 3.32, K′ = ⌊1000 / 4.32⌋ = 231.
        let uneven = try ImprovedConsistencyPairSampler(finalScale: 100, totalIterations: 1000)
        #expect(uneven.doublingPeriod == 231)
        #expect(uneven.gridPointCount(iteration: 231 * 3) == 81)
        #expect(uneven.gridPointCount(iteration: 231 * 4) == 101)
    }

    /// s1/s0 = 17.5 (the floor ⌊s1/s0⌋ = 17 matters) and K / (log2 17 + 1) = 1000 / 5.0875 = 196.56 (a
    /// fractional part ≥ 0.5, so rounding to nearest would give 197; without the inner floor,
    /// 1000 / (log2 17.5 + 1) = 194.96 would give 194 or 195).
    @Test("K′ floors twice: s0 = 10, s1 = 175, K = 1000 gives K′ = 196 and N(k) doubles exactly at multiples of 196")
    func doublingPeriodFloorsTwice() throws {
        let sampler = try ImprovedConsistencyPairSampler(initialScale: 10, finalScale: 175, totalIterations: 1000)
        #expect(sampler.doublingPeriod == 196)
        let expected: [(iteration: Int, count: Int)] = [
            (0, 11), (195, 11), (196, 21),      // ⌊195/196⌋ = 0 → 10 + 1; ⌊196/196⌋ = 1 → 20 + 1
            (391, 21), (392, 41),               // 2K′ = 392
            (587, 41), (588, 81),               // 3K′ = 588
            (783, 81), (784, 161),              // 4K′ = 784
            (979, 161), (980, 176),             // 5K′ = 980: min(320, 175) + 1
            (1000, 176),
        ]
        for (k, n) in expected {
            #expect(sampler.gridPointCount(iteration: k) == n, "N(\(k))")
        }
    }

    @Test("Interval probabilities are the normalised erf differences")
    func probabilitiesMatchErf() throws {
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 8000)
        let grid = sampler.grid(iteration: 0)
        let probabilities = sampler.intervalProbabilities(grid: grid)
        let cdf = { (t: Double) in erf((log(t) + 1.1) / (2.0.squareRoot() * 2.0)) }
        var raw: [Double] = []
        for i in 0..<grid.intervalCount { raw.append(cdf(grid.ascending[i + 1]) - cdf(grid.ascending[i])) }
        let total = raw.reduce(0, +)
        #expect(probabilities.count == 10)
        for (p, q) in zip(probabilities, raw) { #expect(abs(p - q / total) < 1e-12) }
    }

    /// Oracle: mpmath at 60 digits on the same 11-point Karras grid (t ∈ [0.002, 80], ρ = 7), P_std = 2.
    /// P_mean = 50 puts every argument below −16, where erf(·) rounds to −1 (the old erf difference gave
    /// 0/0 and every draw fell back to interval 0); P_mean = −60 puts them all above +16.
    @Test("Both far tails keep their interval probabilities to 1e-8 relative (P_mean = 50 and −60)",
          arguments: [
            (50.0, [1.1538263462470588e-46, 3.0687794177435908e-37, 8.2856658184289254e-30, 1.05358084151696e-23,
                    1.5246635792802274e-18, 4.3630843040711297e-14, 3.5677364487364789e-10, 1.0780357100947417e-6,
                    0.0014503229141511553, 0.99854859869332147]),
            (-60.0, [0.9999999999997823, 2.1770308092374427e-13, 2.0197821633264078e-23, 9.1138579255908154e-32,
                     6.2254896467039938e-39, 3.186228079512594e-45, 7.7285405767568418e-51, 6.4796440679544776e-56,
                     1.4962155490740385e-60, 8.0349215242264848e-65]),
          ])
    func farTailProbabilities(logMean: Double, expected: [Double]) throws {
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 8000, logMean: logMean)
        let probabilities = sampler.intervalProbabilities(grid: sampler.grid(iteration: 0))
        #expect(probabilities.count == expected.count)
        for (index, (p, q)) in zip(probabilities, expected).enumerated() {
            #expect(abs(p - q) <= 1e-8 * q, "interval \(index): \(p), expected \(q)")
        }
        var stream = RandomStream(seed: 3, purpose: "ict-tail")
        let pairs = sampler.samplePairs(count: 200, iteration: 0, stream: &stream)
        let top = sampler.grid(iteration: 0).ascending.last!
        #expect(pairs.filter { $0.time == top }.count > (logMean > 0 ? 190 : -1))
        #expect(pairs.filter { $0.targetTime == 0.002 }.count > (logMean < 0 ? 199 : -1))
    }

    @Test("A log-normal without mass on [t_min, t_max] is refused at construction, naming P_mean")
    func logNormalWithoutMassIsRefused() {
        for logMean in [500.0, -500.0] {
            #expect {
                _ = try ImprovedConsistencyPairSampler(totalIterations: 8000, logMean: logMean)
            } throws: { error in
                "\(error)".contains("P_mean") && "\(error)".contains("probability mass on [t_min, t_max]")
            }
        }
    }

    @Test("Empirical interval frequencies pass a chi-square test against the erf probabilities")
    func empiricalFrequencies() throws {
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 8000)
        let grid = sampler.grid(iteration: 1000)   // N = 21, 20 intervals
        let probabilities = sampler.intervalProbabilities(grid: grid)
        var stream = RandomStream(seed: 11, purpose: "ict-pairs")
        let drawCount = 100_000
        let pairs = sampler.samplePairs(count: drawCount, iteration: 1000, stream: &stream)
        var counts = [Int](repeating: 0, count: grid.intervalCount)
        for pair in pairs {
            let upper = try #require(grid.ascending.firstIndex(of: pair.time))
            #expect(grid.ascending[upper - 1] == pair.targetTime)
            counts[upper - 1] += 1
        }
        var chiSquare = 0.0
        for (count, p) in zip(counts, probabilities) {
            let expected = p * Double(drawCount)
            #expect(expected > 5)
            chiSquare += (Double(count) - expected) * (Double(count) - expected) / expected
        }
        // 19 degrees of freedom: the 0.999 quantile is 43.8.
        #expect(chiSquare < 43.8, "χ² = \(chiSquare)")
        // The draws must actually follow the weights, not be uniform over intervals.
        let uniformChiSquare = counts.reduce(0.0) { sum, count in
            let expected = Double(drawCount) / Double(counts.count)
            return sum + (Double(count) - expected) * (Double(count) - expected) / expected
        }
        #expect(uniformChiSquare > 1000)
    }

    @Test("Curriculum state names N and K′")
    func curriculumState() throws {
        let sampler = try ImprovedConsistencyPairSampler(totalIterations: 8000)
        let state = sampler.curriculumState(iteration: 3000)
        #expect(state["N"] == 81)
        #expect(state["doubling_period"] == 1000)
        #expect(state["iteration"] == 3000)
    }
}
