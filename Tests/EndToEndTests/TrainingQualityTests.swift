import CLIProcess
import Foundation
import Testing

/// Training works, measured on the 2-D ring of 8 Gaussians (std 0.1, radius 2) with 1-step samples:
/// mode coverage and the mean exact negative log-likelihood under the true density against the data's
/// own (Experiments/RingOfEight prints the same table). Seeds are fixed; an untrained network fails
/// every threshold here (its 1-step samples collapse near the origin: coverage 0–2 of 8 and NLL > 100).
///
/// Each recipe trains in a child process, the test helper `TrainingQualityRun` (Tests/Support), on one
/// OpenBLAS thread, at most one child per core at once and the longest training first
/// (``TrainingLanes``): the trainings share the cores without oversubscribing them, and the tests wait for their child
/// without holding one of the test run's threads. (OpenBLAS's thread count is process-wide: two
/// in-process trainings on two BLAS threads each spent more time spin-waiting than they gained — 1642 s
/// against 1530 s serialized; Swift Testing's exit tests read their child's pipes on the run's threads,
/// so two of them stop every other test.) Results do not depend on the thread count. Each test prints
/// the measured values for the CI log.
@Suite("Training quality on the ring of 8")
struct TrainingQualityTests {
    /// What `TrainingQualityRun` prints: NLL gaps in nats (nil when undefined), covered modes of 8, of
    /// the samples `sampler` draws.
    struct Report: Decodable, CustomStringConvertible {
        var recipe: String
        var steps: Int
        var sampler: String
        var initialGap: Double?
        var initialModes: Int?
        var finalGap: Double?
        var finalModes: Int

        var description: String {
            let before = initialGap.map { "\($0) → " } ?? ""
            return "\(recipe), \(steps) steps: \(sampler) NLL gap \(before)\(finalGap ?? .nan), \(finalModes)/8 modes"
        }
    }

