import Foundation

/// A run folder as DESIGN.md §6 lays it out, `runs/<experiment>__<method>__seed<k>__<timestamp>/`,
/// with the resolved `config.yaml` and `provenance.json` (``RunProvenance``) written when it is made;
/// the ``Trainer`` adds `metrics.h5`, `metrics.csv` and `checkpoints/` (it keeps an existing
/// `provenance.json`). Files are written atomically (a temporary file renamed into place).
public struct ExperimentRunFolder: Equatable, Sendable {
    public static let configurationFileName = "config.yaml"
    public static let provenanceFileName = "provenance.json"

    /// The folder's path.
    public let path: String

    public var configurationPath: String { (path as NSString).appendingPathComponent(Self.configurationFileName) }
    public var provenancePath: String { (path as NSString).appendingPathComponent(Self.provenanceFileName) }

    /// Refers to an existing (or future) folder at `path`; nothing is touched.
    public init(path: String) { self.path = path }

    /// `<experiment>__<method>__seed<k>__<yyyyMMdd-HHmmss>` (UTC).
    public static func name(for configuration: ExperimentConfiguration, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(configuration.experiment)__\(configuration.method.name)__seed\(configuration.seed)__\(formatter.string(from: date))"
    }

    /// Makes a new run folder for `configuration` under `root` (named by ``name(for:date:)``; when
    /// that folder exists, `-2`, `-3`, … are appended — nothing is written into an existing run) or
    /// at exactly `path` (which must not exist), and writes `config.yaml` and `provenance.json`.
    /// The same as ``createLocked(for:under:path:date:commandLine:)`` with the lock released at once.
    public static func create(for configuration: ExperimentConfiguration, under root: String = "runs", path: String? = nil,
                              date: Date = Date(), commandLine: [String] = CommandLine.arguments) throws -> ExperimentRunFolder {
        let (folder, lock) = try createLocked(for: configuration, under: root, path: path, date: date, commandLine: commandLine)
        lock.release()
        return folder
    }

    /// Makes the run folder as ``create(for:under:path:date:commandLine:)`` does, in an order that lets
    /// no second process write into it: the folder is made with an exclusive `mkdir` (which fails when
    /// it exists, also when another process made it a moment ago — under `root` the next suffix is
    /// taken instead), then its ``RunFolderLock`` is taken, and only then are `config.yaml` and
    /// `provenance.json` written. Returns the folder with the lock held (release it when the run ends).
    public static func createLocked(for configuration: ExperimentConfiguration, under root: String = "runs", path: String? = nil,
                                    date: Date = Date(), commandLine: [String] = CommandLine.arguments)
        throws -> (folder: ExperimentRunFolder, lock: RunFolderLock) {
        try configuration.validate()
        let files = FileManager.default
        var folder: String
        if let path {
            folder = path
            guard !files.fileExists(atPath: folder) else {
                throw ConfigurationError.invalidCombination("run folder \(folder) exists already; choose another path or resume it")
            }
            RunFolderFaultInjection.stopIfRequested(.checked)
            try makeParent(of: folder)
            guard try makeExclusively(folder) else {
                throw ConfigurationError.invalidCombination("run folder \(folder) exists already (another process created it just now); choose another path or resume it")
            }
        } else {
            let base = (root as NSString).appendingPathComponent(name(for: configuration, date: date))
            try makeParent(of: base)
            folder = base
            var suffix = 2
            while try !makeExclusively(folder) {
                folder = "\(base)-\(suffix)"
                suffix += 1
            }
        }
        let lock = try RunFolderLock.acquire(runFolder: folder)
        do {
            let run = ExperimentRunFolder(path: folder)
            try Data(try configuration.yaml().utf8).write(to: URL(fileURLWithPath: run.configurationPath), options: .atomic)
            try run.writeProvenance(commandLine: commandLine, date: date)
            return (run, lock)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Creates the folders above `folder` (they may exist).
    private static func makeParent(of folder: String) throws {
        let parent = (folder as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    }

    /// `mkdir(folder)`: true when this call made it, false when it exists; throws on other failures.
    private static func makeExclusively(_ folder: String) throws -> Bool {
        if mkdir(folder, 0o755) == 0 { return true }
        let code = errno
        if code == EEXIST { return false }
        throw CocoaError(.fileWriteUnknown, userInfo: [
            NSFilePathErrorKey: folder,
            NSLocalizedDescriptionKey: "cannot create run folder \(folder): \(String(cString: strerror(code)))",
        ])
    }

    /// The run's resolved configuration, read back from `config.yaml`.
    public func configuration() throws -> ExperimentConfiguration {
        try ConfigurationDocument(contentsOfFile: configurationPath).resolve()
    }

    /// Writes `provenance.json` (``RunProvenance/current(commandLine:date:)``, pretty-printed, sorted keys)
    /// atomically, replacing an earlier one: the record of the process that starts the run's training.
    public func writeProvenance(commandLine: [String] = CommandLine.arguments, date: Date = Date()) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let provenance = RunProvenance.current(commandLine: commandLine, date: date)
        try encoder.encode(provenance).write(to: URL(fileURLWithPath: provenancePath), options: .atomic)
    }

    /// The run's provenance, read back from `provenance.json`.
    public func provenance() throws -> RunProvenance {
        try JSONDecoder().decode(RunProvenance.self, from: Data(contentsOf: URL(fileURLWithPath: provenancePath)))
    }
}
