import Testing
import VarianceReduction

@Suite("Effective sample size")
struct EffectiveSampleSizeTests {
    @Test("uniform weights over n references give n; one dominant weight gives 1")
    func extremes() {
        let uniform = [Double](repeating: 0.125, count: 8)
        #expect(uniform.withUnsafeBufferPointer { effectiveSampleSize($0) } == 8)
        let dominant: [Double] = [1, 0, 0, 0]
        #expect(dominant.withUnsafeBufferPointer { effectiveSampleSize($0) } == 1)
    }

    @Test("unnormalised weights give the same ESS as normalised ones; undefined cases give NaN, never 0")
    func unnormalisedAndUndefined() {
        func ess(_ weights: [Double]) -> Double { weights.withUnsafeBufferPointer { effectiveSampleSize($0) } }
        #expect(ess([1, 1, 1, 1]) == 4)
        #expect(ess([3, 1]) == ess([0.75, 0.25]))
        #expect(ess([3, 1]) == 1.6)
        for undefined: [Double] in [[], [0, 0], [.nan, 0.5], [.infinity, 1], [-0.5, 1.5]] {
            #expect(ess(undefined).isNaN, "\(undefined)")
        }
    }
}
