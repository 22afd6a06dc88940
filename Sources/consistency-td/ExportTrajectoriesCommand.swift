import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td export-trajectories`: rolls out episodes of the denoising MDP under a policy (the
/// exact probability-flow solution, Euler or Heun steps of the closed-form denoiser, or a checkpoint's
/// network) and writes a trajectory dataset (compact layout, or Minari for offline-RL tools).
struct ExportTrajectoriesCommand: ParsableCommand {
    /// The policies episodes can be rolled out under.
    enum Policy: String, CaseIterable, ExpressibleByArgument { case exact, euler, heun, checkpoint }
    /// The dataset layouts.
    enum Format: String, CaseIterable, ExpressibleByArgument { case compact, minari }

    static let configuration = CommandConfiguration(
        commandName: "export-trajectories",
        abstract: "Write a trajectory dataset of the denoising MDP (compact HDF5 or Minari).",
        discussion: "Example: consistency-td export-trajectories --policy heun --episodes 10000 --steps 18 --seed 7 --out ring8.h5"
    )

    @Option(help: ArgumentHelp("A distribution spec (JSON or YAML). (default: the built-in ring of 8 Gaussians)", valueName: "ENV.json"))
    var environment: String?

    @Option(help: "The policy: exact, euler, heun (closed-form denoiser) or checkpoint (--checkpoint's network).")
    var policy: Policy = .exact

    @Option(help: ArgumentHelp("The checkpoint of --policy checkpoint. (default: none)", valueName: "FILE"))
    var checkpoint: String?

    @Option(help: "Number of episodes N.")
    var episodes: Int = 1000

    @Option(help: "Steps K per episode (a Karras grid of K + 1 times from 80 to t_min).")
    var steps: Int = 18

    @Option(help: "The run seed of the episodes.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The dataset file to write.", valueName: "FILE.h5"))
    var out: String = "trajectories.h5"

    @Option(help: "The layout: compact or minari.")
    var format: Format = .compact

    func validate() throws {
        guard episodes >= 1 else { throw ValidationError("--episodes \(episodes) is not valid; expected ≥ 1") }
        guard steps >= 1 else { throw ValidationError("--steps \(steps) is not valid; expected ≥ 1") }
        if policy == .checkpoint, checkpoint == nil {
            throw ValidationError("--policy checkpoint needs --checkpoint FILE")
        }
        if policy != .checkpoint, checkpoint != nil {
            throw ValidationError("--checkpoint is only used with --policy checkpoint (the policy is \(policy.rawValue))")
        }
    }

    func run() throws {
        let source = try EnvironmentSource.load(environment)
        if policy != .checkpoint { _ = try source.closedForm(for: "the \(policy.rawValue) policy") }
        if let checkpoint { _ = try CheckpointModel.load(try TrainCommand.resolveCheckpoint(checkpoint)) }
        // INTEGRATE: with the Replay module: build DenoisingMDP(dimension:grid: .karras(count: steps + 1)),
        // an EpisodeRollout with the exact values, the policy (SolverPolicy over the closed-form denoiser or
        // the checkpoint's network), then TrajectoryExport.export(…, episodeCount: episodes, runSeed: seed,
        // to: out, metadata:) and, for --format minari, Replay's Minari export. Print the written paths.
        throw CommandLineFailure("export-trajectories is not available in this build yet: it needs the Replay module (trajectory datasets and Minari export)")
    }
}
