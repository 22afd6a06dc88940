/// Why a loss setting was rejected (DESIGN.md §7): what was wrong and what would be right.
public enum LossSettingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A TD-error metric name that the toolkit does not know; `valid` lists every known name.
    case unknownMetric(String, valid: [String])
    /// A setting with an impossible value: its name, the value given and what is expected.
    case invalidValue(setting: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .unknownMetric(name, valid):
            return "unknown TD-error metric \"\(name)\"; valid metrics are \(valid.map { "\"\($0)\"" }.joined(separator: ", "))"
        case let .invalidValue(setting, value, expected):
            return "\(setting) = \(value) is invalid; expected \(expected)"
        }
    }
}
