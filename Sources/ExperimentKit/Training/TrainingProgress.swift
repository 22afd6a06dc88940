import Foundation

/// Progress of a training session on standard error, as ``TrainerConfiguration/ProgressStyle`` says:
/// a single line redrawn in place (at most ten times a second) or plain lines every few steps,
/// each showing `step/total`, iterations per second over this session, the estimated time left
/// (remaining steps ÷ rate) and the last loss. Timing only ever reaches the terminal, never a file.
final class TrainingProgress {
    private enum Mode { case bar, lines(every: Int), silent }

    private let mode: Mode
    private let totalSteps: Int
    private let startStep: Int
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant?
    private var drewBar = false

    init(style: TrainerConfiguration.ProgressStyle, totalSteps: Int, startStep: Int) {
        self.totalSteps = totalSteps
        self.startStep = startStep
        started = clock.now
        switch style {
        case .automatic:
            mode = isatty(STDERR_FILENO) == 1 ? .bar : .lines(every: max(1, totalSteps / 10))
        case .bar: mode = .bar
        case let .lines(every): mode = .lines(every: every)
        case .silent: mode = .silent
        }
    }

    var isSilent: Bool { if case .silent = mode { return true } else { return false } }

    /// Reports that `step` iterations are complete; `loss` is the step's loss (if it reported one).
    func update(step: Int, loss: Double?) {
        switch mode {
        case .silent:
            return
        case let .lines(every):
            guard step % every == 0 || step == totalSteps else { return }
            emit(line(step: step, loss: loss) + "\n")
        case .bar:
            let now = clock.now
            if let lastDraw, lastDraw.duration(to: now) < .milliseconds(100), step != totalSteps { return }
            lastDraw = now
            drewBar = true
            emit("\r" + bar(step: step) + " " + line(step: step, loss: loss) + "\u{1B}[K")
        }
    }

    /// A message on its own line (after the bar, if one is drawn).
    func note(_ message: String) {
        guard !isSilent else { return }
        finishBar()
        emit(message + "\n")
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() { finishBar() }

    private func finishBar() {
        if drewBar { emit("\n") }
        drewBar = false
    }

    private func line(step: Int, loss: Double?) -> String {
        let elapsed = Self.seconds(started.duration(to: clock.now))
        let done = step - startStep
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "step \(step)/\(totalSteps)  " + String(format: "%.1f it/s", rate)
        if rate > 0 { text += "  ETA " + Self.clockText(Double(totalSteps - step) / rate) }
        if let loss { text += "  loss " + String(format: "%.4g", loss) }
        return text
    }

    private func bar(step: Int) -> String {
        let width = 24
        let filled = totalSteps > 0 ? min(width, width * step / totalSteps) : width
        return "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
    }

    private func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// "1:02:03" or "2:03" for a number of seconds.
    static func clockText(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, (total % 3600) / 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
