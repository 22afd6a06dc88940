import Testing
@testable import Environments

@Suite("Euler and Heun steps of the PF-ODE")
struct SolverFixedStepTests {
    let gaussian = SolverTestGaussian()
    let start = 2.0, end = 0.2

    func globalError(_ solver: some ProbabilityFlowSolver, steps: Int) throws -> Double {
        let points = solverTestPoints(count: 16, time: start)
        let grid = solverUniformGrid(from: start, to: end, steps: steps)
        let states = try solver.trajectory(points, dimension: 2, along: grid, denoiser: gaussian)
        return solverMaximumDifference(states.last!, gaussian.exactSolution(points, from: start, to: end))
    }

    @Test("Euler is first order: halving the step halves the global error")
    func eulerIsFirstOrder() throws {
        let coarse = try globalError(EulerSolver(), steps: 40)
        let fine = try globalError(EulerSolver(), steps: 80)
        let ratio = coarse / fine
        #expect(ratio > 1.8 && ratio < 2.2, "error ratio \(ratio) (errors \(coarse), \(fine))")
    }

    @Test("Heun is second order: halving the step quarters the global error")
    func heunIsSecondOrder() throws {
        let coarse = try globalError(HeunSolver(), steps: 40)
        let fine = try globalError(HeunSolver(), steps: 80)
        let ratio = coarse / fine
        #expect(ratio > 3.6 && ratio < 4.4, "error ratio \(ratio) (errors \(coarse), \(fine))")
        #expect(fine < 1e-3)
    }

    @Test("a step to r = 0 returns the denoiser's estimate D(x, t), for Euler and Heun")
    func stepToZeroIsTheDenoiser() throws {
        let points = solverTestPoints(count: 4, time: 1.5)
        var denoised = [Double](repeating: 0, count: points.count)
        try points.withUnsafeBufferPointer { x in
            try denoised.withUnsafeMutableBufferPointer { try gaussian.denoise(x.baseAddress!, count: 4, time: 1.5, into: $0.baseAddress!) }
        }
        for solver in [EulerSolver() as any ProbabilityFlowSolver, HeunSolver()] {
            let result = try solver.solve(points, dimension: 2, from: 1.5, to: 0, denoiser: gaussian)
            #expect(solverMaximumDifference(result, denoised) < 1e-14)
        }
    }

    @Test("one Heun step is x + (r − t)(ε̂ + ε̂′)/2 with ε̂′ taken at the Euler point")
    func heunStepFormula() throws {
        let points = [1.0, -2.0]
        let t = 1.0, r = 0.5
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let euler = try EulerSolver().solve(points, from: t, to: r, along: ode)
        let heun = try HeunSolver().solve(points, from: t, to: r, along: ode)
        let s2 = 0.25
        for d in 0..<2 {
            let mu = gaussian.mean[d]
            let velocity = (points[d] - (t * t * mu + s2 * points[d]) / (s2 + t * t)) / t
            #expect(abs(euler[d] - (points[d] + (r - t) * velocity)) < 1e-15)
            let velocity2 = (euler[d] - (r * r * mu + s2 * euler[d]) / (s2 + r * r)) / r
            #expect(abs(heun[d] - (points[d] + (r - t) * (velocity + velocity2) / 2)) < 1e-15)
        }
    }

    @Test("the trajectory holds every grid state, starting with the input")
    func trajectoryHoldsEveryState() throws {
        let points = solverTestPoints(count: 3, time: 5)
        let grid = [5.0, 2.0, 1.0, 0.1]
        let states = try HeunSolver().trajectory(points, dimension: 2, along: grid, denoiser: gaussian)
        #expect(states.count == 4)
        #expect(states[0] == points)
        let secondByHand = try HeunSolver().solve(states[1], dimension: 2, from: 2, to: 1, denoiser: gaussian)
        #expect(states[2] == secondByHand)
    }

    @Test("invalid arguments throw readable errors")
    func invalidArgumentsThrow() throws {
        let points = [0.1, 0.2]
        for solver in [EulerSolver() as any ProbabilityFlowSolver, HeunSolver()] {
            #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: 1, denoiser: gaussian) }
            #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: 2, denoiser: gaussian) }
            #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 0, to: 0, denoiser: gaussian) }
            #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: -0.5, denoiser: gaussian) }
            #expect(throws: SolverError.self) { try solver.solve([0.1, 0.2, 0.3], dimension: 2, from: 1, to: 0.5, denoiser: gaussian) }
            #expect(throws: SolverError.self) { try solver.solve(points, dimension: 0, from: 1, to: 0.5, denoiser: gaussian) }
            #expect(throws: SolverError.self) {
                try solver.trajectory(points, dimension: 2, along: [1, 2, 0.5], denoiser: gaussian)
            }
        }
        do {
            _ = try EulerSolver().solve(points, dimension: 2, from: 1, to: 1.5, denoiser: gaussian)
            Issue.record("expected an error")
        } catch let error as SolverError {
            #expect(error.description.contains("must be below the start time"))
        }
        do {
            _ = try EulerSolver().solve([1, 2, 3], dimension: 2, from: 1, to: 0.5, denoiser: gaussian)
            Issue.record("expected an error")
        } catch let error as SolverError {
            #expect(error == .countMismatch(values: 3, dimension: 2, expectedCount: nil))
            #expect(error.description.contains("not a whole number of points"))
        }
    }
}
