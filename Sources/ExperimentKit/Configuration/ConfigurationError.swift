/// Why an experiment configuration, a `--set` override or a sweep was rejected (DESIGN.md §7). Every
/// case prints as one line that names the key, the value given and what would be right.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration file that cannot be read or parsed (`reason` says why).
    case unreadableFile(path: String, reason: String)
    /// A `--set` argument that is not of the form `key=value` with a dotted key.
    case malformedOverride(String)
    /// A key that is not a setting; `suggestion` is the nearest valid key by edit distance.
    case unknownKey(key: String, suggestion: String?, source: String)
    /// A value of the wrong type for its key.
    case wrongType(key: String, value: String, expected: String, source: String)
    /// A name that is not one of the valid ones (method, estimator, metric, schedule …).
    case unknownName(key: String, name: String, valid: [String])
    /// A value out of range: negative sizes, NaN or ∞, zero steps, impossible schedules.
    case invalidValue(key: String, value: String, expected: String)
    /// Settings that are valid alone but not together, or a rejection from the Agents or Environments
    /// layer (its own one-line message).
    case invalidCombination(String)
    /// A sweep or shard description that cannot be used.
    case invalidSweep(String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read configuration \(path): \(reason)"
        case let .malformedOverride(text):
            return "invalid override '\(text)': expected key=value with a dotted key, e.g. training.learning_rate=3e-4"
        case let .unknownKey(key, suggestion, source):
            let hint = suggestion.map { "; did you mean \($0)?" } ?? ""
            return "unknown key \(key) in \(source)\(hint)"
        case let .wrongType(key, value, expected, source):
            return "\(key) = \(value) (in \(source)) has the wrong type: expected \(expected)"
        case let .unknownName(key, name, valid):
            return "\(key): unknown name '\(name)'; valid: \(valid.joined(separator: ", "))"
        case let .invalidValue(key, value, expected):
            return "\(key) = \(value) is invalid: expected \(expected)"
        case let .invalidCombination(message):
            return "invalid configuration: \(message)"
        case let .invalidSweep(message):
            return "invalid sweep: \(message)"
        }
    }
}
