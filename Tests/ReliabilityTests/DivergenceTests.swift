import Agents
import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// Item 3 of the reliability issue, end to end through the CLI: a run with a huge learning rate
/// (10¹⁵: Adam moves every weight by about the learning rate, so a few steps overflow `Float`
/// activations; 10⁶ only drives the loss to ≈ 10³⁴ in 200 steps, which the `Double` reductions keep
/// finite) diverges; its non-finite steps are skipped and counted (`train/skipped_steps`), it stops after
/// the configured number of consecutive skipped steps with one error line naming the steps and the
/// last good checkpoint, and that checkpoint loads with finite parameters.
@Suite("Reliability: a diverging run")
struct DivergenceTests {
    /// Checks the stopped run in `folder/run`: the error names the streak of `limit` steps and the
    /// checkpoint `latest` points to, which is complete and finite; the metrics count the skips.
    static func expectStoppedCleanly(_ result: CLIResult, folder: String, limit: Int) throws {
        #expect(result.status != 0 && !result.endedBySignal, "\(result.standardError)")
        #expect(result.errorLines.filter { $0.hasPrefix("error: ") }.count == 1, "\(result.standardError)")
        let line = result.errorLines.last ?? ""
        #expect(line.contains("\(limit) consecutive steps ("), "\(line)")
        let latest = try #require(try CheckpointFolder(directory: folder + "/run/checkpoints").latestPath(), "no checkpoint was kept")
        #expect(line.contains((latest as NSString).lastPathComponent), "the error does not name the last good checkpoint \(latest): \(line)")
        let checkpoint = try CheckpointFile.read(from: latest)
        #expect(checkpoint.step >= 1)
        let arrays = checkpoint.parameters + (checkpoint.targetParameters ?? []) + checkpoint.averages.flatMap(\.parameters)
        #expect(arrays.allSatisfy { array in array.values.allSatisfy { $0.isFinite } }, "the kept checkpoint holds non-finite numbers")
        // The streak is in the metrics: train/skipped_steps climbs to the limit on the last rows.
        let stored = try MetricsStore.read(folder + "/run/" + MetricsStore.hdf5FileName)
        let skipped = try #require(stored.series[Trainer.skippedStepsSeries])
        #expect(skipped.last == Double(limit), "train/skipped_steps ends at \(String(describing: skipped.last))")
        let first = try #require(line.split(separator: "(").dropFirst().first?.prefix { $0.isNumber }).flatMap { Int64($0) }
        #expect(stored.steps.last == (first ?? 0) + Int64(limit) - 1, "the metrics end at step \(String(describing: stored.steps.last))")
    }

    @Test("train --learning-rate 1e15 stops after 10 consecutive non-finite steps, naming them and the last good checkpoint, which is finite")
    func hugeLearningRateStopsWithLastGoodCheckpoint() throws {
        let folder = try Reliability.folder("divergence-flags")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try CLI.run(["train", "--preset", "ict", "--steps", "200", "--checkpoint-every", "2", "--learning-rate", "1e15",
                                  "--warmup", "50", "--run-dir", "run"] + CLI.tiny, in: folder, timeout: 120)
        try Self.expectStoppedCleanly(result, folder: folder, limit: 10)
    }

    @Test("train --config with max_consecutive_non_finite 15 stops after exactly 15 skipped steps (the config's limit reaches the trainer)")
    func configuredLimitReachesTheTrainer() throws {
        let folder = try Reliability.folder("divergence-config")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("""
            method: ict
            seed: 3
            network: {width: 16, depth: 1}
            training: {steps: 200, batch_size: 32, checkpoint_every: 2, learning_rate: 1.0e+15, warmup_steps: 50, max_consecutive_non_finite: 15}
            """.utf8).write(to: URL(fileURLWithPath: folder + "/diverge.yaml"))
        let result = try CLI.run(["train", "--config", "diverge.yaml", "--run-dir", "run"], in: folder, timeout: 120)
        try Self.expectStoppedCleanly(result, folder: folder, limit: 15)
    }
}
