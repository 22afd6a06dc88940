import Agents
import CLIProcess
import Foundation
import Testing

/// Item 2 of the reliability issue: training into a full file system (a tmpfs with a size limit)
/// and into read-only folders (read-only bind mounts; root ignores `chmod`). Each run must end with
/// one error line naming the path and the cause, the previous checkpoint intact (same bytes, still
/// `latest`, readable), no partial file under a final name and no temporary file left; once the
/// fault is gone, `resume` finishes the run. Needs root with CAP_SYS_ADMIN to mount; elsewhere the
/// tests are skipped with a message on standard error (``Mounts/available``).
@Suite("Reliability: full disk and read-only folders", .serialized, .enabled(if: Mounts.available, "mounting needs root with CAP_SYS_ADMIN"))
struct DiskFaultTests {
    /// A finished 6-step run in `folder/run` (checkpoints at 3 and 6); returns the bytes of its latest checkpoint.
    static func trainFirstPart(in folder: String) throws -> Data {
        let result = try CLI.run(Reliability.tinyTrain(steps: 6, runFolder: "run", checkpointEvery: 3), in: folder, timeout: 120)
        guard result.status == 0 else { throw CLITestError("the first part failed: \(result.standardError)") }
        return try Data(contentsOf: URL(fileURLWithPath: folder + "/run/checkpoints/step-00000006.h5"))
    }

    /// The folder after a failed run: `latest` is still step 6 with the same bytes; every file under a
    /// final name reads; no temporary file is left.
    static func expectPreviousCheckpointIntact(_ folder: String, bytes: Data, _ context: String) throws {
        let state = try Reliability.checkCheckpointsAfterCrash(folder + "/run")
        #expect(state.latestStep == 6, "\(context): latest is \(String(describing: state.latestStep))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/run/checkpoints/step-00000006.h5")) == bytes,
                "\(context): the previous checkpoint changed")
        #expect(state.temporaryFiles.isEmpty, "\(context): left \(state.temporaryFiles)")
    }

    /// One `error:` line, a non-zero exit, no signal; the line names `path` and `cause`.
    static func expectCleanError(_ result: CLIResult, naming path: String, cause: String, _ context: String) {
        #expect(result.status != 0 && !result.endedBySignal && !result.timedOut, "\(context): \(result.standardError)")
        #expect(result.errorLines.filter { $0.hasPrefix("error: ") }.count == 1, "\(context): \(result.standardError)")
        let line = result.errorLines.last ?? ""
        #expect(line.contains(path), "\(context): the error does not name \(path): \(line)")
        #expect(line.contains(cause), "\(context): the error does not name the cause '\(cause)': \(line)")
    }

    /// Fills the file system holding `folder` until at most `leave` bytes are free.
    static func fill(_ folder: String, leaving leave: Int) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/filler", isDirectory: false))
        defer { try? handle.close() }
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: folder)
        let free = (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
        var remaining = max(0, free - leave)
        let block = Data(count: 4096)
        while remaining >= 4096 {
            do { try handle.write(contentsOf: block) } catch { break }
            remaining -= 4096
        }
    }

    @Test("a full disk ends resume with one error naming the file and 'No space left on device'; the last checkpoint survives; freed, resume finishes",
          arguments: [0, 24_576])
    func fullDisk(leaving free: Int) throws {
        let mountPoint = try Reliability.folder("full-disk-\(free)")
        try Mounts.tmpfs(at: mountPoint, size: "4m")
        defer {
            Mounts.unmount(mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let bytes = try Self.trainFirstPart(in: mountPoint)
        _ = FileManager.default.createFile(atPath: mountPoint + "/filler", contents: nil)
        try Self.fill(mountPoint, leaving: free)

        let result = try CLI.run(["resume", "run", "--steps", "400"], in: mountPoint, timeout: 120)
        Self.expectCleanError(result, naming: "run/", cause: "No space left on device",
                              "full disk (\(free) bytes free)")
        try Self.expectPreviousCheckpointIntact(mountPoint, bytes: bytes, "full disk (\(free) bytes free)")

        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        let resumed = try CLI.run(["resume", "run", "--steps", "12"], in: mountPoint, timeout: 120)
        #expect(resumed.status == 0, "resume after freeing space failed: \(resumed.standardError)")
        #expect(try Reliability.checkCheckpointsAfterCrash(mountPoint + "/run").latestStep == 12)
    }

    @Test("a read-only run folder ends resume with one error naming the folder's lock file and 'Read-only file system'")
    func readOnlyRunFolder() throws {
        let folder = try Reliability.folder("read-only-run")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = try Self.trainFirstPart(in: folder)
        try Mounts.makeReadOnly(folder + "/run")
        defer { Mounts.unmount(folder + "/run") }
        let result = try CLI.run(["resume", "run", "--steps", "12"], in: folder, timeout: 120)
        Self.expectCleanError(result, naming: "run/.lock", cause: "Read-only file system", "read-only run folder")
        try Self.expectPreviousCheckpointIntact(folder, bytes: bytes, "read-only run folder")
        // A fresh run into a read-only parent folder.
        let fresh = try CLI.run(Reliability.tinyTrain(steps: 3, runFolder: "run/inner", checkpointEvery: 3), in: folder, timeout: 60)
        Self.expectCleanError(fresh, naming: "run/inner", cause: "Read-only file system", "fresh run in a read-only folder")
    }

    @Test("a read-only checkpoints folder ends resume with one error naming the checkpoint and 'Read-only file system'; unmounted, resume finishes")
    func readOnlyCheckpointFolder() throws {
        let folder = try Reliability.folder("read-only-checkpoints")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = try Self.trainFirstPart(in: folder)
        try Mounts.makeReadOnly(folder + "/run/checkpoints")
        var mounted = true
        defer { if mounted { Mounts.unmount(folder + "/run/checkpoints") } }
        let result = try CLI.run(["resume", "run", "--steps", "12"], in: folder, timeout: 120)
        Self.expectCleanError(result, naming: "checkpoints/step-00000009.h5", cause: "Read-only file system", "read-only checkpoints")
        try Self.expectPreviousCheckpointIntact(folder, bytes: bytes, "read-only checkpoints")
        Mounts.unmount(folder + "/run/checkpoints")
        mounted = false
        let resumed = try CLI.run(["resume", "run", "--steps", "12"], in: folder, timeout: 120)
        #expect(resumed.status == 0, "resume after the remount failed: \(resumed.standardError)")
        #expect(try Reliability.checkCheckpointsAfterCrash(folder + "/run").latestStep == 12)
    }
}
