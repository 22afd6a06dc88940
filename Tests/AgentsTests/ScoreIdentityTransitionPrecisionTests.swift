@testable import Agents
import Foundation
import Tensors
import Testing
import VarianceReduction

@Suite("Score-identity transition: the Float32 kernel against the Double one")
struct ScoreIdentityTransitionPrecisionTests {
    /// Ring-of-eight-like data (radius 2, std 0.1), 64 points in 2-D, and queries x₀ + t z over
    /// t ∈ {0.002 … 20}; the last rows have r = 0 (the target is D̂) and r = t (the row stays put).
    static func batch() -> (data: [Double], states: [Double], times: [Double], targetTimes: [Double]) {
        var stream = RandomStream(seed: 17, purpose: "score-identity-precision")
        let count = 64, levels = [0.002, 0.02, 0.1, 0.3, 1, 3, 20]
        var data = [Double](), states = [Double](), times = [Double](), targetTimes = [Double]()
        for row in 0..<count {
            let angle = Double(row % 8) * .pi / 4
            let x0 = [2 * cos(angle) + 0.1 * stream.nextNormal(), 2 * sin(angle) + 0.1 * stream.nextNormal()]
            let t = levels[row % levels.count]
            data += x0
            states += x0.map { $0 + t * stream.nextNormal() }
            times.append(t)
            targetTimes.append(row == count - 2 ? 0 : row == count - 1 ? t : t * 0.8)
        }
        return (data, states, times, targetTimes)
    }

    static func compare(_ references: ScoreIdentityReferences<Double>, labels: [Int32]? = nil, unconditionalRows: [Bool]? = nil) throws {
        let (_, states, times, targetTimes) = batch()
        let double = try ScoreIdentityTransition(references: references, queryLabels: labels, unconditionalRows: unconditionalRows)
        let float = try ScoreIdentityTransition(references: references, queryLabels: labels, unconditionalRows: unconditionalRows,
                                                float32Denoiser: FastScoreIdentityDenoiser())
        let exact = try double.advance(states, times: times, targetTimes: targetTimes)
        let fast = try float.advance(states, times: times, targetTimes: targetTimes)
        let differences = zip(fast, exact).map { abs($0 - $1) / (1 + abs($1)) }
        // Agreement to Float rounding (≈ 6·10⁻⁸ relative per value, states up to |x| ≈ 60) …
        #expect(differences.max()! < 2e-6)
        // … and the Float kernel really ran (the Double path would agree bit for bit).
        #expect(differences.max()! > 0)
        #expect(Array(fast.suffix(2)) == Array(states.suffix(2)), "the row with r = t stays put exactly")
    }

    @Test("shared minibatch references: the Float32 targets equal the Double ones to Float rounding")
    func sharedReferences() throws {
        try Self.compare(.shared(points: Self.batch().data, dimension: 2))
    }

    @Test("own x₀ plus a pool of extra draws: the Float32 targets equal the Double ones to Float rounding")
    func ownPlusPool() throws {
        let data = Self.batch().data
        try Self.compare(.ownPlusPool(own: data, pool: Array(data.reversed().prefix(2 * 21)), dimension: 2))
    }

    @Test("class-conditional references with dropped rows: the Float32 targets equal the Double ones to Float rounding")
    func classConditional() throws {
        let data = Self.batch().data
        let labels = (0..<64).map { Int32($0 % 8 / 4) }
        try Self.compare(.shared(points: data, labels: labels, dimension: 2), labels: labels,
                         unconditionalRows: (0..<64).map { $0 % 5 == 0 })
    }
}
