import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// `train --config` takes the run folder's lock before it writes `config.yaml`: a second train on the
/// same folder that raced past the "folder does not exist" check (held there by fault injection
/// until the first run is training) fails with one line and leaves the first run's config.yaml
/// byte-identical.
@Suite("Reliability: a concurrent train --config never overwrites a running run's config.yaml")
struct RunFolderConfigRaceTests {
    static func config(seed: Int) -> String {
        """
        method: ict
        seed: \(seed)
        network: {width: 16, depth: 1}
        training: {steps: 100000, batch_size: 32, checkpoint_every: 50, learning_rate: 0.001}
        """
    }

    @Test("the second process, stopped after its existence check until the first trains, fails clearly and changes nothing")
    func racingSecondTrainLeavesTheFirstConfigIntact() throws {
        let base = try Reliability.folder("config-race")
        try Data(Self.config(seed: 1).utf8).write(to: URL(fileURLWithPath: base + "/first.yaml"))
        try Data(Self.config(seed: 2).utf8).write(to: URL(fileURLWithPath: base + "/second.yaml"))

        // The second run checks that "run" does not exist, then stops (SIGSTOP) before making it.
        let second = try CLIChild(["train", "--config", "second.yaml", "--run-dir", "run"], in: base,
                                  environment: ["CONSISTENCY_TD_FAULT_STOP": "run-folder-checked"])
        defer { second.send(SIGKILL) }
        let stopped = second.waitUntil(timeout: 60) { second.standardErrorSoFar().contains("fault-injection: stopped in run-folder-checked") }
        try #require(stopped, "the second run never reached the injected stop: \(second.standardErrorSoFar())")

        // The first run makes the folder, locks it, writes its config.yaml and trains.
        let first = try CLIChild(["train", "--config", "first.yaml", "--run-dir", "run"], in: base)
        defer { first.send(SIGKILL) }
        let training = first.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: base + "/run/checkpoints/latest") }
        try #require(training, "the first run did not start training: \(first.standardErrorSoFar())")
        let configuration = try Data(contentsOf: URL(fileURLWithPath: base + "/run/config.yaml"))
        #expect(String(decoding: configuration, as: UTF8.self).contains("seed: 1"))
        let provenance = try Data(contentsOf: URL(fileURLWithPath: base + "/run/provenance.json"))

        // The second run goes on from its stop: it must fail without touching the folder.
        second.send(SIGCONT)
        let result = try second.wait(timeout: 60)
        #expect(result.status != 0 && !result.endedBySignal, "the second run: \(result.status) \(result.standardError)")
        let errors = result.errorLines.filter { !$0.hasPrefix("fault-injection:") }
        #expect(errors.count == 1 && errors.first?.contains("run") == true && errors.first?.contains("exists already") == true,
                "\(result.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/run/config.yaml")) == configuration,
                "the second run overwrote the first run's config.yaml")
        #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/run/provenance.json")) == provenance)
        #expect(first.isRunning, "the first run was disturbed")
        #expect(RunFolderLock.currentOwner(ofRunFolder: base + "/run")?.process == first.processIdentifier)
        first.send(SIGKILL)
        _ = try first.wait(timeout: 30)
        try? FileManager.default.removeItem(atPath: base)
    }
}
