import Foundation

/// A sweep: a base configuration and axes `key: [values]`; the runs are the Cartesian product of the
/// axes, each run the base with one `--set key=value` per axis. A sweep file:
///
///     name: lr-width                   # names the runs ([A-Za-z0-9._-]+)
///     base: ring-ect.yaml              # a config file (relative to the sweep file), or
///     # config: {method: ect, …}       # an inline configuration
///     axes:
///       training.learning_rate: [1e-4, 3e-4]
///       network.width: [128, 256]
///
/// The axes are ordered by key (so the file's order does not matter) and the last axis varies
/// fastest: run k of a sweep with axis sizes n₁ … n_A takes value j_a = ⌊k / Π_{b>a} n_b⌋ mod n_a on
/// axis a. Every run is resolved (and so checked) when the sweep is expanded.
public struct SweepSpecification: Equatable, Sendable {
    /// One axis: a dotted key and the values (YAML scalar texts) it takes.
    public struct Axis: Equatable, Sendable {
        public let key: String
        public let values: [String]

        public init(key: String, values: [String]) throws {
            _ = try ConfigurationOverride(key: key, value: "")
            guard !values.isEmpty else { throw ConfigurationError.invalidSweep("axis \(key) has no values") }
            self.key = key
            self.values = values
        }
    }

    public let name: String
    public let base: ConfigurationDocument
    /// The axes, sorted by key.
    public let axes: [Axis]

    public init(name: String, base: ConfigurationDocument, axes: [Axis]) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw ConfigurationError.invalidSweep("name '\(name)' must be letters, digits, '.', '_' and '-'")
        }
        let sorted = axes.sorted { $0.key < $1.key }
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.key == second.key {
            throw ConfigurationError.invalidSweep("axis \(first.key) appears twice")
        }
        self.name = name
        self.base = base
        self.axes = sorted
    }

    /// Reads a sweep file (YAML or JSON, layout above).
    public init(contentsOfFile path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError.unreadableFile(path: path, reason: "no such file or not UTF-8 text")
        }
        let tree: [String: Any]
        do { tree = try ConfigurationTree.parse(text, isJSON: (path as NSString).pathExtension.lowercased() == "json") } catch {
            let reason = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")     // one line, as every ConfigurationError
            throw ConfigurationError.unreadableFile(path: path, reason: "not a valid sweep file: \(reason)")
        }
        for key in tree.keys where !["name", "base", "config", "axes"].contains(key) {
            throw ConfigurationError.unknownKey(key: key, suggestion: KeySuggestion.nearest(to: key, in: ["name", "base", "config", "axes"]),
                                                source: path)
        }
        guard let name = tree["name"] as? String else {
            throw ConfigurationError.invalidSweep("\(path): 'name' (a string) is required")
        }
        let base: ConfigurationDocument
        switch (tree["base"], tree["config"]) {
        case let (file as String, nil):
            let directory = (path as NSString).deletingLastPathComponent
            base = try ConfigurationDocument(contentsOfFile: file.hasPrefix("/") ? file : (directory as NSString).appendingPathComponent(file))
        case let (nil, inline as [String: Any]):
            base = try ConfigurationDocument(text: ConfigurationTree.json(inline), source: path, format: .json)
        default:
            throw ConfigurationError.invalidSweep("\(path): give either 'base' (a config file) or 'config' (a mapping)")
        }
        guard let axisTree = tree["axes"] as? [String: Any] else {
            throw ConfigurationError.invalidSweep("\(path): 'axes' must be a mapping of keys to lists of values")
        }
        let axes = try axisTree.map { key, value -> Axis in
            guard let list = value as? [Any] else {
                throw ConfigurationError.invalidSweep("axis \(key) must be a list of values, e.g. [1e-4, 3e-4]")
            }
            return try Axis(key: key, values: list.map(Self.text))
        }
        try self.init(name: name, base: base, axes: axes)
    }

    /// The YAML text of one axis value (strings as written, numbers with round-trip digits).
    static func text(_ value: Any) -> String {
        if let string = value as? String { return string }
        if value is [Any] || value is [String: Any] { return ConfigurationTree.json(value) }
        return ConfigurationTree.scalar(value, nonFinite: { $0.isNaN ? ".nan" : ($0 > 0 ? ".inf" : "-.inf") })
    }

    /// Π n_a, the number of runs.
    public var runCount: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// The runs in order (last axis fastest), each resolved and validated.
    public func runs() throws -> [SweepRun] {
        try (0..<runCount).map(run)
    }

    /// Run `index` (0 ≤ index < ``runCount``), resolved and validated.
    public func run(_ index: Int) throws -> SweepRun {
        let (name, overrides) = try runIdentity(index)
        return SweepRun(index: index, name: name, overrides: overrides, configuration: try base.applying(overrides).resolve())
    }

    /// Run `index`'s name and axis values, without resolving its configuration (which loads its
    /// environment): what its folder is called and what its summary records.
    public func runIdentity(_ index: Int) throws -> (name: String, overrides: [ConfigurationOverride]) {
        guard index >= 0, index < runCount else {
            throw ConfigurationError.invalidSweep("run \(index) does not exist: the sweep has runs 0…\(runCount - 1)")
        }
        var remainder = index
        var overrides: [ConfigurationOverride] = []
        for axis in axes.reversed() {
            overrides.insert(try ConfigurationOverride(key: axis.key, value: axis.values[remainder % axis.values.count]), at: 0)
            remainder /= axis.values.count
        }
        return (SweepRun.name(sweep: name, index: index, width: String(runCount - 1).count), overrides)
    }
}

/// One run of a sweep: its position, stable name, overrides and resolved configuration.
public struct SweepRun: Equatable, Sendable {
    public let index: Int
    /// `<sweep>-<index>`, the index zero-padded to the width of the last index (stable for a sweep).
    public let name: String
    public let overrides: [ConfigurationOverride]
    public let configuration: ExperimentConfiguration

    static func name(sweep: String, index: Int, width: Int) -> String {
        let digits = String(index)
        return sweep + "-" + String(repeating: "0", count: max(width - digits.count, 0)) + digits
    }
}
