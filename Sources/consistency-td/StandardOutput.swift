import Foundation

/// Writes to standard output at once (unbuffered, like standard error), so the tool's report lines and
/// the progress lines on standard error appear in the order they happen, also when both go to a file.
/// Shadows the standard library's `print` inside this module.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator) + terminator
    FileHandle.standardOutput.write(Data(text.utf8))
}
