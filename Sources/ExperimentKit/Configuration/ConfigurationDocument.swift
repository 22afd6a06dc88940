import Agents
import Environments
import Foundation

/// A configuration as written — a YAML or JSON file, or nothing at all — plus the `--set` overrides
/// to apply to it, before it is resolved into an ``ExperimentConfiguration``.
///
/// ``resolve()``:
/// 1. applies the overrides, in order, to the parsed tree (values parsed as YAML scalars);
/// 2. reads `method` (required) and the environment: a mapping with a `kind` replaces the default
///    environment (the ring of 8), one without is merged into it (`environment.modes=16` alone gives a
///    ring of 16);
/// 3. takes the method preset's defaults for that environment and `training.steps` (METHODS.md §6–§7,
///    ``ExperimentConfiguration/defaults(method:environment:steps:)``); where the tree picks another
///    case of a choice (another metric, pair schedule, TD target …) that case's own defaults come in
///    (documented at ``ExperimentConfiguration``);
/// 4. rejects every key that is not a setting of the result, suggesting the nearest valid key;
/// 5. decodes the merged tree into types — a value of the wrong type names its key, the value and
///    the expected type — and validates (``ExperimentConfiguration/validate()`` and the Agents layer's
///    checks).
///
/// Errors name their source: the file, or the `--set` override that introduced the key.
public struct ConfigurationDocument: Equatable, Sendable {
    /// A configuration file's syntax.
    public enum Format: String, Sendable {
        case yaml
        case json
    }

    /// Where the text came from (a file path, or a label such as "--preset"); named in errors.
    public let source: String
    /// The overrides ``resolve()`` applies, in order.
    public private(set) var overrides: [ConfigurationOverride] = []
    /// The parsed tree as JSON text (kept as text so that documents are `Sendable` values).
    let treeJSON: String
    /// The environment that replaces the tree's after every override (``replacingEnvironment(with:)``),
    /// as JSON; nil keeps the tree's.
    private var environmentJSON: String?

    /// A document with no settings: every value is a default, except `method`, which an override must give.
    public init(source: String = "defaults") {
        self.source = source
        treeJSON = "{}"
    }

    /// Parses `text` as YAML or JSON (`format` nil: JSON if the first non-blank character is `{`).
    public init(text: String, source: String, format: Format? = nil) throws {
        let isJSON = (format ?? (text.first(where: { !$0.isWhitespace }) == "{" ? .json : .yaml)) == .json
        let tree: [String: Any]
        do {
            tree = try ConfigurationTree.parse(text, isJSON: isJSON)
        } catch let ConfigurationError.unreadableFile(_, reason) {
            throw ConfigurationError.unreadableFile(path: source, reason: reason)
        } catch {
            let reason = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            throw ConfigurationError.unreadableFile(path: source, reason: "not valid \(isJSON ? "JSON" : "YAML"): \(reason)")
        }
        self.source = source
        treeJSON = ConfigurationTree.json(tree)
    }

