/// Why the target diagnostics (METHODS.md §10) could not run: every case names what was given and
/// what is expected.
public enum TargetDiagnosticsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting with an impossible value.
    case invalidSetting(String, expected: String)
    /// Settings that cannot work together (e.g. a bootstrap network with another t_min).
    case incompatible(String)

    public var description: String {
        switch self {
        case let .invalidSetting(setting, expected): return "target diagnostics: invalid \(setting); expected \(expected)"
        case let .incompatible(message): return "target diagnostics: \(message)"
        }
    }
}
