import Foundation

/// Folders the tests write into, under the system's temporary directory, removed when the test
/// process exits.
///
/// A whole test run used to leave about 85 MB in 120 folders behind (run folders, trajectory
/// datasets, checkpoints). Every folder made here, and every path given to ``removeAtExit(_:)``, is
/// removed by an `atexit` handler when the process ends normally — after every test, failed or not,
/// so a test may hand a folder to another test's child process or read it back late. Set
/// `CONSISTENCY_TD_KEEP_TEST_FOLDERS=1` to keep them for inspection; the handler then prints how many
/// it kept and where. A process that is killed keeps its folders (nothing can run then).
///
/// Child processes started from the test binary (Swift Testing's exit tests, `posix_spawn`) start with
/// an empty list: a process only ever removes what it made itself.
public enum TemporaryFolders {
    /// The environment variable that keeps the folders.
    public static let keepVariable = "CONSISTENCY_TD_KEEP_TEST_FOLDERS"

    /// A fresh, empty folder `<temporary directory>/<name>`: anything at that path is removed first.
    /// Removed when the process exits.
    public static func fresh(named name: String) throws -> String {
        let path = NSTemporaryDirectory() + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        removeAtExit(path)
        return path
    }

    /// A fresh, empty folder named `<prefix>-<UUID>` (unique for every call). Removed at exit.
    public static func unique(prefix: String) throws -> String {
        try fresh(named: "\(prefix)-\(UUID().uuidString)")
    }

    /// Registers `path` (a folder or a file) for removal when the process exits. Registering a path
    /// twice removes it once.
    public static func removeAtExit(_ path: String) {
        Registry.shared.add(path)
    }

    /// The paths registered so far, in order (for tests of this helper).
    public static var registeredPaths: [String] { Registry.shared.paths }

    /// Removes every registered path, unless the keep variable is set; returns the paths it kept or
    /// could not remove. Only the exit handler calls it: during the run, it would remove folders that
    /// tests running in parallel still use.
    private static func removeRegistered() -> [String] {
        let paths = Registry.shared.takeAll()
        if keepsFolders { return paths }
        return paths.filter { path in
            guard FileManager.default.fileExists(atPath: path) else { return false }
            makeWritable(path)
            return (try? FileManager.default.removeItem(atPath: path)) == nil
        }
    }

    /// Whether ``keepVariable`` is set to 1, true or yes.
    public static var keepsFolders: Bool {
        ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment[keepVariable] ?? "")
    }

    /// Gives the owner write and search permission on `path` and every folder below it, so a test
    /// that made a folder read-only (the reliability tests do) does not stop its removal.
    private static func makeWritable(_ path: String) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return }
        _ = chmod(path, 0o700)
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return }
        for case let relative as String in enumerator {
            let child = path + "/" + relative
            var childIsFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: child, isDirectory: &childIsFolder), childIsFolder.boolValue {
                _ = chmod(child, 0o700)
            }
        }
    }

    /// The process-wide list, and the exit handler installed with the first registration.
    private final class Registry: @unchecked Sendable {
        static let shared = Registry()
        private let lock = NSLock()
        private var list: [String] = []
        private var known: Set<String> = []
        private var handlerInstalled = false

        var paths: [String] { lock.withLock { list } }

        func add(_ path: String) {
            let install: Bool = lock.withLock {
                if known.insert(path).inserted { list.append(path) }
                defer { handlerInstalled = true }
                return !handlerInstalled
            }
            if install { atexit { TemporaryFolders.exitHandler() } }
        }

        func takeAll() -> [String] {
            lock.withLock {
                defer { list = []; known = [] }
                return list
            }
        }
    }

    private static func exitHandler() {
        let count = Registry.shared.paths.count
        let left = removeRegistered()
        guard !left.isEmpty else { return }
        let what = keepsFolders ? "kept \(count) (\(keepVariable) is set)" : "could not remove \(left.count) of \(count)"
        let message = "test folders: \(what), e.g. \(left[0])\n"
        FileHandle.standardError.write(Data(message.utf8))
    }
}
