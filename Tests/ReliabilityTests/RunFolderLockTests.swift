import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// Item 5 of the reliability issue: one process per run folder (``RunFolderLock``), a lock that a
/// killed owner never leaves stale, and sweep shards run as concurrent processes merging to the
/// serial sweep's table.
@Suite("Reliability: run-folder lock and concurrent processes")
struct RunFolderLockTests {
    @Test("a second process pointed at a training run folder refuses with one line naming the owner; after kill -9 resume succeeds")
    func secondProcessRefusedAndKilledOwnerLeavesNoStaleLock() throws {
        let base = try Reliability.folder("lock")
        let owner = try CLIChild(Reliability.tinyTrain(steps: 100_000, runFolder: "run", checkpointEvery: 50), in: base)
        defer { owner.send(SIGKILL) }
        #expect(owner.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: base + "/run/checkpoints/latest") })

        for arguments in [["resume", "run"], Reliability.tinyTrain(steps: 10, runFolder: "run", checkpointEvery: 5)] {
            let second = try CLI.run(arguments, in: base, timeout: 60)
            #expect(second.status != 0 && !second.endedBySignal, "\(arguments): \(second.standardError)")
            #expect(second.errorLines.count == 1, "\(arguments): \(second.standardError)")
            if arguments[0] == "resume" {
                #expect(second.standardError.contains("in use by process \(owner.processIdentifier)"), "\(second.standardError)")
                #expect(second.standardError.contains("run/.lock"), "\(second.standardError)")
            }
        }
        #expect(owner.isRunning, "the owner was disturbed by the refused processes")
        let owned = RunFolderLock.currentOwner(ofRunFolder: base + "/run")
        #expect(owned?.process == owner.processIdentifier)

        owner.send(SIGKILL)
        _ = try owner.wait(timeout: 30)
        #expect(FileManager.default.fileExists(atPath: RunFolderLock.path(ofRunFolder: base + "/run")))   // the file stays …
        #expect(RunFolderLock.currentOwner(ofRunFolder: base + "/run") == nil)                              // … but is not locked
        let latest = try #require(try CheckpointFolderStep.latest(base + "/run"))
        let resumed = try CLI.run(["resume", "run", "--steps", "\(latest + 10)"], in: base, timeout: 120)
        #expect(resumed.status == 0, "resume after kill -9 failed: \(resumed.standardError)")
        try? FileManager.default.removeItem(atPath: base)
    }

    @Test("in-process: the lock is exclusive across processes' descriptors, reentrant within one process, released when the last handle is")
    func lockIsReentrantInProcessAndReleased() throws {
        let base = try Reliability.folder("lock-api")
        let first = try RunFolderLock.acquire(runFolder: base)
        let again = try RunFolderLock.acquire(runFolder: base)
        let text = try String(contentsOfFile: RunFolderLock.path(ofRunFolder: base), encoding: .utf8)
        #expect(text.hasPrefix("\(getpid()) "))
        first.release()
        // Still held by `again`: a separate descriptor (what another process would use) cannot lock it.
        let probe = open(RunFolderLock.path(ofRunFolder: base), O_RDONLY)
        defer { close(probe) }
        #expect(flock(probe, LOCK_EX | LOCK_NB) != 0)
        again.release()
        #expect(flock(probe, LOCK_EX | LOCK_NB) == 0)
        flock(probe, LOCK_UN)
        // A missing folder is an error naming the lock file.
        #expect {
            _ = try RunFolderLock.acquire(runFolder: base + "/missing")
        } throws: { error in
            "\(error)".contains(base + "/missing/.lock")
        }
    }

    @Test("sweep shards run as 2 concurrent processes merge to exactly the serial sweep's table")
    func concurrentShardsMergeToSerialTable() throws {
        let base = try Reliability.folder("parallel-sweep")
        try Data("""
            name: tiny
            config: {method: ict, network: {width: 8, depth: 1}, training: {steps: 6, batch_size: 16, checkpoint_every: 3}}
            axes:
              seed: [0, 1, 2]
              training.learning_rate: [0.001, 0.002]
            """.utf8).write(to: URL(fileURLWithPath: base + "/sweep.yaml"))
        let serial = try CLI.run(["sweep", "--config", "sweep.yaml", "--shard", "0/1", "--out", "serial"], in: base, timeout: 120)
        #expect(serial.status == 0, "\(serial.standardError)")
        let shards = try ["0/2", "1/2"].map { try CLIChild(["sweep", "--config", "sweep.yaml", "--shard", $0, "--out", "parallel"], in: base) }
        defer { for shard in shards { shard.send(SIGKILL) } }
        for shard in shards {
            let result = try shard.wait(timeout: 120)
            #expect(result.status == 0 && !result.timedOut, "\(result.standardError)")
        }
        for name in ["serial", "parallel"] {
            let merged = try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", name], in: base, timeout: 60)
            #expect(merged.status == 0 && merged.standardError.isEmpty, "\(merged.standardError)")
        }
        let serialCSV = try String(contentsOfFile: base + "/serial/sweep.csv", encoding: .utf8)
        let parallelCSV = try String(contentsOfFile: base + "/parallel/sweep.csv", encoding: .utf8)
        #expect(serialCSV == parallelCSV)
        #expect(serialCSV.split(separator: "\n").count == 7, "\(serialCSV)")
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// The latest checkpoint step of a run folder.
enum CheckpointFolderStep {
    static func latest(_ runFolder: String) throws -> Int? {
        try Reliability.checkCheckpointsAfterCrash(runFolder).latestStep
    }
}
