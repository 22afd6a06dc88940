import Foundation

/// A run's `checkpoints/` folder: `step-<8 digits>.h5` files, the last ``keep`` of them kept, and a
/// `latest` pointer (a one-line text file naming the newest complete checkpoint).
///
/// A save writes the checkpoint atomically (``CheckpointFile/write(_:to:)``), then replaces `latest`
/// atomically (temporary file, fsync, rename, directory fsync), and only then prunes: of the
/// checkpoints up to the saved step it keeps the last ``keep`` (the saved one among them), and it
/// deletes checkpoints of later steps. Those are stale: a run resumed from an earlier `latest` (after a
/// crash between a checkpoint's rename and the pointer's update, or a stop) writes its own history
/// from there, and a deterministic resume reproduces them anyway. So `latest` never names a partial
/// or a pruned file, and a crash at any point leaves a loadable latest checkpoint.
public struct CheckpointFolder: Sendable {
    public let directory: String
    /// How many checkpoints to keep (the newest ones); at least 1.
    public let keep: Int

    public init(directory: String, keep: Int = 3) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    /// `step-00001234.h5` for step 1234.
    public static func fileName(step: Int) -> String { "step-" + String(format: "%08d", step) + ".h5" }

    /// The path of the checkpoint of `step`.
    public func path(step: Int) -> String { (directory as NSString).appendingPathComponent(Self.fileName(step: step)) }

    /// The path of the `latest` pointer.
    public var latestPointerPath: String { (directory as NSString).appendingPathComponent("latest") }

    /// Writes `checkpoint`, points `latest` at it and prunes old checkpoints. Returns the path written.
    @discardableResult
    public func save(_ checkpoint: Checkpoint) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.writeFailed(path: directory, reason: "cannot create the checkpoint folder: \(error.localizedDescription)")
        }
        let target = path(step: checkpoint.step)
        try CheckpointFile.write(checkpoint, to: target)
        CheckpointFaultInjection.pauseIfRequested(.latestPointer, step: checkpoint.step)
        try writeLatestPointer(Self.fileName(step: checkpoint.step))
        for step in Self.stepsToPrune(steps(), saved: checkpoint.step, keep: keep) {
            try? FileManager.default.removeItem(atPath: path(step: step))
        }
        return target
    }

    /// The checkpoints a save of step `saved` removes from a folder holding `steps` (ascending): those
    /// after `saved` (stale) and those before the last `keep` up to and including `saved`.
    static func stepsToPrune(_ steps: [Int], saved: Int, keep: Int) -> [Int] {
        let upToSaved = steps.filter { $0 <= saved }
        return Array(upToSaved.dropLast(keep)) + steps.filter { $0 > saved }
    }

    /// Steps of the complete checkpoints in the folder, oldest first (temporary files are ignored).
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5"), name.count == "step-00000000.h5".count else { return nil }
            return Int(name.dropFirst(5).dropLast(3))
        }.sorted()
    }

    /// The path `latest` points to, or nil when there is no pointer yet. Throws when the pointer names
    /// a file that does not exist.
    public func latestPath() throws -> String? {
        guard let text = try? String(contentsOfFile: latestPointerPath, encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let target = (directory as NSString).appendingPathComponent(name)
        guard !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: target) else {
            throw CheckpointError.malformed(path: latestPointerPath, object: "the latest pointer",
                                            problem: "names '\(name)', which is not a checkpoint in \(directory)")
        }
        return target
    }

    /// Reads the checkpoint `latest` points to (nil when the folder has none yet).
    public func loadLatest() throws -> Checkpoint? {
        guard let path = try latestPath() else { return nil }
        return try CheckpointFile.read(from: path)
    }

    private func writeLatestPointer(_ name: String) throws {
        let temporary = latestPointerPath + ".tmp"
        do {
            try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            try CheckpointFile.synchronizeFile(atPath: temporary)
            guard rename(temporary, latestPointerPath) == 0 else {
                throw CheckpointError.writeFailed(path: latestPointerPath, reason: "rename: \(CheckpointFile.systemError())")
            }
            try CheckpointFile.synchronizeDirectory(of: latestPointerPath)
        } catch let error as CheckpointError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CheckpointError.writeFailed(path: latestPointerPath, reason: error.localizedDescription)
        }
    }
}
