import Environments
import Foundation

/// What a trajectory dataset records about where its episodes came from (root attributes of the
/// compact layout, DESIGN.md §5): the environment as JSON, the solver, the estimator or policy that
/// chose the actions, the time grid, the run seed, the toolkit version and the creation time.
public struct TrajectoryDatasetMetadata: Equatable, Sendable {
    /// The `format` attribute every compact trajectory dataset carries.
    public static let format = "consistency-td.trajectories"
    /// The layout version this code writes and reads.
    public static let formatVersion: Int64 = 1
    /// The toolkit version stamped into new datasets (kept equal to `Agents.ToolkitVersion.current`).
    public static let currentToolkitVersion = "0.1.0-dev"
    /// Root attribute (int64): the episodes committed so far — N in a finished file, the commit
    /// record of a partial one (``TrajectoryDatasetWriter``).
    public static let episodeCountAttribute = "episode_count"
    /// Root attribute (bool): true once ``TrajectoryDatasetWriter/finish()`` completed the file; false
    /// in a partial file and in a recovered one.
    public static let completeAttribute = "complete"
    /// Root attribute (string), only in recovered datasets: the partial file they were recovered from.
    public static let recoveredFromAttribute = "recovered_from"

    /// The environment (data distribution, dimension, time grid, step budget) as a JSON string.
    public var environment: String
    /// The ODE solver behind the policy ("dormand-prince(rtol=1e-9)", "heun", "none", …).
    public var solver: String
    /// The transition estimator / policy that produced the actions ("exact", "teacher-heun", …).
    public var estimator: String
    /// A description of the time grid ("karras(count=19, min=0.002, max=80, rho=7)", …).
    public var timeGrid: String
    /// The run seed the episode seeds derive from (``EpisodeRollout/episodeSeed(runSeed:index:)``).
    public var seed: UInt64
    /// The version of the toolkit that wrote the file.
    public var toolkitVersion: String
    /// ISO 8601 UTC time the dataset was created.
    public var createdUTC: String

    /// Provenance for a new dataset; `createdUTC` defaults to now.
    public init(environment: String, solver: String, estimator: String, timeGrid: String, seed: UInt64,
                toolkitVersion: String = TrajectoryDatasetMetadata.currentToolkitVersion,
                createdUTC: String = TrajectoryDatasetMetadata.now()) {
        self.environment = environment
        self.solver = solver
        self.estimator = estimator
        self.timeGrid = timeGrid
        self.seed = seed
        self.toolkitVersion = toolkitVersion
        self.createdUTC = createdUTC
    }

    /// The current time as ISO 8601 UTC ("2026-01-31T12:00:00Z").
    public static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    /// The environment JSON for an MDP over `data`: {"data": <DistributionSpec JSON>, "dimension": D,
    /// "times": [t_max … t_min], "step_budget": n | null}.
    public static func environmentJSON(data: DistributionSpec, environment: DenoisingMDP) throws -> String {
        let spec = String(decoding: try data.encodedJSON(), as: UTF8.self)
        let times = environment.times.map { "\($0)" }.joined(separator: ", ")
        let budget = environment.stepBudget.map { "\($0)" } ?? "null"
        return "{\"data\": \(spec), \"dimension\": \(environment.dimension), \"times\": [\(times)], \"step_budget\": \(budget)}"
    }
}
