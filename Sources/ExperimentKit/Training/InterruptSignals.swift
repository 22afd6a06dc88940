#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT/SIGTERM received since the trainer's handlers were installed. Written only by the
/// signal handler (a lock-free atomic add, which is async-signal-safe), read by training loops.
private let interruptSignalCount = Atomic<Int>(0)

/// The handler: counts the signal; a second one while the handlers are installed restores the
/// default action and re-raises, so a user who presses Ctrl-C twice leaves at once (killed by the
/// signal, as without the trainer). Only async-signal-safe calls: an atomic add, `write`,
/// `sigaction`, `raise`.
private func handleInterruptSignal(_ signal: Int32) {
    let count = interruptSignalCount.add(1, ordering: .sequentiallyConsistent).newValue
    guard count >= 2 else { return }
    let message: StaticString = "\nsecond interrupt: exiting without a final checkpoint\n"
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    var defaultAction = makeSignalAction(nil)
    _ = sigaction(signal, &defaultAction, nil)
    _ = raise(signal)
}

/// A `sigaction` value running `handler` (nil: the default action), with SA_RESTART and an empty mask.
private func makeSignalAction(_ handler: (@convention(c) (Int32) -> Void)?) -> sigaction {
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = handler
    action.sa_flags = Int32(SA_RESTART)
    #else
    action.__sigaction_u.__sa_handler = handler
    action.sa_flags = SA_RESTART
    #endif
    sigemptyset(&action.sa_mask)
    return action
}

/// The clean-stop signals of training runs (SIGINT and SIGTERM): while at least one run handles
/// them, the process's dispositions for both are replaced by a handler that only counts them, and
/// the previous dispositions are restored, exactly, when the last such run ends.
///
/// Why a `sigaction` handler rather than `DispatchSource.makeSignalSource` with the signal ignored:
/// on Linux, libdispatch receives signals through a `signalfd` and installs its own forwarding
/// handler the first time a source for a signal is registered in the process, and never again. A
/// disposition set to `SIG_IGN` around a later run discards the signal before the `signalfd` can
/// see it, and a signal `raise`d on a thread other than libdispatch's manager is never visible to
/// that `signalfd`. A counting handler works for process-wide (`kill`, Ctrl-C) and thread-directed
/// (`raise`) signals on Linux and Darwin alike.
enum InterruptSignals {
    static let handledSignals: [Int32] = [SIGINT, SIGTERM]

    private struct Installation: @unchecked Sendable {
        var users = 0
        var previous: [Int32: sigaction] = [:]
    }

    private static let installation = Mutex(Installation())

    /// Registers a user; the first installs the handlers. Returns the count of signals so far,
    /// the baseline for ``received(since:)``.
    static func begin() -> Int {
        installation.withLock { state in
            if state.users == 0 {
                interruptSignalCount.store(0, ordering: .sequentiallyConsistent)
                for signal in handledSignals {
                    var action = makeSignalAction(handleInterruptSignal)
                    var previous = sigaction()
                    sigaction(signal, &action, &previous)
                    state.previous[signal] = previous
                }
            }
            state.users += 1
            return interruptSignalCount.load(ordering: .sequentiallyConsistent)
        }
    }

    /// Unregisters a user; the last restores the dispositions found by the first ``begin()``.
    static func end() {
        installation.withLock { state in
            state.users -= 1
            guard state.users == 0 else { return }
            for signal in handledSignals {
                guard var previous = state.previous[signal] else { continue }
                sigaction(signal, &previous, nil)
            }
            state.previous = [:]
        }
    }

    /// Whether a handled signal arrived after `baseline` (a value returned by ``begin()``).
    static func received(since baseline: Int) -> Bool {
        interruptSignalCount.load(ordering: .sequentiallyConsistent) > baseline
    }
}
