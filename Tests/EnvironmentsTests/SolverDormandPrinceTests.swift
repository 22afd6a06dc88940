import Foundation
import Testing
@testable import Environments

@Suite("Adaptive Dormand–Prince 5(4) in log-time")
struct SolverDormandPrinceTests {
    let gaussian = SolverTestGaussian()

    @Test("from t = 80 to t = 0.002 it matches the closed-form solution to 1e-9")
    func reachesTheToleranceAgainstTheClosedForm() throws {
        let points = solverTestPoints(count: 50, time: 80)
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let exact = gaussian.exactSolution(points, from: 80, to: 0.002)
        for groupSize in [1, 7, 64] {
            let (result, statistics) = try DormandPrinceSolver(groupSize: groupSize)
                .solveWithStatistics(points, from: 80, to: 0.002, along: ode)
            let error = solverMaximumDifference(result, exact)
            #expect(error < 1e-9, "group size \(groupSize): error \(error)")
            #expect(statistics.acceptedSteps > 10)
        }
    }

    @Test("the tolerance controls the error: 1e-5 is visibly worse than 1e-9, 1e-11 better")
    func toleranceControlsTheError() throws {
        let points = solverTestPoints(count: 20, time: 10)
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let exact = gaussian.exactSolution(points, from: 10, to: 0.01)
        func error(_ tolerance: Double) throws -> Double {
            let solver = DormandPrinceSolver(relativeTolerance: tolerance, absoluteTolerance: tolerance)
            return solverMaximumDifference(try solver.solve(points, from: 10, to: 0.01, along: ode), exact)
        }
        let loose = try error(1e-5), standard = try error(1e-9), tight = try error(1e-11)
        #expect(loose > 1e-9, "loose tolerance error \(loose)")
        #expect(loose < 1e-4)
        #expect(standard < 1e-9)
        #expect(tight < standard || tight < 1e-12, "tight \(tight), standard \(standard)")
    }

    @Test("denoiser calls are counted: six per attempted step plus two to start, per group")
    func evaluationsAreCounted() throws {
        let points = solverTestPoints(count: 10, time: 5)
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let grouped = try DormandPrinceSolver(groupSize: 4).solveWithStatistics(points, from: 5, to: 0.1, along: ode).statistics
        let groups = 3  // 4 + 4 + 2 points
        #expect(grouped.denoiserCalls == 6 * (grouped.acceptedSteps + grouped.rejectedSteps) + 2 * groups)
        let perPoint = try DormandPrinceSolver(groupSize: 1).solveWithStatistics(points, from: 5, to: 0.1, along: ode).statistics
        #expect(perPoint.pointEvaluations == perPoint.denoiserCalls)
        #expect(perPoint.pointEvaluations <= grouped.pointEvaluations)
    }

    /// ECT's late stages ask for t − r far below 10 ulps of ln t (q = 256, stage 5: 7.1e-14 at t = 20);
    /// the step floor must not reject an interval shorter than itself.
    @Test("an interval shorter than the step floor is one step, not an underflow", arguments: [
        (20.0, 20.0 - 7.1e-14), (20.0, 20.0.nextDown), (0.002 * (1 + 4e-15), 0.002), (80.0, 80.0 - 1e-12),
    ])
    func intervalBelowTheStepFloor(from t: Double, to r: Double) throws {
        let points = solverTestPoints(count: 4, time: t)
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let (result, statistics) = try DormandPrinceSolver().solveWithStatistics(points, from: t, to: r, along: ode)
        // One step; none when ln r rounds to ln t (20 and its predecessor share a logarithm).
        #expect(statistics.acceptedSteps == (Foundation.log(r) < Foundation.log(t) ? 1 : 0) && statistics.rejectedSteps == 0)
        let exact = gaussian.exactSolution(points, from: t, to: r)
        #expect(solverMaximumDifference(result, exact) < 1e-12 * t)
    }

    @Test("exceeding the step budget throws, saying how far the solve got")
    func stepBudgetExceededThrows() throws {
        let points = solverTestPoints(count: 2, time: 80)
        let solver = DormandPrinceSolver(maximumSteps: 5)
        do {
            _ = try solver.solve(points, dimension: 2, from: 80, to: 0.002, denoiser: gaussian)
            Issue.record("expected the step budget to be exceeded")
        } catch let error as SolverError {
            guard case .stepBudgetExceeded(let budget, let reached, let target) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(budget == 5)
            #expect(reached < 80 && reached > 0.002)
            #expect(target == 0.002)
            #expect(error.description.contains("step budget exceeded"))
        }
    }

    @Test("a denoiser returning NaN stops the solve with a non-finite error")
    func nonFiniteDenoiserThrows() throws {
        #expect(throws: SolverError.nonFiniteState(time: 1)) {
            try DormandPrinceSolver().solve([0.5, 0.5], dimension: 2, from: 1, to: 0.1, denoiser: SolverTestNaNDenoiser())
        }
    }

    @Test("invalid arguments throw readable errors")
    func invalidArgumentsThrow() throws {
        let solver = DormandPrinceSolver()
        let points = [0.3, 0.4]
        #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: 1, denoiser: gaussian) }
        #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: 3, denoiser: gaussian) }
        #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: 1, to: 0, denoiser: gaussian) }
        #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: -1, to: -2, denoiser: gaussian) }
        #expect(throws: SolverError.self) { try solver.solve(points, dimension: 2, from: .infinity, to: 1, denoiser: gaussian) }
        #expect(throws: SolverError.self) { try solver.solve([1, 2, 3], dimension: 2, from: 1, to: 0.5, denoiser: gaussian) }
        #expect(throws: SolverError.self) {
            try DormandPrinceSolver(relativeTolerance: 0, absoluteTolerance: 0).solve(points, dimension: 2, from: 1, to: 0.5, denoiser: gaussian)
        }
        #expect(throws: SolverError.self) {
            try DormandPrinceSolver(groupSize: 0).solve(points, dimension: 2, from: 1, to: 0.5, denoiser: gaussian)
        }
        do {
            _ = try solver.solve(points, dimension: 2, from: 1, to: 0, denoiser: gaussian)
        } catch let error as SolverError {
            #expect(error.description.contains("must be positive"))
        }
    }

    @Test("an empty batch is solved without calling the denoiser")
    func emptyBatch() throws {
        let ode = try ProbabilityFlowODE(denoiser: gaussian, dimension: 2)
        let (result, statistics) = try DormandPrinceSolver().solveWithStatistics([], from: 1, to: 0.5, along: ode)
        #expect(result.isEmpty)
        #expect(statistics.denoiserCalls == 0)
    }
}