    /// Runs `TrainingQualityRun recipe` in a lane of ``TrainingLanes`` and returns its report, printed
    /// for the CI log (thresholds are read against it). `estimatedSeconds`: the recipe's time on one
    /// thread of the CI machine, pretraining the teacher included (the longest goes first).
    static func run(_ recipe: String, estimatedSeconds: Int) async throws -> Report {
        let helper = try CLI.executable(named: "TrainingQualityRun")
        await TrainingLanes.shared.acquire(estimatedSeconds: estimatedSeconds)
        let result: CLIResult
        do {
            let child = try CLIChild(executable: helper, [recipe], in: NSTemporaryDirectory())
            result = try await child.waitWithoutBlocking(timeout: 3600)
            await TrainingLanes.shared.release()
        } catch {
            await TrainingLanes.shared.release()
            throw error
        }
        guard result.status == 0, !result.endedBySignal,
              let line = result.standardOutput.split(whereSeparator: \.isNewline).last else {
            throw CLITestError("TrainingQualityRun \(recipe) failed (status \(result.status)\(result.timedOut ? ", killed after 3600 s" : "")): "
                               + result.standardError)
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        print("training quality: \(report)")
        return report
    }

    /// The issue-5 goal: 8/8 modes and a 1-step NLL within 1 nat of the data's, from an initial network
    /// (named in the message) that fails it by far.
    static func expectWithinOneNat(_ report: Report, initialNetwork: String) {
        #expect(report.finalModes == 8, "\(report)")
        #expect((report.initialGap ?? .infinity) > 10, "\(initialNetwork) must fail the threshold: \(report)")
        #expect((report.finalGap ?? .infinity) < 1.0, "\(report)")
    }

    /// The diffusion model every tuning test starts from and CD's teacher: the tuned toy recipe of
    /// Experiments/RingOfEight — 8000 steps, batch 512, lr 2·10⁻³ with a cosine decay to 5%, MLP 128×3
    /// (its 18-step Heun samples: gap +0.12 nat there).
    @Test("the pretrained diffusion model's 18-step Heun samples cover 8/8 modes within 0.5 nat of the data")
    func diffusionTeacher() async throws {
        let report = try await Self.run("teacher", estimatedSeconds: 15)
        #expect(report.finalModes == 8)
        #expect((report.finalGap ?? .infinity) < 0.5, "\(report)")
    }

    /// CD with the toy recipe of Experiments/RingOfEight (its "CD, batch 512" row: +0.867 there): Heun
    /// teacher on the N = 18 grid, 20 000 steps of batch 512.
    @Test("CD distils the teacher: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func consistencyDistillation() async throws {
        Self.expectWithinOneNat(try await Self.run("cd", estimatedSeconds: 85), initialNetwork: "the initial student (the diffusion model)")
    }

    /// ECT tuned from the diffusion model with the toy recipe of Experiments/RingOfEight: ECT's
    /// conditional transitions, pair schedule (q = 2, 8 stages) and tuning start, with three toy
    /// overrides of the paper preset — an EMA target network (μ = 0.99, as CD's) instead of the
    /// stop-gradient, sLCT's Cauchy metric with c = 0.03 instead of pseudo-Huber c = 0 (mode-seeking
    /// where the conditional target is bimodal), and a uniform pair weight — batch 1024, 40 000 steps.
    /// At 20 000 steps this recipe sits at the threshold (RingOfEight, one BLAS thread, seeds 0/1/2:
    /// +0.92, +1.04, +0.97; this test on two threads: +0.999); at 40 000 steps RingOfEight gave +0.76
    /// and +0.68 for seeds 1 and 2, and this test (seed 0) +0.714 on one build machine and +0.782 on another
    /// (the same commit: the last bits of a run depend on the machine's OpenBLAS kernels). Since EDM
    /// pretraining draws from streams of its own (2026-11-24) this test gives +0.863 (CD +0.860, SCT
    /// +0.834, the teacher's Heun-18 samples +0.206) on the CI machine.
    @Test("ECT tunes the diffusion model: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func easyConsistencyTuning() async throws {
        Self.expectWithinOneNat(try await Self.run("ect", estimatedSeconds: 200), initialNetwork: "the initial network (the diffusion model)")
    }

    /// SCT tuned from the diffusion model: SCT's score identity over the minibatch (its own references:
    /// no extra pool), smooth stages of ECT's mapping and tuning start, with ECT's toy recipe (EMA target
    /// μ = 0.99, Cauchy c = 0.03, uniform weight, batch 1024) and 4-step TD targets — four score-identity
    /// transitions along the pair schedule's path, then the bootstrap — for 80 000 steps. RingOfEight
    /// (seed 0, one BLAS thread): TD(0) gives +2.08 at 20 000 steps, +1.36 at 40 000 and +1.05 at 80 000;
    /// 4-step targets +1.47, +1.05 and +0.75 (Experiments/README.md).
    @Test("SCT tunes the diffusion model: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func stableConsistencyTuning() async throws {
        Self.expectWithinOneNat(try await Self.run("sct", estimatedSeconds: 730), initialNetwork: "the initial network (the diffusion model)")
    }

    /// iCT trained from scratch: iCT's log-normal pairs and doubling curriculum (s₀ = 10, s₁ = 160 on
    /// this toy) and conditional targets, with ECT's toy recipe (EMA target μ = 0.99, Cauchy c = 0.03,
    /// uniform weight, batch 1024) for 80 000 steps. RingOfEight (seed 0, one BLAS thread): +2.15 at
    /// 20 000 steps, +1.52 at 40 000, +0.65 (its 0.999 EMA: +0.75) at 80 000 (Experiments/README.md).
    @Test("iCT trains from scratch: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func improvedConsistencyTraining() async throws {
        Self.expectWithinOneNat(try await Self.run("ict", estimatedSeconds: 390), initialNetwork: "the initial network (untrained)")
    }

    /// CT with its paper preset on the ring (MLP 128×3, batch 512, lr 10⁻³), 4000 steps.
    @Test("CT (original) runs and improves on its initial likelihood")
    func consistencyTraining() async throws {
        let report = try await Self.run("ct", estimatedSeconds: 20)
        let before = report.initialGap ?? .infinity, after = report.finalGap ?? .infinity
        #expect(after < before, "gap \(before) → \(after)")
    }
}
