import Synchronization

/// A thread-safe stop request for one ``Trainer``: any thread may call ``requestStop()``; the
/// training loop reads it after each iteration and then finishes as for SIGINT (final checkpoint,
/// metrics flushed, `interrupted = true`). A request made before the run starts stops it after its
/// first iteration; each run or resume clears the request when it returns.
public final class TrainingStopHandle: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the run to stop after the current iteration.
    public func requestStop() { requested.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a stop was requested and not yet cleared.
    public var isStopRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }

    func clear() { requested.store(false, ordering: .sequentiallyConsistent) }
}