    /// Reads a configuration file: JSON for `.json`, YAML for `.yaml`/`.yml`, otherwise by content.
    public init(contentsOfFile path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "not a UTF-8 text file" : "no such file"
            throw ConfigurationError.unreadableFile(path: path, reason: reason)
        }
        let suffix = (path as NSString).pathExtension.lowercased()
        let format: Format? = suffix == "json" ? .json : (suffix == "yaml" || suffix == "yml") ? .yaml : nil
        try self.init(text: text, source: path, format: format)
    }

    /// This document with `more` overrides applied after the existing ones.
    public func applying(_ more: [ConfigurationOverride]) -> ConfigurationDocument {
        var copy = self
        copy.overrides += more
        return copy
    }

    /// This document with its environment replaced by `spec` after every override (`train --config FILE
    /// --environment SPEC`). The replacement happens before the method's defaults are taken, so every
    /// default that depends on the environment (the evaluation metrics, the pseudo-Huber/Cauchy c of its
    /// dimension, σ_d, the experiment name) is the new environment's, as with `--set environment.…`.
    public func replacingEnvironment(with spec: DistributionSpec) throws -> ConfigurationDocument {
        var copy = self
        copy.environmentJSON = ConfigurationTree.json(try Self.tree(encoding: spec))
        return copy
    }

    /// This document with `key=value` texts (as given to `--set`) applied after the existing overrides.
    public func applying(settings texts: [String]) throws -> ConfigurationDocument {
        applying(try texts.map(ConfigurationOverride.init(parsing:)))
    }

    /// The resolved, validated configuration (see the type's documentation for the steps).
    public func resolve() throws -> ExperimentConfiguration {
        var tree = (try? ConfigurationTree.parse(treeJSON, isJSON: true)) ?? [:]
        for override in overrides {
            tree = ConfigurationTree.setting(ConfigurationTree.parseScalar(override.value), at: override.path, in: tree)
        }
        if let environmentJSON { tree["environment"] = try ConfigurationTree.parse(environmentJSON, isJSON: true) }
        let method = try readMethod(tree)
        let (environment, environmentTree) = try readEnvironment(tree)
        var steps = ExperimentConfiguration.defaultSteps
        let givenSteps = ConfigurationTree.value(at: ["training", "steps"], in: tree)
        if !(givenSteps is Bool), let given = givenSteps as? Int { steps = given }

        var defaults = try ExperimentConfiguration.defaults(method: method, environment: environment, steps: max(steps, 1))
        try ConfigurationCases.adopt(casesOf: tree, into: &defaults)
        let defaultTree = try Self.tree(of: defaults)
        try checkKeys(tree, against: defaultTree, environmentTree: environmentTree)

        var merged = ConfigurationTree.merging(tree, over: defaultTree)
        merged["environment"] = try Self.tree(encoding: environment)
        let configuration = try decode(merged)
        try configuration.validate()
        switch configuration.method {
        case .diffusion: _ = try configuration.diffusionPretrainingConfiguration()
        case .consistency: _ = try configuration.consistencyTrainingConfiguration()
        }
        return configuration
    }

    // MARK: Steps of resolve()

    private func readMethod(_ tree: [String: Any]) throws -> ExperimentMethod {
        guard let value = tree["method"] else {
            throw ConfigurationError.invalidValue(key: "method", value: "(missing)",
                                                  expected: "one of \(ExperimentMethod.names.joined(separator: ", "))")
        }
        guard let name = value as? String else {
            throw ConfigurationError.wrongType(key: "method", value: ConfigurationTree.display(value), expected: "a method name",
                                               source: source(of: "method"))
        }
        guard let method = ExperimentMethod(name: name) else {
            throw ConfigurationError.unknownName(key: "method", name: name, valid: ExperimentMethod.names)
        }
        return method
    }

    private func readEnvironment(_ tree: [String: Any]) throws -> (DistributionSpec, [String: Any]) {
        guard let value = tree["environment"] else {
            return (ExperimentConfiguration.defaultEnvironment, [:])
        }
        guard let given = value as? [String: Any] else {
            throw ConfigurationError.wrongType(key: "environment", value: ConfigurationTree.display(value),
                                               expected: "a mapping like {kind: ring, modes: 8, radius: 2, std: 0.1}",
                                               source: source(of: "environment"))
        }
        let base = given["kind"] == nil ? try Self.tree(encoding: ExperimentConfiguration.defaultEnvironment) : [:]
        let specTree = ConfigurationTree.merging(given, over: base)
        do {
            return (try DistributionSpec.decode(json: Data(ConfigurationTree.json(specTree).utf8)), given)
        } catch let DistributionSpecError.unknownField(_, field, fields) {
            let key = "environment." + field
            throw ConfigurationError.unknownKey(key: key, suggestion: KeySuggestion.nearest(to: key, in: fields.map { "environment." + $0 }),
                                                source: source(of: key))
        } catch {
            throw ConfigurationError.invalidCombination("environment (\(source(of: "environment"))): \(error)")
        }
    }

    /// Every key of `tree` must be a setting of the resolved configuration (`defaultTree`, or the
    /// environment's spec for `environment.*`).
    private func checkKeys(_ tree: [String: Any], against defaultTree: [String: Any], environmentTree: [String: Any]) throws {
        var valid = Set(ConfigurationTree.leafPaths(defaultTree).filter { !$0.hasPrefix("environment.") })
        if !environmentTree.isEmpty || tree["environment"] != nil {
            var specTree = environmentTree
            if let spec = try? readEnvironment(tree).0, let encoded = try? Self.tree(encoding: spec) { specTree = encoded }
            valid.formUnion(ConfigurationTree.leafPaths(specTree, prefix: "environment"))
        }
        let sections = Set(valid.flatMap { path -> [String] in
            let parts = path.split(separator: ".")
            return (1..<max(parts.count, 1)).map { parts.prefix($0).joined(separator: ".") }
        })
        let candidates = valid.sorted()
        for path in ConfigurationTree.leafPaths(tree) where !valid.contains(path) {
            if sections.contains(path) {
                let value = ConfigurationTree.value(at: path.split(separator: ".").map(String.init), in: tree)
                throw ConfigurationError.wrongType(key: path, value: ConfigurationTree.display(value), expected: "a mapping of settings",
                                                   source: source(of: path))
            }
            throw ConfigurationError.unknownKey(key: path, suggestion: KeySuggestion.nearest(to: path, in: candidates), source: source(of: path))
        }
    }

    private func decode(_ tree: [String: Any]) throws -> ExperimentConfiguration {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try decoder.decode(ExperimentConfiguration.self, from: Data(ConfigurationTree.json(tree).utf8))
        } catch let error as ConfigurationError {
            throw error
        } catch let DecodingError.typeMismatch(type, context) {
            throw wrongType(context.codingPath, type: type, in: tree)
        } catch let DecodingError.valueNotFound(type, context) {
            throw wrongType(context.codingPath, type: type, in: tree)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigurationError.invalidValue(key: path, value: "(missing)", expected: "a value")
        } catch let DecodingError.dataCorrupted(context) {
            let value = ConfigurationTree.value(at: context.codingPath.map(\.stringValue), in: tree)
            // A fraction, or an integer beyond Int (a UInt64 ≥ 2⁶³), where an Int is expected.
            throw wrongType(context.codingPath, type: value is Double || value is UInt64 ? Int.self : Any.self, in: tree)
        }
    }

    private func wrongType(_ codingPath: [CodingKey], type: Any.Type, in tree: [String: Any]) -> ConfigurationError {
        let components = codingPath.map(\.stringValue)
        let key = components.joined(separator: ".")
        let value = ConfigurationTree.value(at: components, in: tree)
        return .wrongType(key: key, value: ConfigurationTree.display(value), expected: Self.expectation(for: type), source: source(of: key))
    }

    private static func expectation(for type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int?.Type: return "an integer"
        case is UInt64.Type: return "a non-negative integer"
        case is Double.Type, is Double?.Type: return "a number"
        case is String.Type, is String?.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is [Int].Type: return "a list of integers, e.g. [1, 2]"
        case is [String].Type: return "a list of names"
        case is [Any].Type: return "a list"
        case is [String: Any].Type: return "a mapping of settings"
        default: return "a value of the right type"
        }
    }

    /// The `--set` override that wrote `path` (or a mapping around it), else the document's source.
    func source(of path: String) -> String {
        for override in overrides.reversed()
        where override.key == path || path.hasPrefix(override.key + ".") || override.key.hasPrefix(path + ".") {
            return override.description
        }
        return source
    }

    static func tree(of configuration: ExperimentConfiguration) throws -> [String: Any] {
        try tree(encoding: configuration)
    }

    static func tree(encoding value: some Encodable) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        return try ConfigurationTree.parse(text, isJSON: true)
    }
}
