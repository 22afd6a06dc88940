import Foundation

/// A failure of the command-line tool that the user can act on: what was wrong and what is expected
/// (DESIGN.md §7). Its description is printed as `error: <description>`.
struct CommandLineFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    /// `message` as one line: line breaks folded into "; ", usage hints and a leading "Error: " dropped.
    static func oneLine(_ message: String) -> String {
        var parts: [String] = []
        for line in message.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.isEmpty || line.hasPrefix("Usage:") || line.hasPrefix("See '") || line.hasPrefix("Help:") { continue }
            if line.hasPrefix("- "), let last = parts.last {
                // A bulleted list of valid values continues the previous line: "one of: a, b, c".
                parts[parts.count - 1] = last + (last.hasSuffix(":") ? " " : ", ") + line.dropFirst(2)
            } else {
                parts.append(line)
            }
        }
        var text = parts.joined(separator: "; ")
        if text.lowercased().hasPrefix("error: ") { text.removeFirst("error: ".count) }
        return text.isEmpty ? "the command failed without a message" : text
    }
}
