import Agents
import CLIProcess
import Foundation
import Testing
import Tensors

/// Item 1 of the reliability issue: `kill -9` a training process again and again — at seeded random
/// moments and at three fault-injected points inside checkpoint writes — and `consistency-td resume`
/// it each time. After every kill `latest` names a complete checkpoint and every file under a final
/// name is complete; the finished run is bit-identical (parameters, optimizer, random streams,
/// curriculum, every metrics series) to an uninterrupted run.
@Suite("Reliability: kill -9 and resume")
struct CrashResumeTests {
    static let steps = 600
    static let checkpointEvery = 3

    @Test("13 kills (10 at random moments, 3 inside checkpoint writes) and resumes end bit-identical to an uninterrupted run")
    func killedAndResumedRunIsBitIdentical() throws {
        let base = try Reliability.folder("crash")
        let reference = try CLI.run(Reliability.tinyTrain(steps: Self.steps, runFolder: "reference", checkpointEvery: Self.checkpointEvery),
                                    in: base, timeout: 120)
        try #require(reference.status == 0, "the uninterrupted run failed: \(reference.standardError)")

        var stream = RandomStream(seed: 10, purpose: "reliability-kill-moments")
        var kills = 0, killsLeavingTemporaryFiles = 0
        var started = false
        var killLog: [String] = []

        /// Starts (or resumes) the crashed run with the extra environment.
        func launch(_ environment: [String: String] = [:]) throws -> CLIChild {
            defer { started = true }
            let arguments = started ? ["resume", "crashed"]
                : Reliability.tinyTrain(steps: Self.steps, runFolder: "crashed", checkpointEvery: Self.checkpointEvery)
            return try CLIChild(arguments, in: base, environment: environment)
        }

        /// Kills `child`, then checks the folder; returns false when the child had already finished.
        func killAndCheck(_ child: CLIChild, moment: String) throws -> Bool {
            child.send(SIGKILL)
            let result = try child.wait(timeout: 30)
            if !result.endedBySignal {
                #expect(result.status == 0, "\(moment): the run failed instead of being killed: \(result.standardError)")
                return false
            }
            kills += 1
            let state = try Reliability.checkCheckpointsAfterCrash(base + "/crashed")
            if !state.temporaryFiles.isEmpty { killsLeavingTemporaryFiles += 1 }
            killLog.append("\(moment): latest \(state.latestStep.map(String.init) ?? "none"), left \(state.temporaryFiles)")
            return true
        }

        // Ten kills at random moments: once the run has its first checkpoint, after 0–250 ms.
        var finishedEarly = false
        for moment in 0..<10 where !finishedEarly {
            let child = try launch()
            defer { child.send(SIGKILL) }
            let latest = base + "/crashed/checkpoints/latest"
            #expect(child.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: latest) }, "moment \(moment): no checkpoint")
            usleep(UInt32(stream.nextWord() % 250_000))
            finishedEarly = try !killAndCheck(child, moment: "random moment \(moment)")
        }
        #expect(!finishedEarly, "the run finished before ten random kills; lengthen it")

        // Three kills inside checkpoint writes, at the next checkpoints after the current latest.
        for phase in ["checkpoint-partial", "checkpoint-rename", "latest-pointer"] {
            let latestStep = try #require(try Reliability.checkCheckpointsAfterCrash(base + "/crashed").latestStep)
            let target = latestStep + 2 * Self.checkpointEvery
            let child = try launch(["CONSISTENCY_TD_FAULT_PAUSE": "\(phase):\(target)"])
            defer { child.send(SIGKILL) }
            let paused = child.waitUntil(timeout: 60) { child.standardErrorSoFar().contains("fault-injection: paused in \(phase)") }
            try #require(paused, "\(phase): the run never reached the injected pause: \(child.standardErrorSoFar())")
            let name = CheckpointFolder.fileName(step: target)
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: base + "/crashed/checkpoints")) ?? [])
            switch phase {
            case "latest-pointer": #expect(files.contains(name) && !files.contains(name + ".tmp"), "\(phase): \(files)")
            default: #expect(files.contains(name + ".tmp") && !files.contains(name), "\(phase): \(files)")
            }
            #expect(try killAndCheck(child, moment: phase))
            // `latest` still names the checkpoint before the one being written.
            let after = try Reliability.checkCheckpointsAfterCrash(base + "/crashed")
            #expect(after.latestStep == target - Self.checkpointEvery, "\(phase): latest is \(String(describing: after.latestStep))")
        }

        // The last resume runs to the end.
        let final = try CLI.run(["resume", "crashed"], in: base, timeout: 120)
        #expect(final.status == 0, "the final resume failed: \(final.standardError)")
        FileHandle.standardError.write(Data(("reliability: \(kills) kills, \(killsLeavingTemporaryFiles) left a temporary file (killed inside a write)\n  "
            + killLog.joined(separator: "\n  ") + "\n").utf8))
        #expect(kills >= 13)
        #expect(killsLeavingTemporaryFiles >= 2)

        let expected = try CheckpointFile.read(from: base + "/reference/checkpoints/" + CheckpointFolder.fileName(step: Self.steps))
        let resumed = try CheckpointFile.read(from: base + "/crashed/checkpoints/" + CheckpointFolder.fileName(step: Self.steps))
        #expect(Reliability.fingerprint(resumed) == Reliability.fingerprint(expected), "final training state differs")
        #expect(try Reliability.metricsFingerprint(base + "/crashed") == Reliability.metricsFingerprint(base + "/reference"),
                "metrics differ from the uninterrupted run")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: base + "/crashed/checkpoints").filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files outlived the finished run: \(leftovers)")
        try? FileManager.default.removeItem(atPath: base)
    }
}
