import Analysis
import Environments
import Foundation
import HDF5
import Testing
@testable import PaperClaims

@Suite("PaperClaims: verdict rule, paired effects, results file, notebook")
struct PaperClaimsTests {
    @Test("verdict: effect > 2 SE reproduces, < −2 SE does not, otherwise inconclusive (also at SE = 0, effect 0)")
    func verdictRule() {
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: 0.3, standardError: 0.1, count: 3)) == .reproduces)
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: 0.2, standardError: 0.1, count: 3)) == .inconclusive)
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: -0.19, standardError: 0.1, count: 3)) == .inconclusive)
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: -0.21, standardError: 0.1, count: 3)) == .doesNotReproduce)
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: 0, standardError: 0, count: 3)) == .inconclusive)
        #expect(ClaimVerdict(effect: MonteCarloEstimate(mean: .nan, standardError: .nan, count: 3)) == .inconclusive)
    }

    @Test("the effect is paired by seed (worse − better) with the hand-computed mean and SE")
    func pairedEffect() {
        let m = ClaimMeasurement(claim: Claim.all[0], better: [1.0, 2.0, 3.0], worse: [1.5, 2.1, 3.9])
        #expect(m.perSeedEffect.enumerated().allSatisfy { abs($0.element - [0.5, 0.1, 0.9][$0.offset]) < 1e-12 })
        // mean 0.5; deviations 0, −0.4, 0.4 → s² = 0.16; SE = √(0.16 / 3).
        #expect(abs(m.effect.mean - 0.5) < 1e-12)
        #expect(abs(m.effect.standardError - (0.16 / 3).squareRoot()) < 1e-12)
        #expect(m.verdict == .reproduces)
    }

    @Test("OT coupling measurement on common draws: coupled and independent spreads are positive and finite, coupling moves nothing at B = 1")
    func couplingMeasurement() throws {
        let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let single = try CouplingTargetVariance(data: ring, batches: 3, batchSize: 1).measure(seed: 4)
        #expect(single.independent == single.coupled)
        let batch = try CouplingTargetVariance(data: ring, batches: 2, batchSize: 64).measure(seed: 4)
        #expect(batch.independent > 0 && batch.coupled > 0 && batch.independent.isFinite && batch.coupled.isFinite)
    }

    /// One tiny run (3 seeds, 8 steps, MLP 16×1) shared by the layout and notebook tests.
    static let tinyRun: Result<String, any Error> = Result {
        let folder = try ExperimentBinary.temporaryFolder("paper-claims")
        let result = try ExperimentBinary.run("PaperClaims", [
            "--quick", "--output", folder + "/paper-claims", "--seeds", "3", "--steps", "8", "--pretraining-steps", "20", "--batch", "16",
            "--width", "16", "--depth", "1", "--evaluations", "2", "--samples", "64", "--coupling-batches", "1", "--coupling-batch", "16",
        ], in: folder)
        guard result.status == 0 else { throw ExperimentTestError("PaperClaims failed (exit \(result.status)): \(result.standardError)") }
        return folder
    }

    @Test("a tiny run writes every claim with per-seed values consistent with table.md", .timeLimit(.minutes(10)))
    func tinyRunResultsFile() throws {
        let output = try Self.tinyRun.get() + "/paper-claims"
        let file = try HDF5File(output + "/results.h5")
        #expect(try file.stringAttribute("format") == "consistency-td.paper-claims")
        #expect(try file.attributeArray("seeds", as: Int64.self) == [0, 1, 2])
        let keys = try file.stringArrayAttribute("claims")
        #expect(keys == Claim.all.map(\.key))
        let table = try String(contentsOfFile: output + "/table.md", encoding: .utf8)
        for key in keys {
            let group = try file.openGroup("claims/\(key)")
            let better = try group.openDataset("better").read(as: Double.self)
            let worse = try group.openDataset("worse").read(as: Double.self)
            let effect = try group.openDataset("effect").read(as: Double.self)
            #expect(better.count == 3 && worse.count == 3)
            #expect(effect == zip(worse, better).map { $0 - $1 })
            let estimate = MonteCarloEstimate(values: effect)
            #expect(try group.attribute("effect_mean", as: Double.self) == estimate.mean)
            #expect(try group.attribute("effect_se", as: Double.self) == estimate.standardError)
            let verdict = try group.stringAttribute("verdict")
            #expect(verdict == ClaimVerdict(effect: estimate).rawValue)
            let statement = try group.stringAttribute("statement")
            let cell = "\(ClaimMeasurements.number(estimate.mean, signed: true)) ± \(ClaimMeasurements.number(estimate.standardError)) | \(verdict) |"
            #expect(table.contains(statement) && table.contains(cell), "\(key): \(cell)")
        }
        // The ECT arm and the SCT claims' conditional arm are the same runs; its final gap is the ECT claim's "better".
        let ect = try file.openDataset("arms/ect/nll_gap_1step").read(as: Double.self)
        #expect(try file.openDataset("claims/ect_tuning/better").read(as: Double.self) == ect)
    }

    @Test("the notebook executes on a fresh tiny run", .enabled(if: NotebookRunner.shouldRun), .timeLimit(.minutes(10)))
    func notebookExecutes() throws {
        try NotebookRunner.execute("paper-claims.ipynb", results: try Self.tinyRun.get())
    }

    @Test("bad sizes fail with a message naming the option and what is expected")
    func badSizesAreRejected() throws {
        #expect(throws: ClaimError.self) { try PaperClaimsCommand.parse(["--seeds", "1"]).resolvedSize() }
        #expect(throws: ClaimError.self) { try PaperClaimsCommand.parse(["--coupling-batch", "2000"]).resolvedSize() }
        #expect(try PaperClaimsCommand.parse(["--quick"]).resolvedSize() == ClaimSize.quick)
    }
}
