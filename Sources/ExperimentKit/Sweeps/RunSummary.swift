import Foundation

/// The small result one sweep run leaves in its folder as `summary.json`: its index and name in the
/// sweep, the values its axes took (`parameters`, key → YAML text) and its results (`values`,
/// name → number; NaN and ±∞ are written as "NaN", "Infinity", "-Infinity").
public struct RunSummary: Codable, Equatable, Sendable {
    public static let fileName = "summary.json"

    public var index: Int
    public var run: String
    public var parameters: [String: String]
    public var values: [String: Double]

    public init(index: Int, run: String, parameters: [String: String], values: [String: Double]) {
        self.index = index
        self.run = run
        self.parameters = parameters
        self.values = values
    }

    /// The summary of `run` with `values`.
    public init(run: SweepRun, values: [String: Double]) {
        self.init(index: run.index, run: run.name,
                  parameters: Self.parameters(run.overrides), values: values)
    }

    /// The `parameters` a summary records for a run with these axis values: key → YAML text.
    public static func parameters(_ overrides: [ConfigurationOverride]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: overrides.map { ($0.key, $0.value) })
    }

    /// Writes `summary.json` into `folder` (atomically, keys sorted).
    @discardableResult
    public func write(toFolder folder: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    /// Reads a `summary.json`.
    public static func read(_ path: String) throws -> RunSummary {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try decoder.decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigurationError.invalidSweep("cannot read run summary \(path): \(error)")
        }
    }
}
