import Analysis
import ArgumentParser
import Foundation

/// The TD-target × estimator ablation (issue 8, item 1): ECT tuning from an EDM teacher on the ring of
/// 8 and a 16-D Gaussian mixture, with every TD target (TD(0), n-step 2/4/8, TD(λ) 0.5/0.9) × every
/// estimator (conditional, score identity with 64/256/1024 references, the teacher's Heun step), over
/// seeds; 1- and 2-step exact NLL gap, mode coverage and SW₂² with mean ± standard error.
struct TDTargetAblationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TDTargetAblation",
        abstract: "TD target × transition estimator ablation on the ring of 8 and a 16-D Gaussian mixture.",
        discussion: """
            Every cell tunes the same EDM diffusion teacher (pretrained once per environment and seed) with ECT's \
            recipe and the ring's toy settings; only the TD target and the estimator vary. Writes results.h5 \
            (per-run metrics, learning curves, the aggregated table, 1-step samples) and table.md to --output.
            Full size: \(AblationSize.full). --quick: \(AblationSize.quick).
            """)

    @Flag(help: "The reduced size (full grid, 2 seeds, few steps, small batch and network): a few minutes.")
    var quick = false
    @Option(help: "The output folder.")
    var output = "experiment-results/td-target-ablation"
    @Option(help: "The base seed; run seeds are seed, seed + 1, ….")
    var seed: UInt64 = 0
    @Option(help: "Number of seeds (overrides the size preset).")
    var seeds: Int?
    @Option(help: "Consistency-tuning steps per configuration.")
    var steps: Int?
    @Option(help: "EDM diffusion pretraining steps (per environment and seed).")
    var pretrainingSteps: Int?
    @Option(help: "Batch size.")
    var batch: Int?
    @Option(help: "Learning-curve points after step 0.")
    var evaluations: Int?
    @Option(help: "Samples per evaluation.")
    var samples: Int?
    @Option(help: "MLP width.")
    var width: Int?
    @Option(help: "MLP depth.")
    var depth: Int?
    @Option(help: "Comma-separated environments to run (ring8, gmm16; default both) — for measuring a fraction of the full size.")
    var environments: String?

    /// The environments named by `--environments` (all by default).
    func selectedEnvironments() throws -> [AblationEnvironment] {
        let all = try AblationEnvironment.all()
        guard let environments else { return all }
        let names = environments.split(separator: ",").map { String($0) }
        for name in names where !all.contains(where: { $0.name == name }) {
            throw AblationError("--environments: unknown environment '\(name)'; expected a comma-separated list of \(all.map(\.name).joined(separator: ", "))")
        }
        return all.filter { names.contains($0.name) }
    }

    /// The preset with the command line's overrides, checked.
    func resolvedSize() throws -> AblationSize {
        var size = quick ? AblationSize.quick : AblationSize.full
        size.seeds = seeds ?? size.seeds
        size.steps = steps ?? size.steps
        size.pretrainingSteps = pretrainingSteps ?? size.pretrainingSteps
        size.batchSize = batch ?? size.batchSize
        size.evaluations = evaluations ?? size.evaluations
        size.samples = samples ?? size.samples
        size.width = width ?? size.width
        size.depth = depth ?? size.depth
        try size.validate()
        return size
    }

    func run() throws {
        do {
            try runAblation()
        } catch {
            FileHandle.standardError.write(Data("TDTargetAblation: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    func runAblation() throws {
        let size = try resolvedSize()
        let start = Date()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let environments = try selectedEnvironments()
        let grid = AblationConfiguration.grid
        let total = environments.count * size.seeds * grid.count
        say("TDTargetAblation: \(environments.count) environments × \(grid.count) configurations × \(size.seeds) seeds = \(total) runs; \(size)")
        var tables: [AblationTable] = [], teachers: [[Teacher]] = []
        var done = 0
        for environment in environments {
            var runs = [[AblationRunResult]](repeating: [], count: grid.count)
            var environmentTeachers: [Teacher] = []
            for s in 0..<size.seeds {
                let runSeed = seed + UInt64(s)
                let evaluation = try ConsistencyModelEvaluation(distribution: environment.mixture, sampleCount: size.samples, seed: runSeed)
                let teacher = try Teacher.pretrain(environment, size: size, seed: runSeed, evaluation: evaluation,
                                                   maximumTime: AblationTraining.maximumTime)
                environmentTeachers.append(teacher)
                say("  \(environment.name) seed \(runSeed): EDM teacher \(size.pretrainingSteps) steps, Heun-18 NLL gap "
                    + "\(fixed(teacher.heunScore.negativeLogLikelihoodGap ?? .nan, signed: true)), \(fixed(teacher.seconds, 1)) s (elapsed \(elapsed(since: start)))")
                for (c, cell) in grid.enumerated() {
                    let result = try AblationTraining.run(cell, environment: environment, teacher: teacher, size: size, seed: runSeed,
                                                          evaluation: evaluation)
                    runs[c].append(result)
                    done += 1
                    say("  [\(done)/\(total)] \(environment.name) seed \(runSeed) \(cell.target) × \(cell.estimator): 1-step NLL gap "
                        + "\(fixed(result.oneStep.negativeLogLikelihoodGap ?? .nan, signed: true)), 2-step \(fixed(result.twoStep.negativeLogLikelihoodGap ?? .nan, signed: true)), "
                        + "coverage \(fixed(result.oneStep.modeCoverage ?? .nan, 2)), \(fixed(result.seconds, 1)) s (elapsed \(elapsed(since: start)))")
                }
            }
            tables.append(AblationTable(environment: environment, configurations: grid, runs: runs))
            teachers.append(environmentTeachers)
        }
        let seconds = Date().timeIntervalSince(start)
        try AblationResultsFile(size: size, baseSeed: seed, tables: tables, teachers: teachers, seconds: seconds,
                                commandLine: CommandLine.arguments).write(to: output)
        let markdown = "## TD target × estimator ablation\n\nBase method: ECT tuning from an EDM teacher (toy settings). \(size). "
            + String(format: "Run time %.0f s.\n\n", seconds) + tables.map(\.markdown).joined(separator: "\n")
        try markdown.write(toFile: (output as NSString).appendingPathComponent("table.md"), atomically: true, encoding: .utf8)
        say("TDTargetAblation: wrote \(output)/results.h5 and table.md in \(fixed(seconds, 1)) s")
    }
}

/// "mm:ss" since `start`.
func elapsed(since start: Date) -> String {
    let seconds = Int(Date().timeIntervalSince(start))
    return String(format: "%02d:%02d", seconds / 60, seconds % 60)
}

/// `value` with `decimals` digits ("+" for positive values when `signed`).
func fixed(_ value: Double, _ decimals: Int = 3, signed: Bool = false) -> String {
    String(format: "%\(signed ? "+" : "").\(decimals)f", value)
}

/// Prints one line to standard output unbuffered, so progress shows as it happens (also in a log file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
