import Testing
@testable import Agents
@testable import Analysis
@testable import Environments

/// METHODS.md §4: a multi-step path is t = τ₀ > τ₁ > … > τ_H = t_min. A diagnostics path whose step lands
/// exactly on 0 must end at t_min (terminal), not at 0 (which would make the estimator return a denoised
/// point D̂ instead of x̂ at t_min); only an explicit r = 0 asks for a denoising target.
@Suite("Target step rule: diagnostics paths end at t_min")
struct TargetStepRuleTerminalTests {
    @Test("explicit target times whose path step lands exactly on 0 end at t_min, like a path landing in (0, t_min)")
    func pathLandingOnZeroEndsAtMinimumTime() throws {
        let minimumTime = 0.002
        // t = 2, r = 1: τ₂ = 1 − (2 − 1) = 0 exactly.
        let exactZero = try TargetStepRule.targetTimes([1]).paths(pair: TimePair(time: 2, targetTime: 1), index: 0, rows: 3, horizon: 4,
                                                                   minimumTime: minimumTime, forceTerminal: false)
        // t = 2, r = 1.0005: τ₂ = 1.0005 − 0.9995 ≈ 0.001 lands in (0, t_min).
        let belowMinimum = try TargetStepRule.targetTimes([1.0005]).paths(pair: TimePair(time: 2, targetTime: 1.0005), index: 0, rows: 1,
                                                                          horizon: 4, minimumTime: minimumTime, forceTerminal: false)
        for row in 0..<3 {
            #expect(exactZero.time(row: row, step: 0) == 2)
            #expect(exactZero.time(row: row, step: 1) == 1)
            for j in 2...4 {
                #expect(exactZero.time(row: row, step: j) == minimumTime, "τ_\(j) = \(exactZero.time(row: row, step: j))")
            }
        }
        #expect(belowMinimum.time(row: 0, step: 2) == minimumTime)
        // An explicit r = 0 is still a denoising target.
        let denoising = try TargetStepRule.targetTimes([0]).paths(pair: TimePair(time: 2, targetTime: 0), index: 0, rows: 1, horizon: 3,
                                                                   minimumTime: minimumTime, forceTerminal: false)
        #expect(denoising.column(1) == [0] && denoising.column(3) == [0])
    }

    /// The same pair (t, r) = (2, 1) with step index 0 draws the same query states and posterior draws, so
    /// the path 2 → 1 → (0 ↦ t_min) of explicit target times and the path 2 → 1 → t_min of the grid
    /// {t_min, 1, 2} must give bit-identical targets for every multi-step return.
    @Test("the targets of a path landing exactly on 0 equal those of the path ending at t_min")
    func targetsEqualThoseOfThePathEndingAtMinimumTime() throws {
        let mixture = try diagnosticsTestMixture()
        let columns = TargetDiagnosticsColumn.grid(estimators: [.teacher(.euler), .conditionalSample],
                                                   targets: [.nStep(2), .lambda(0.7), .monteCarlo()])
        func run(_ steps: TargetStepRule) throws -> TargetDiagnosticsPair {
            let settings = TargetDiagnosticsSettings(times: [2], steps: steps, columns: columns, queryCount: 4, sampleCount: 3, seed: 8)
            return try TargetDiagnostics(distribution: mixture, settings: settings).run().pairs[0]
        }
        let landingOnZero = try run(.targetTimes([1]))
        let endingAtMinimum = try run(.gridSteps([1], grid: TimeGrid.explicit([0.002, 1, 2])))
        #expect(landingOnZero.targetTime == 1 && endingAtMinimum.targetTime == 1)
        for (a, b) in zip(landingOnZero.estimates, endingAtMinimum.estimates) {
            #expect(a.name == b.name)
            #expect(a.meanTarget == b.meanTarget, "\(a.name): \(a.meanTarget) vs \(b.meanTarget)")
            #expect(a.variance == b.variance, "\(a.name)")
        }
    }
}
