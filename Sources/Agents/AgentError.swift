/// Why an agent, estimator, preset or trainer setting was rejected — always naming what was wrong and
/// what is expected (DESIGN.md §7).
public enum AgentError: Error, Equatable, CustomStringConvertible {
    /// A setting with an impossible value.
    case invalidSetting(String, expected: String)
    /// A name that is not one of the valid ones (preset, estimator, metric …).
    case unknownName(kind: String, name: String, valid: [String])
    /// A combination of settings that cannot work together (e.g. a teacher estimator without a teacher).
    case incompatible(String)
    /// Shapes or counts that do not match.
    case shapeMismatch(String)
    /// Training that had to stop (e.g. too many non-finite steps in a row).
    case trainingStopped(String)

    public var description: String {
        switch self {
        case let .invalidSetting(setting, expected): return "invalid setting \(setting); expected \(expected)"
        case let .unknownName(kind, name, valid):
            return "unknown \(kind) '\(name)'; valid \(kind)s: \(valid.joined(separator: ", "))"
        case let .incompatible(message): return message
        case let .shapeMismatch(message): return message
        case let .trainingStopped(message): return message
        }
    }
}
