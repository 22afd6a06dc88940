/// What a ``Trainer`` session did: where the run stands, what it last measured and where its files are.
public struct TrainingSummary: Equatable, Sendable {
    /// The run folder.
    public var runFolder: String
    /// Iterations the learner had completed when this session began (0 for a fresh run).
    public var startStep: Int
    /// Iterations the learner has completed now.
    public var completedSteps: Int
    /// The training metrics of the last step ("train/<name>" → value, with "train/skipped_steps"): the
    /// last row this session recorded, or — for a resumed session that trained no step — the checkpoint
    /// step's row as the earlier session recorded it (series without a value there left out); empty
    /// for a fresh run that trained no step.
    public var finalMetrics: [String: Double]
    /// The last evaluation of this session ("eval/<name>" → value) and its step, if any.
    public var lastEvaluation: [String: Double]?
    public var lastEvaluationStep: Int?
    /// The newest checkpoint of the run (written by this session or an earlier one) and its step;
    /// nil when none was written. Always a good checkpoint: one taken after an applied update.
    public var checkpointPath: String?
    public var checkpointStep: Int?
    public var metricsHDF5Path: String
    public var metricsCSVPath: String
    public var provenancePath: String
    /// True when a stop request (``Trainer/requestStop()``, SIGINT, SIGTERM) ended the session
    /// before `steps` iterations.
    public var interrupted: Bool
    /// Skipped (non-finite) steps over the whole run, including sessions before a resume.
    public var skippedSteps: Int
    /// Wall-clock time of this session.
    public var wallTime: Duration

    /// Iterations trained in this session.
    public var stepsThisSession: Int { completedSteps - startStep }
}
