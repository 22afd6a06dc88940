import Testing
@testable import Environments

@Suite("Exact consistency function f* and value V*")
struct SolverExactValueTests {
    let gaussian = SolverTestGaussian()

    @Test("f*(x, t_min) = x exactly and V*(x, t_min) = 0")
    func boundaryIsExact() throws {
        let exact = try ExactValue(distribution: gaussian)
        let points = solverTestPoints(count: 8, time: 0.002)
        #expect(try exact.consistency(points, time: 0.002) == points)
        #expect(try exact.value(points, time: 0.002).allSatisfy { $0 == 0 })
        #expect(try exact.consistencyWithStatistics(points, time: 0.002).statistics.denoiserCalls == 0)
    }

    @Test("f* matches the closed-form end point and V* = f* − x")
    func matchesClosedForm() throws {
        let exact = try ExactValue(distribution: gaussian)
        let points = solverTestPoints(count: 30, time: 3)
        let f = try exact.consistency(points, time: 3)
        #expect(solverMaximumDifference(f, gaussian.exactSolution(points, from: 3, to: 0.002)) < 1e-9)
        let v = try exact.value(points, time: 3)
        #expect(solverMaximumDifference(v, zip(f, points).map { $0 - $1 }) == 0)
    }

    @Test("f* is constant along one exact trajectory (to 1e-8)")
    func consistentAlongTrajectory() throws {
        let exact = try ExactValue(distribution: gaussian)
        let start = solverTestPoints(count: 12, time: 80)
        let reference = try exact.consistency(start, time: 80)
        for t in [40.0, 5.0, 1.0, 0.3, 0.05, 0.005] {
            let onTrajectory = gaussian.exactSolution(start, from: 80, to: t)
            let f = try exact.consistency(onTrajectory, time: t)
            #expect(solverMaximumDifference(f, reference) < 1e-8, "t = \(t)")
        }
    }

    @Test("points at different times give the same f* as solving each time separately")
    func perPointTimes() throws {
        // Per-point step control (group size 1): a point's steps do not depend on its neighbours,
        // so regrouping by time must give identical results.
        let exact = try ExactValue(distribution: gaussian, solver: DormandPrinceSolver(groupSize: 1))
        let points = solverTestPoints(count: 4, time: 1)
        let times = [1.0, 0.5, 1.0, 0.002]
        let together = try exact.consistency(points, times: times)
        for i in 0..<4 {
            let alone = try exact.consistency(Array(points[(2 * i)..<(2 * i + 2)]), time: times[i])
            #expect(Array(together[(2 * i)..<(2 * i + 2)]) == alone)
        }
    }

    @Test("when several time groups fail, the error is that of the smallest time, whatever the hash order")
    func failingGroupsReportTheSmallestTime() throws {
        // One step per solve: every group runs out of budget, each with its own reached time.
        let exact = try ExactValue(distribution: gaussian, solver: DormandPrinceSolver(maximumSteps: 1))
        let count = 64
        let points = solverTestPoints(count: count, time: 1)
        let times = (0..<count).map { 1 + Double(($0 * 37 + 5) % count) * 0.25 }  // 64 distinct times, shuffled
        let smallest = times.indices.min { times[$0] < times[$1] }!
        var expected: SolverError?
        do { _ = try exact.consistency(Array(points[(2 * smallest)..<(2 * smallest + 2)]), time: times[smallest]) } catch let error as SolverError { expected = error }
        let alone = try #require(expected)
        #expect(throws: alone) { try exact.consistency(points, times: times) }
        // Invalid times are reported by index, before any solve.
        #expect { try exact.consistency(solverTestPoints(count: 3, time: 1), times: [0.5, 0.001, -3]) } throws: { "\($0)".contains("t = 0.001") }
    }

    @Test("invalid arguments throw readable errors")
    func invalidArgumentsThrow() throws {
        let exact = try ExactValue(distribution: gaussian)
        #expect(throws: SolverError.self) { try exact.consistency([1, 2], time: 0.001) }
        #expect(throws: SolverError.self) { try exact.consistency([1, 2], time: -1) }
        #expect(throws: SolverError.self) { try exact.consistency([1, 2, 3], time: 1) }
        #expect(throws: SolverError.self) { try exact.consistency([1, 2, 3, 4], times: [1]) }
        #expect(throws: SolverError.self) { try ExactValue(distribution: gaussian, minimumTime: 0) }
        do {
            _ = try exact.consistency([1, 2], time: 0.001)
        } catch let error as SolverError {
            #expect(error.description.contains("t_min"))
        }
    }
}
