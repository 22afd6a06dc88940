import Foundation

/// Progress of long work other than training, on standard error: one line redrawn in place on a
/// terminal, otherwise a plain line each time the stage changes or at most every 10% of it.
final class StatusLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastStage = ""
    private var lastFraction = -1.0
    private var drawn = false

    /// Reports `completed` of `total` units of `stage`.
    func update(_ stage: String, completed: Int, total: Int) {
        let fraction = total > 0 ? Double(completed) / Double(total) : 1
        let text = "\(stage): \(completed)/\(total)"
        if isTerminal {
            emit("\r" + text + "\u{1B}[K")
            drawn = true
        } else if stage != lastStage || fraction - lastFraction >= 0.1 || completed == total {
            emit(text + "\n")
            lastFraction = fraction
        }
        lastStage = stage
    }

    /// Ends a redrawn line so later output starts on a fresh one.
    func finish() {
        if drawn { emit("\n") }
        drawn = false
    }

    private func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
