import Foundation

extension ExperimentConfiguration {
    /// The order of the top-level keys in written files.
    static let keyOrder = ["experiment", "method", "seed", "environment", "network", "training", "consistency", "pairs",
                           "diffusion", "evaluation"]

    /// The resolved configuration as YAML — every setting explicit — as a run folder's `config.yaml`
    /// stores it. ``ConfigurationDocument`` reads it back to an equal configuration (numbers are
    /// written with their shortest round-trip digits).
    public func yaml() throws -> String {
        ConfigurationYAMLWriter.yaml(try ConfigurationDocument.tree(of: self), order: Self.keyOrder)
    }

    /// The resolved configuration as JSON with sorted keys.
    public func json() throws -> String {
        ConfigurationTree.json(try ConfigurationDocument.tree(of: self))
    }

    /// Loads a YAML or JSON file, applies `overrides` (`key=value` texts, as given to `--set`) and
    /// resolves it (``ConfigurationDocument/resolve()``).
    public static func load(contentsOfFile path: String, overrides: [String] = []) throws -> ExperimentConfiguration {
        try ConfigurationDocument(contentsOfFile: path).applying(settings: overrides).resolve()
    }

    /// Resolves YAML or JSON text with `overrides` (`key=value` texts).
    public static func load(text: String, source: String = "configuration", overrides: [String] = []) throws -> ExperimentConfiguration {
        try ConfigurationDocument(text: text, source: source).applying(settings: overrides).resolve()
    }
}
