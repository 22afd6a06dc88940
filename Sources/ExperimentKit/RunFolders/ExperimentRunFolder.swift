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
    public static func create(for configuration: ExperimentConfiguration, under root: String = "runs", path: String? = nil,
                              date: Date = Date(), commandLine: [String] = CommandLine.arguments) throws -> ExperimentRunFolder {
        try configuration.validate()
        let files = FileManager.default
        var folder: String
        if let path {
            folder = path
            guard !files.fileExists(atPath: folder) else {
                throw ConfigurationError.invalidCombination("run folder \(folder) exists already; choose another path or resume it")
            }
        } else {
            let base = (root as NSString).appendingPathComponent(name(for: configuration, date: date))
            folder = base
            var suffix = 2
            while files.fileExists(atPath: folder) {
                folder = "\(base)-\(suffix)"
                suffix += 1
            }
        }
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let run = ExperimentRunFolder(path: folder)
        try Data(try configuration.yaml().utf8).write(to: URL(fileURLWithPath: run.configurationPath), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let provenance = RunProvenance.current(commandLine: commandLine, date: date)
        try encoder.encode(provenance).write(to: URL(fileURLWithPath: run.provenancePath), options: .atomic)
        return run
    }

    /// The run's resolved configuration, read back from `config.yaml`.
    public func configuration() throws -> ExperimentConfiguration {
        try ConfigurationDocument(contentsOfFile: configurationPath).resolve()
    }

    /// The run's provenance, read back from `provenance.json`.
    public func provenance() throws -> RunProvenance {
        try JSONDecoder().decode(RunProvenance.self, from: Data(contentsOf: URL(fileURLWithPath: provenancePath)))
    }
}
