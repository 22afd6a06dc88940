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
}
