import ConsistencyTD
import Foundation

/// What a failed sweep run leaves so the rest of its shard can go on: `<run>/failure.txt` with the
/// error, and what the next pass does with an attempt that stopped before training started.
///
/// A run that fails (it diverged past `training.max_consecutive_non_finite`, its pretrained model is
/// unreadable, the disk filled up, …) used to end the whole `sweep` command, so every later run of
/// the shard waited on it; rerunning the command failed on the same run again. Now the sweep records
/// the error, goes on with the next run, and exits non-zero at the end naming the failed runs; the
/// next pass retries them (resuming from their checkpoint when they have one) and a success removes
/// the note. `sweep --merge` names failed runs among the missing ones.
enum SweepRunFailure {
    static let fileName = "failure.txt"

    static func path(inRunFolder folder: String) -> String {
        (folder as NSString).appendingPathComponent(fileName)
    }

    /// Writes `<folder>/failure.txt` (creating the folder when the run failed before making it) and
    /// returns its path; nil when even that fails (the error is still reported on the terminal).
    @discardableResult
    static func record(_ error: any Error, runFolder folder: String, date: Date = Date()) -> String? {
        let path = path(inRunFolder: folder)
        let text = "\(error)\n\nrecorded \(ISO8601DateFormatter().string(from: date)); the next `consistency-td sweep` pass over this "
            + "run retries it (from its latest checkpoint when it has one) and removes this file when it succeeds\n"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return path
        } catch {
            return nil
        }
    }

    /// The recorded error's first line, nil when the run has no failure note.
    static func recordedError(runFolder folder: String) -> String? {
        guard let text = try? String(contentsOfFile: path(inRunFolder: folder), encoding: .utf8) else { return nil }
        return text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    }

    static func clear(runFolder folder: String) {
        try? FileManager.default.removeItem(atPath: path(inRunFolder: folder))
    }

    /// Removes a run folder that an earlier attempt left before training started (it holds nothing but
    /// ``ConfiguredTraining/filesBeforeTraining``: it failed, or was stopped, between making the folder and writing
    /// `run.json`), so the run can start afresh; `train --config` refuses an existing folder. Throws,
    /// touching nothing, when the folder holds anything else or another process holds its lock.
    static func removeUnstartedAttempt(runFolder folder: String) throws {
        let files = FileManager.default
        func checkedContents() throws -> [String] {
            let names = try files.contentsOfDirectory(atPath: folder)
            let unexpected = names.filter { !ConfiguredTraining.filesBeforeTraining.contains($0) }.sorted()
            guard unexpected.isEmpty else {
                throw CommandLineFailure("sweep run folder '\(folder)' has no \(TrainingRecipe.fileName) but holds "
                                         + unexpected.joined(separator: ", ") + "; it is not an attempt this sweep can restart: move it away and run the sweep again")
            }
            return names
        }
        _ = try checkedContents()
        let lock = try RunFolderLock.acquire(runFolder: folder)      // refused while another process works here
        defer { lock.release() }
        // Listed again under the lock: what another pass may have written meanwhile is never removed.
        for name in try checkedContents() where name != RunFolderLock.fileName {
            try files.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
        try files.removeItem(atPath: (folder as NSString).appendingPathComponent(RunFolderLock.fileName))
        lock.release()
        // rmdir, not a recursive remove: it fails rather than delete anything that appeared since.
        guard rmdir(folder) == 0 else {
            throw CommandLineFailure("could not remove the unstarted sweep run folder '\(folder)': \(String(cString: strerror(errno))); move it away and run the sweep again")
        }
    }
}
