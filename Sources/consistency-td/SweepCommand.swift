import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td sweep`: runs the Cartesian grid of an experiment config, one slice per process
/// (`--shard i/n`, also read from Slurm array or Open MPI rank variables, DESIGN.md §8), and merges
/// the slices' summaries (`--merge`). Every run trains like `train --config` (``ConfiguredTraining``)
/// in `<out>/<sweep name>-<k>` and leaves ExperimentKit's ``RunSummary`` (`summary.json`); a run whose
/// summary exists is skipped and one that stopped half-way is resumed, so a shard can be rerun. A run
/// that fails leaves ``SweepRunFailure``'s `failure.txt` and the shard goes on with its next run; the
/// command then exits non-zero naming the failed runs, and the next pass retries them.
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
        if merge, shard != nil { throw ValidationError("--merge collects every shard's summaries; drop --shard") }
    }

    func run() throws {
        if merge { return try mergeSummaries() }
        guard let config else { throw CommandLineFailure("sweep needs --config FILE (or --merge)") }
        let specification = try Self.specification(config, overrides: overrides)
        let slice = try shard.map(SweepShard.init(parsing:)) ?? SweepShard.detect(environment: ProcessInfo.processInfo.environment) ?? .all
        let indices = slice.runIndices(of: specification.runCount)
        print("sweep \(specification.name): \(specification.runCount) runs over " + specification.axes.map(\.key).joined(separator: ", ")
              + "; shard \(slice) runs \(indices.count) of them in \(out)")
        var outputs = OutputList()
        var failed: [String] = []
        for (position, index) in indices.enumerated() {
            let (name, overrides) = try specification.runIdentity(index)
            let folder = (out as NSString).appendingPathComponent(name)
            let summaryPath = (folder as NSString).appendingPathComponent(RunSummary.fileName)
            let counter = "[\(position + 1)/\(indices.count)] \(name)"
            if FileManager.default.fileExists(atPath: summaryPath) {
                print("\(counter): finished earlier (\(summaryPath))")
                continue
            }
            let settings = overrides.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("\(counter): \(settings)")
            do {
                let run = try specification.run(index)       // resolving can fail for one run (e.g. its data file is missing)
                let summary = try Self.train(run, inFolder: folder)
                print(TrainingSession.describe(summary, preset: run.configuration.method.name))
                // A stopped run (SIGINT, SIGTERM: a scheduler's time limit) is not finished: no summary, so the
                // merge does not take its partial results and the next pass resumes it; the sweep stops too.
                guard !summary.interrupted else {
                    outputs.show()
                    print("sweep stopped: \(run.name) was interrupted at step \(summary.completedSteps) of \(run.configuration.training.steps) "
                          + "(checkpoint kept, no summary written); run the same command again to resume it and the runs after it")
                    try Self.reportFailures(failed, of: indices.count)
                    return
                }
                let values = Self.results(of: summary).merging(try Self.resolvedSettings(of: summary)) { result, _ in result }
                outputs.add("run summary", try RunSummary(run: run, values: values).write(toFolder: folder))
                SweepRunFailure.clear(runFolder: folder)
            } catch {
                // One run's failure must not hold up the shard's other runs.
                let note = SweepRunFailure.record(error, runFolder: folder)
                print("\(counter) failed: \(error)" + (note.map { " (recorded in \($0))" } ?? ""))
                failed.append(name)
            }
        }
        outputs.show()
        try Self.reportFailures(failed, of: indices.count)
        print("merge the shards' summaries with: consistency-td sweep --merge --out \(out)")
    }

    /// Throws (a non-zero exit) naming the runs of this pass that failed; nothing when none did.
    static func reportFailures(_ failed: [String], of runCount: Int) throws {
        guard !failed.isEmpty else { return }
        throw CommandLineFailure("\(failed.count) of the shard's \(runCount) runs failed (\(failed.joined(separator: ", "))); each left its error in "
                                 + "<run>/\(SweepRunFailure.fileName) and the other runs went on. Fix the cause and run the same command again: "
                                 + "finished runs are skipped and failed ones retried")
    }

    /// Trains one run of the sweep in `folder`: resumes an earlier attempt that got as far as `run.json`,
    /// clears one that stopped before it (``SweepRunFailure/removeUnstartedAttempt(runFolder:)``), else
    /// starts the run.
    static func train(_ run: SweepRun, inFolder folder: String) throws -> TrainingSummary {
        let files = FileManager.default
        if files.fileExists(atPath: TrainingRecipe.path(inRunFolder: folder)) {
            return try TrainingSession.resume(runFolder: folder, steps: nil).summary   // an interrupted or failed earlier attempt
        }
        if files.fileExists(atPath: folder) { try SweepRunFailure.removeUnstartedAttempt(runFolder: folder) }
        return try ConfiguredTraining.start(run.configuration, runFolder: folder).summary
    }

    /// The sweep file with every `--set` applied to its base configuration (before the axes).
    static func specification(_ path: String, overrides: [String]) throws -> SweepSpecification {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("sweep config '\(path)' does not exist; expected a YAML or JSON sweep file with name, base (or config) and axes")
        }
        let file = try SweepSpecification(contentsOfFile: path)
        guard !overrides.isEmpty else { return file }
        let specification = try SweepSpecification(name: file.name, base: try file.base.applying(settings: overrides), axes: file.axes)
        _ = try specification.run(0)          // a bad --set fails here, naming the key
        return specification
    }

    /// A run's results in its summary: the last training row (`train/loss`, `train/learning_rate`, …,
    /// deterministic for a seeded run) and the completed step count — never wall time, so a sharded
    /// sweep merges to exactly the serial sweep's table.
    static func results(of summary: TrainingSummary) -> [String: Double] {
        var values = summary.finalMetrics
        values["steps"] = Double(summary.completedSteps)
        return values
    }

    /// Settings a run resolved itself instead of taking them from the sweep file, recorded beside its results
    /// so that a table shows them (a σ_d left to the data is measured; a configuration read by an older
    /// toolkit may have resolved it differently, and a sweep continued across an upgrade would mix the two):
    /// - `resolved/data_standard_deviation`: the σ_d of the network's preconditioning, read from the run's
    ///   newest checkpoint (what was trained, also for a pretrained network that keeps its own);
    /// - `resolved/weighting_sigma_data`: the σ_d of a loss weighting that involves one (`edm`,
    ///   `inverse-squared-time-plus-data`), read from the run's `config.yaml`.
    static func resolvedSettings(of summary: TrainingSummary) throws -> [String: Double] {
        var settings: [String: Double] = [:]
        if let checkpoint = summary.checkpointPath {
            settings["resolved/data_standard_deviation"] = try CheckpointModel.load(checkpoint).network.preconditioning.dataStandardDeviation
        }
        let folder = ExperimentRunFolder(path: summary.runFolder)
        if FileManager.default.fileExists(atPath: folder.configurationPath),
           let sigma = try folder.configuration().consistency?.weighting.dataStandardDeviation {
            settings["resolved/weighting_sigma_data"] = sigma
        }
        return settings
    }

    /// `sweep --merge`: every `summary.json` under --out into `<out>/sweep.h5`, `.csv` and `.md`;
    /// with --config, missing and failed runs are reported, and summaries that are not runs of that
    /// sweep (an index past its run count, another name or other axis values: left in --out by an
    /// earlier, different sweep) are refused instead of merged into its table.
    func mergeSummaries() throws {
        guard FileManager.default.fileExists(atPath: out) else {
            throw CommandLineFailure("sweep folder '\(out)' does not exist; run `consistency-td sweep --config FILE --out \(out)` first")
        }
        let table = try SweepTable.collect(under: [out])
        guard !table.rows.isEmpty else {
            throw CommandLineFailure("no run summaries (\(RunSummary.fileName)) under '\(out)'; run the sweep's shards first")
        }
        if let config {
            let specification = try Self.specification(config, overrides: overrides)
            let foreign = try table.rows.filter { row in
                guard row.index >= 0, row.index < specification.runCount else { return true }
                let (name, overrides) = try specification.runIdentity(row.index)
                return name != row.run || RunSummary.parameters(overrides) != row.parameters
            }
            if !foreign.isEmpty {
                throw CommandLineFailure("\(foreign.count) summaries under '\(out)' are not runs of \(config) (\(specification.runCount) runs): "
                                         + foreign.prefix(5).map { "\($0.run) (index \($0.index))" }.joined(separator: ", ")
                                         + (foreign.count > 5 ? ", …" : "") + "; they come from another sweep: move them out of the folder, or merge without --config")
            }
            let missing = table.missingRuns(of: specification.runCount)
            if !missing.isEmpty {
                let list = missing.map(String.init).joined(separator: ", ")
                let subject = missing.count == 1 ? "run \(list) has" : "runs \(list) have"
                FileHandle.standardError.write(Data("warning: \(subject) no summary yet; the table lacks \(missing.count == 1 ? "it" : "them")\n".utf8))
            }
            for index in missing {
                let name = try specification.runIdentity(index).name
                if let error = SweepRunFailure.recordedError(runFolder: (out as NSString).appendingPathComponent(name)) {
                    FileHandle.standardError.write(Data("warning: run \(index) (\(name)) failed: \(error)\n".utf8))
                }
            }
        }
        let paths = try table.write(toFolder: out, name: "sweep")
        print(table.markdown)
        var outputs = OutputList()
        for (label, path) in zip(["sweep table (HDF5)", "sweep table (CSV)", "sweep table (Markdown)"], paths) { outputs.add(label, path) }
        outputs.show()
    }
}
