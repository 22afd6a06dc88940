import Testing
import Environments

@Suite("Schedule loss weightings w(t, r)")
struct ScheduleWeightingTests {
    @Test("Each weighting matches its formula at (t, r) = (2, 1.5), σ_d = 0.5")
    func weightingsMatchFormulas() {
        #expect(PairWeighting.uniform.weight(time: 2, targetTime: 1.5) == 1)
        #expect(PairWeighting.inverseGridStep.weight(time: 2, targetTime: 1.5) == 2)
        #expect(PairWeighting.inverseTimeGap.weight(time: 2, targetTime: 1.5) == 2)
        // 1/4 + 1/0.25 = 4.25
        #expect(PairWeighting.inverseSquaredTimePlusData(dataStandardDeviation: 0.5).weight(time: 2, targetTime: 1.5) == 4.25)
        // (4 + 0.25) / (2 · 0.5)² = 4.25
        #expect(PairWeighting.edm(dataStandardDeviation: 0.5).weight(TimePair(time: 2, targetTime: 1.5)) == 4.25)
        // At t = 1: (1 + 0.25)/0.25 = 5 and 1 + 4 = 5; at t = 0.5: (0.25+0.25)/0.0625 = 8 vs 4 + 4 = 8.
        #expect(PairWeighting.edm(dataStandardDeviation: 0.5).weight(time: 0.5, targetTime: 0) == 8)
    }
}
