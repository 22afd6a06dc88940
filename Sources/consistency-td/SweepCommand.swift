import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td sweep`: runs the Cartesian grid of an experiment config, one slice per process
/// (`--shard i/n`, also read from Slurm array or Open MPI rank variables, DESIGN.md §8), and merges
/// the slices' summaries (`--merge`).
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run (a shard of) a grid of experiments, or merge the shards' results.",
        discussion: """
            Example: consistency-td sweep --config sweep.yaml --shard 0/4 --out runs/sweep
                     consistency-td sweep --merge --out runs/sweep
            """
    )

    @Option(help: ArgumentHelp("The sweep config (YAML or JSON) with the grid of values. (required unless --merge)", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one config value; repeatable. (default: none)", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Run slice i of n (0 ≤ i < n). (default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE, else 0/1)",
                               valueName: "i/n"))
    var shard: String?

    @Flag(help: "Merge the finished shards' summaries in --out into one table instead of training.")
    var merge = false

    @Option(help: ArgumentHelp("The sweep folder.", valueName: "DIR"))
    var out: String = "runs/sweep"

    func validate() throws {
        if let shard {
            let parts = shard.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
                throw ValidationError("--shard '\(shard)' is not valid; expected i/n with 0 ≤ i < n, e.g. 0/4")
            }
        }
        if !merge, config == nil { throw ValidationError("sweep needs --config FILE (or --merge)") }
    }

    func run() throws {
        if let config, !FileManager.default.fileExists(atPath: config) {
            throw CommandLineFailure("sweep config '\(config)' does not exist; expected a YAML or JSON experiment config")
        }
        // INTEGRATE: with ExperimentKit's configuration layer: load the config, apply --set, expand the
        // SweepSpecification, pick this process's SweepShard (flag or Slurm/Open MPI variables), run each
        // point with TrainingSession into <out>/<point>, or merge the RunSummary files into a SweepTable.
        throw CommandLineFailure("sweep is not available in this build yet: it needs ExperimentKit's configs and sweeps")
    }
}
