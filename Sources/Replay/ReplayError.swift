/// Why an episode, a replay buffer setting or a trajectory dataset was rejected. Every message says
/// what was wrong and what was expected; dataset errors name the file.
public struct ReplayError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was wrong and what was expected.
    public let message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }

    /// A trajectory dataset that cannot be used: `problem` names what is wrong with `path`.
    static func dataset(_ path: String, _ problem: String) -> ReplayError {
        ReplayError("trajectory dataset '\(path)': \(problem)")
    }
}
