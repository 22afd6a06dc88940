import Environments
import Testing
import VarianceReduction

@Suite("Empirical denoiser")
struct EmpiricalDenoiserTests {
    @Test("the empirical denoiser of a finite dataset equals a brute-force Double reference")
    func equalsBruteForce() throws {
        let dimension = 3, pointCount = 60, count = 12
        let points = normals(pointCount * dimension, seed: 11, purpose: "data")
        let denoiser = try EmpiricalDenoiser(points: points, dimension: dimension)
        let queries = normals(count * dimension, seed: 11, purpose: "queries").map { $0 * 2 }
        for t in [0.05, 0.4, 1.0, 7.0, 80.0] {
            var output = [Double](repeating: 0, count: queries.count)
            try queries.withUnsafeBufferPointer { q in
                try output.withUnsafeMutableBufferPointer { try denoiser.denoise(q.baseAddress!, count: count, time: t, into: $0.baseAddress!) }
            }
            for row in 0..<count {
                let expected = bruteForceDenoise(queries[(row * dimension)..<((row + 1) * dimension)], time: t,
                                                 references: rows(points, dimension: dimension))
                for k in 0..<dimension {
                    #expect(abs(output[row * dimension + k] - expected[k]) <= 1e-12 * (1 + abs(expected[k])), "t = \(t)")
                }
            }
        }
    }

    @Test("the PF-ODE solvers accept it: one Euler step is x + (r − t)(x − D̂)/t")
    func drivesTheSolvers() throws {
        let points: [Double] = [-1, 0, 1, 0.5, 2, -2]
        let denoiser = try EmpiricalDenoiser(points: points, dimension: 2)
        let ode = try ProbabilityFlowODE(denoiser: denoiser, dimension: 2)
        let x: [Double] = [0.3, -0.2, 4, 4]
        let stepped = try EulerSolver().solve(x, from: 2, to: 0.5, along: ode)
        for row in 0..<2 {
            let d = bruteForceDenoise(x[(row * 2)..<(row * 2 + 2)], time: 2, references: rows(points, dimension: 2))
            for k in 0..<2 {
                let expected = x[row * 2 + k] + (0.5 - 2) * (x[row * 2 + k] - d[k]) / 2
                #expect(abs(stepped[row * 2 + k] - expected) < 1e-12)
            }
        }
        // Solving to t ≈ 0 ends on (or next to) a data point: the empirical PF-ODE collapses onto the data.
        let solved = try DormandPrinceSolver(relativeTolerance: 1e-8, absoluteTolerance: 1e-8).solve([0.9, 0.4], from: 1, to: 0.002, along: ode)
        #expect(abs(solved[0] - 1) < 1e-2 && abs(solved[1] - 0.5) < 1e-2, "\(solved)")
    }

    @Test("the class-conditional empirical denoiser uses only points of its label")
    func classConditional() throws {
        let points: [Double] = [0, 0, 10, 10, 1, 1, 11, 11]
        let denoiser = try EmpiricalDenoiser(points: points, labels: [0, 1, 0, 1], dimension: 2).classConditional(label: 1)
        var output = [0.0, 0.0]
        try [0.5, 0.5].withUnsafeBufferPointer { q in
            try output.withUnsafeMutableBufferPointer { try denoiser.denoise(q.baseAddress!, count: 1, time: 1e-3, into: $0.baseAddress!) }
        }
        #expect(output == [10, 10])
        #expect(throws: ScoreIdentityError.self) { try EmpiricalDenoiser(points: points, dimension: 2).classConditional(label: 0) }
    }
}
