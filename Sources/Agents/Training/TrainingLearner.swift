/// What one training iteration reports: named scalars for the metrics store (loss, grad norm,
/// curriculum values …) and whether the update was skipped because a loss or gradient was not finite
/// (DESIGN.md §7: the step is skipped and counted, nothing is applied).
public struct TrainingStepReport: Equatable, Sendable {
    public var metrics: [String: Double]
    public var skipped: Bool

    public init(metrics: [String: Double], skipped: Bool = false) {
        self.metrics = metrics
        self.skipped = skipped
    }
}

/// A learner the trainer can drive: one iteration at a time, evaluated now and then, saved to and
/// restored from a ``Checkpoint``. Every preset of the toolkit (diffusion pretraining, CD, CT, iCT,
/// ECT, SCT, sLCT) is a `TrainingLearner`.
///
/// Determinism contract (DESIGN.md §4): an iteration depends only on the seed, the iteration index
/// and the state captured by ``checkpoint()``, so restoring a checkpoint taken after k iterations and
/// training on equals training k + more iterations without stopping, bit for bit.
public protocol TrainingLearner: AnyObject {
    /// The preset's name as recorded in checkpoints and run folders ("ect", "sct", …).
    var methodName: String { get }
    /// The run seed every random stream derives from.
    var seed: UInt64 { get }
    /// The resolved settings as a JSON string (stored in checkpoints).
    var configurationJSON: String { get }
    /// Iterations completed so far; the next ``trainStep()`` trains iteration `completedIterations`.
    var completedIterations: Int { get }
    /// Runs one iteration and advances ``completedIterations`` (also when the update was skipped).
    func trainStep() throws -> TrainingStepReport
    /// Evaluates the current model (sample quality …) as named scalars. Must not change training state.
    func evaluate() throws -> [String: Double]
    /// The whole training state after ``completedIterations`` iterations.
    func checkpoint() -> Checkpoint
    /// Replaces the training state by a checkpoint's; `path` names the file in error messages.
    func restore(from checkpoint: Checkpoint, path: String) throws
}
