import Testing
import VarianceReduction

@Suite("The Euler step with a given denoiser estimate")
struct EulerTransitionTests {
    @Test("x̂_r = x_t + (r − t)(x_t − D̂)/t row by row; D̂ itself at r = 0 and x_t at r = t")
    func followsTheFormula() throws {
        let points: [Double] = [1, -2, 0.5, 3, -1, 4]
        let denoised: [Double] = [0.25, -1, 0.75, 2, 7, -3]
        let times: [Double] = [2, 0.5, 1.5], targets: [Double] = [0.5, 0, 1.5]
        let result = try eulerTransition(points: points, times: times, targetTimes: targets, denoised: denoised, dimension: 2)
        // Row 0: factor (0.5 − 2)/2 = −0.75.
        #expect(result[0] == 1 + -0.75 * (1 - 0.25))
        #expect(result[1] == -2 + -0.75 * (-2 - -1))
        // Row 1: r = 0 gives D̂ exactly.
        #expect(Array(result[2..<4]) == [0.75, 2])
        // Row 2: r = t gives the point back.
        #expect(Array(result[4..<6]) == [-1, 4])
    }

    @Test("D̂ from the Double denoiser, then the step, equals the denoiser's own transition bit for bit")
    func equalsTheDenoisersTransition() throws {
        let references = try ScoreIdentityReferences.shared(points: normals(64, seed: 5, purpose: "references"), dimension: 2)
        let queries = normals(20, seed: 5, purpose: "queries")
        let times = uniforms(10, in: 0.01..<5, seed: 5, purpose: "times")
        var targets = zip(times, uniforms(10, in: 0..<1, seed: 5, purpose: "fractions")).map { $0 * $1 }
        targets[3] = 0
        let denoiser = ScoreIdentityDenoiser()
        let estimate = try denoiser.estimate(queries, times: times, references: references)
        let stepped = try eulerTransition(points: queries, times: times, targetTimes: targets, denoised: estimate, dimension: 2)
        let direct = try denoiser.transition(queries, times: times, targetTimes: targets, references: references)
        #expect(stepped == direct)
        #expect(stepped != estimate)
    }

    @Test("Float inputs stay in Float with the same formula")
    func worksInFloat() throws {
        let result = try eulerTransition(points: [Float(1), 2], times: [4], targetTimes: [1], denoised: [0, 0], dimension: 2)
        #expect(result == [Float(1) + (Float(1) - 4) / 4 * 1, Float(2) + (Float(1) - 4) / 4 * 2])
    }

    @Test("bad dimension, lengths and times are rejected with the quantity named")
    func rejectsBadInput() {
        func fails(_ points: [Double], _ times: [Double], _ targets: [Double], _ denoised: [Double], dimension: Int,
                   _ matches: (ScoreIdentityError) -> Bool) -> Bool {
            do {
                _ = try eulerTransition(points: points, times: times, targetTimes: targets, denoised: denoised, dimension: dimension)
                return false
            } catch { return matches(error) }
        }
        #expect(fails([1, 2], [1], [0], [0, 0], dimension: 0) { if case .invalidDimension(0) = $0 { true } else { false } })
        #expect(fails([1, 2, 3], [1], [0], [0, 0, 0], dimension: 2) { if case .sizeMismatch("points", 3, _) = $0 { true } else { false } })
        #expect(fails([1, 2], [1, 2], [0, 0], [0, 0], dimension: 2) { if case .sizeMismatch("times", 2, _) = $0 { true } else { false } })
        #expect(fails([1, 2], [1], [0], [0], dimension: 2) { if case .sizeMismatch("denoised values", 1, _) = $0 { true } else { false } })
        #expect(fails([1, 2], [0], [0], [0, 0], dimension: 2) { if case .invalidTime(0, 0) = $0 { true } else { false } })
        #expect(fails([1, 2], [1], [2], [0, 0], dimension: 2) { if case .invalidTargetTime(0, 2, 1) = $0 { true } else { false } })
    }
}
