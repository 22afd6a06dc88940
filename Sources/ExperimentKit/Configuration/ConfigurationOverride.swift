/// One `--set key=value` override: a dotted key (`training.learning_rate`, `network.width`,
/// `environment.modes`) and a value parsed as a YAML scalar (`3e-4` is a number, `16` an integer,
/// `true` a boolean, `null` none, `[1, 2]` a list, anything else text). Overrides apply to the parsed
/// tree before it is decoded, so a value of the wrong type or an unknown key is rejected exactly as in
/// a file, naming the override.
public struct ConfigurationOverride: Equatable, Sendable, CustomStringConvertible {
    /// The dotted key, e.g. `training.learning_rate`.
    public let key: String
    /// The value as written, e.g. `3e-4`.
    public let value: String

    /// An override of `key` (dotted, non-empty components) by `value` (YAML scalar text).
    public init(key: String, value: String) throws {
        let components = key.split(separator: ".", omittingEmptySubsequences: false)
        guard !key.isEmpty, components.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw ConfigurationError.malformedOverride("\(key)=\(value)")
        }
        self.key = key
        self.value = value
    }

    /// Parses `key=value` (the first `=` separates them; the value may contain more).
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else { throw ConfigurationError.malformedOverride(text) }
        try self.init(key: String(text[..<equals]).trimmingWhitespace(), value: String(text[text.index(after: equals)...]))
    }

    /// The dotted key's components.
    public var path: [String] { key.split(separator: ".").map(String.init) }

    /// `--set key=value`, as error messages name it.
    public var description: String { "--set \(key)=\(value)" }
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
