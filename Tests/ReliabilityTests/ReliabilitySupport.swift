import Agents
import CLIProcess
import ExperimentKit
import Foundation

/// Helpers of the reliability suite: run-folder checks after a crash, bitwise state comparison,
/// mounts (tmpfs with a size limit, read-only binds) and resident memory of a child.
enum Reliability {
    /// A fresh folder for one test.
    static func folder(_ name: String) throws -> String { try CLI.temporaryFolder("reliability-" + name) }

    /// The settings of the tiny ict runs the crash and lock tests train.
    static func tinyTrain(steps: Int, runFolder: String, checkpointEvery: Int, seed: Int = 5) -> [String] {
        ["train", "--preset", "ict", "--steps", "\(steps)", "--checkpoint-every", "\(checkpointEvery)", "--seed", "\(seed)",
         "--run-dir", runFolder] + CLI.tiny
    }

    /// Every number of a checkpoint that training depends on, as bit patterns: parameters, target
    /// parameters, evaluation averages, optimizer state and step, random streams and curriculum.
    /// Equal fingerprints mean bit-identical training state (the creation time and provenance are left out).
    static func fingerprint(_ checkpoint: Checkpoint) -> [String: [UInt64]] {
        var result: [String: [UInt64]] = ["step": [UInt64(checkpoint.step)], "seed": [checkpoint.seed]]
        func add(_ prefix: String, _ arrays: [NamedArray]) {
            for array in arrays { result[prefix + array.name] = array.values.map { UInt64($0.bitPattern) } + array.shape.map { UInt64($0) } }
        }
        add("parameters/", checkpoint.parameters)
        add("target/", checkpoint.targetParameters ?? [])
        for average in checkpoint.averages {
            add("ema/\(average.rate)/", average.parameters)
            result["ema/\(average.rate)/count"] = [UInt64(average.updateCount)]
        }
        if let optimizer = checkpoint.optimizer {
            result["optimizer/step"] = [UInt64(optimizer.stepCount), UInt64(optimizer.learningRate.bitPattern)]
            for (slot, arrays) in optimizer.slots { add("optimizer/\(slot)/", arrays) }
        }
        for (name, stream) in checkpoint.randomStreams { result["random/" + name] = stream.state.map { UInt64($0) } }
        for (name, value) in checkpoint.curriculum { result["curriculum/" + name] = [value.bitPattern] }
        return result
    }

    /// Every metrics series of a run as bit patterns (NaN-safe), with the steps.
    static func metricsFingerprint(_ runFolder: String) throws -> [String: [UInt64]] {
        let stored = try MetricsStore.read(runFolder + "/" + MetricsStore.hdf5FileName)
        var result = ["step": stored.steps.map { UInt64(bitPattern: $0) }]
        for (name, values) in stored.series { result[name] = values.map(\.bitPattern) }
        return result
    }

    /// Checks a run folder's checkpoints after a crash: `latest` (if present) names a file that
    /// reads completely, and every file under a final name (`step-*.h5`) reads completely too.
    /// Returns the latest step (nil: no checkpoint yet) and the temporary files left behind.
    static func checkCheckpointsAfterCrash(_ runFolder: String) throws -> (latestStep: Int?, temporaryFiles: [String]) {
        let folder = CheckpointFolder(directory: runFolder + "/checkpoints")
        var latestStep: Int?
        if let latest = try folder.latestPath() {
            let checkpoint = try CheckpointFile.read(from: latest)
            latestStep = checkpoint.step
        }
        for step in folder.steps() {
            let checkpoint = try CheckpointFile.read(from: folder.path(step: step))
            guard checkpoint.step == step else { throw CLITestError("\(folder.path(step: step)) holds step \(checkpoint.step)") }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.directory)) ?? []
        return (latestStep, names.filter { $0.hasSuffix(".tmp") }.sorted())
    }

    /// The resident set size (VmRSS) of process `pid` in bytes, nil once it has exited.
    static func residentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// Runs a system tool (mount, umount) and returns its status and output.
    @discardableResult
    static func system(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// File-system mounts for the full-disk and read-only tests. They need root with CAP_SYS_ADMIN
/// (CI runs as root in a VM); ``available`` probes once by mounting a 1 MB tmpfs.
enum Mounts {
    static let mountTool = "/usr/bin/mount", unmountTool = "/usr/bin/umount"

    /// Whether this process can mount (checked by mounting and unmounting a probe tmpfs), and why not.
    static let probe: (available: Bool, reason: String) = {
        guard getuid() == 0 else { return (false, "not running as root (uid \(getuid()))") }
        guard FileManager.default.isExecutableFile(atPath: mountTool) else { return (false, "\(mountTool) is missing") }
        let point = NSTemporaryDirectory() + "reliability-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: point) }
        guard let result = try? Reliability.system(mountTool, ["-t", "tmpfs", "-o", "size=1m", "tmpfs", point]) else {
            return (false, "cannot run \(mountTool)")
        }
        guard result.status == 0 else { return (false, "mount -t tmpfs failed: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        _ = try? Reliability.system(unmountTool, [point])
        return (true, "")
    }()

    static var available: Bool {
        if !probe.available {
            FileHandle.standardError.write(Data("reliability: SKIPPING the full-disk and read-only mount tests: \(probe.reason)\n".utf8))
        }
        return probe.available
    }

    /// Mounts a tmpfs of `size` (e.g. "600k") at `point` (created).
    static func tmpfs(at point: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let result = try Reliability.system(mountTool, ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point])
        guard result.status == 0 else { throw CLITestError("mount tmpfs at \(point): \(result.output)") }
    }

    /// Bind-mounts `folder` over itself read-only.
    static func makeReadOnly(_ folder: String) throws {
        var result = try Reliability.system(mountTool, ["--bind", folder, folder])
        guard result.status == 0 else { throw CLITestError("mount --bind \(folder): \(result.output)") }
        result = try Reliability.system(mountTool, ["-o", "remount,bind,ro", folder])
        guard result.status == 0 else {
            unmount(folder)
            throw CLITestError("remount ro \(folder): \(result.output)")
        }
    }

    /// Unmounts `point` (lazily, so an open file never keeps the mount).
    static func unmount(_ point: String) {
        _ = try? Reliability.system(unmountTool, ["-l", point])
    }
}
