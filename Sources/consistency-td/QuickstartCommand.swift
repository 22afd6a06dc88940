import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td quickstart`: the whole toolkit once, on the built-in ring of 8 Gaussians (radius 2,
/// std 0.1) — pretrain an EDM diffusion model, tune it with ECT and with SCT, train iCT from scratch,
/// score every model's 1-step and 2-step samples and the teacher's 18-step Heun samples (METHODS.md §9:
/// exact NLL, mode coverage and precision against the true density; SW₂², MMD², energy against a
/// held-out data sample of the same size), run the TD-target bias/variance diagnostics across step
/// sizes, export trajectory datasets (the teacher's Heun-18 and ECT's 2-step episodes, 1000 each, exact
/// values f* attached), and print one summary table and every output path.
///
/// The held-out data are `--count` fresh draws of the ring from the stream (seed, "cli.evaluate.data", 0),
/// apart from every training stream; it, the data NLL's stream and the projection streams are those of
/// `consistency-td evaluate`, so each row equals what `evaluate --checkpoint <out>/runs/<model> --seed S
/// --count N` reports for that sampler.
///
/// The training settings are the tuned toy settings of Experiments/RingOfEight (`toySettings`): width
/// 128, depth 3, a cosine learning-rate decay to 5%, t_max = 20, lr 1e−3 (diffusion 2e−3), uniform pair
/// weighting for ECT/SCT, iCT's curriculum ending at s₁ = 160 without dropout; the step counts are
/// shortened so the whole run takes a few minutes on 2 cores (`--scale` multiplies them).
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Pretrain, tune (ECT, SCT), train (iCT), evaluate and diagnose on the ring of 8, in a few minutes.",
        discussion: "Example: consistency-td quickstart --out quickstart"
    )

    /// Episodes of each exported trajectory dataset.
    static let trajectoryEpisodes = 1000

    @Option(help: ArgumentHelp("The output folder (run folders, evaluation, diagnostics, trajectory datasets).", valueName: "DIR"))
    var out: String = "quickstart"

    @Option(help: "Multiplies every training step count (diffusion 6000, ECT 6000, SCT 4000, iCT 8000 at 1).")
    var scale: Double = 1

    @Option(help: "The seed of training, sampling and diagnostics.")
    var seed: UInt64 = 0

    @Option(help: "Samples per model and sampler in the evaluation.")
    var count: Int = 4096

    func validate() throws {
        guard scale.isFinite, scale > 0 else { throw ValidationError("--scale \(scale) is not valid; expected a finite factor > 0") }
        guard count >= 2 else { throw ValidationError("--count \(count) is not valid; expected ≥ 2") }
    }

    /// The quick start's recipe of `preset` with `steps` iterations at scale 1.
    func recipe(_ preset: TrainingPreset, steps: Int, from: String?) -> TrainingRecipe {
        let scaled = max(1, Int((Double(steps) * scale).rounded()))
        var recipe = TrainingRecipe(
            preset: preset, steps: scaled, seed: seed, environment: EnvironmentSource.defaultSpec,
            environmentName: EnvironmentSource.defaultName, from: from, checkpointEvery: max(1, scaled / 4), width: 128, depth: 3,
            batchSize: 512, learningRate: 1e-3, learningRateDecay: "cosine:0.05", warmupSteps: 0, maximumTime: 20, dropout: 0,
            weighting: nil, finalScale: nil)
        switch preset {
        case .diffusion:
            recipe.learningRate = 2e-3
            recipe.maximumTime = nil
            recipe.dropout = nil
        case .ect: recipe.weighting = "uniform"
        case .sct:
            recipe.weighting = "uniform"
            recipe.batchSize = 256
        case .ict: recipe.finalScale = 160
        default: break
        }
        return recipe
    }

    func run() throws {
        let runs = (out as NSString).appendingPathComponent("runs")
        let source = try EnvironmentSource.load(nil)
        guard let mixture = source.distribution as? GaussianMixture else { throw CommandLineFailure("the default environment is not a Gaussian mixture") }
        var outputs = OutputList()
        var trainingLines: [String: String] = [:]
        var seconds: [String: Double] = [:]

        func train(_ preset: TrainingPreset, steps: Int, from: String?) throws -> String {
            let folder = (runs as NSString).appendingPathComponent(preset.rawValue)
            let recipe = self.recipe(preset, steps: steps, from: from)
            print("[\(preset.rawValue)] training \(recipe.steps) steps in \(folder)")
            let (summary, written) = try TrainingSession.start(recipe, runFolder: folder)
            trainingLines[preset.rawValue] = TrainingSession.describe(summary, preset: preset.rawValue)
            seconds[preset.rawValue] = Double(summary.wallTime.components.seconds) + Double(summary.wallTime.components.attoseconds) * 1e-18
            print(trainingLines[preset.rawValue]!)
            outputs.add(written)
            guard let checkpoint = summary.checkpointPath else { throw CommandLineFailure("\(preset.rawValue) wrote no checkpoint") }
            return checkpoint
        }

        let teacherPath = try train(.diffusion, steps: 6000, from: nil)
        // run.json records --from as an absolute file (TrainingRecipe.from), so `resume` works from any directory.
        let teacherFile = URL(fileURLWithPath: teacherPath).standardizedFileURL.path
        let ectPath = try train(.ect, steps: 6000, from: teacherFile)
        let sctPath = try train(.sct, steps: 4000, from: teacherFile)
        let ictPath = try train(.ict, steps: 8000, from: nil)

        // Evaluation (METHODS.md §9): every sampler, the teacher's Heun-18 included, against N held-out
        // data points from (seed, "cli.evaluate.data", 0) — the streams of `consistency-td evaluate`
        // (EvaluateCommand.evaluate), with the projection index of the sampler within its checkpoint.
        print("evaluating \(count) samples per model and sampler against \(count) held-out data points")
        let teacher = try CheckpointModel.load(teacherPath)
        var dataStream = RandomStream(seed: seed, purpose: "cli.evaluate.data", index: 0)
        let reference = mixture.sample(count: count, stream: &dataStream)
        var nllStream = RandomStream(seed: seed, purpose: "cli.evaluate.data-nll", index: 0)
        let dataNLL = try mixture.dataNegativeLogLikelihood(sampleCount: 10_000, stream: &nllStream)
        var rows: [(SampleEvaluation, [Double])] = []
        func score(_ name: String, _ samples: [Double], projectionIndex: UInt64) throws {
            rows.append((try SampleEvaluation(name: name, samples: samples, reference: reference, dimension: 2, mixture: mixture,
                                              dataNLL: dataNLL, seed: seed, index: projectionIndex), samples))
        }
        try score("diffusion heun-18", try SampleGeneration(heunSteps: 18).samples(of: teacher, count: count, seed: seed),
                  projectionIndex: 0)
        for (name, path) in [("ect", ectPath), ("sct", sctPath), ("ict", ictPath)] {
            let model = try CheckpointModel.load(path)
            for steps in [1, 2] {
                try score("\(name) \(steps)-step", try SampleGeneration(steps: steps).samples(of: model, count: count, seed: seed),
                          projectionIndex: UInt64(steps - 1))
            }
        }
        let evaluationPath = (out as NSString).appendingPathComponent("evaluation.h5")
        let referenceNote = "\(count) held-out data samples of \(source.name), stream (seed \(seed), \"cli.evaluate.data\", 0)"
        try SampleEvaluation.write(rows, dimension: 2, context: ["environment": source.name, "reference": referenceNote],
                                   to: evaluationPath)
        outputs.add("evaluation", evaluationPath)

        // Bias and variance of TD targets across step sizes, the trained diffusion model as teacher.
        let settings = TargetDiagnosticsSettings(
            times: [0.5, 2, 10], steps: .ratios([0.9, 0.5, 0.1]),
            columns: TargetDiagnosticsColumn.grid(estimators: [.exact, .teacher(.euler), .teacher(.heun), .conditionalSample,
                                                               .scoreIdentity(referenceSize: 128)]),
            queryCount: 64, sampleCount: 256, seed: seed)
        let diagnostics = try TargetDiagnostics(distribution: mixture, settings: settings, teacher: teacher.network)
        let status = StatusLine()
        let result = try diagnostics.run { status.update("target diagnostics", completed: $0.completed, total: $0.total) }
        status.finish()
        let diagnosticsPath = (out as NSString).appendingPathComponent("target-diagnostics.h5")
        try result.write(to: diagnosticsPath)
        outputs.add("diagnostics", diagnosticsPath)

        // Trajectory datasets of the ring with exact values f* attached: the teacher's Heun-18 episodes
        // (the trained diffusion network as denoiser) and the ECT model's 2-step multistep episodes.
        let exact = try ExactValue(distribution: mixture)
        func exportTrajectories(_ label: String, file: String, policy: some TransitionPolicy, steps: Int, maximumTime: Double,
                                solver: String, estimator: String) throws {
            let mdp = try DenoisingMDP(dimension: 2, grid: try TimeGrid.karras(count: steps + 1, minimum: exact.minimumTime, maximum: maximumTime))
            let metadata = TrajectoryDatasetMetadata(
                environment: try TrajectoryDatasetMetadata.environmentJSON(data: source.spec, environment: mdp), solver: solver,
                estimator: estimator, timeGrid: "karras(count=\(steps + 1), min=\(exact.minimumTime), max=\(maximumTime), rho=7)", seed: seed)
            let path = (out as NSString).appendingPathComponent(file)
            print("exporting \(Self.trajectoryEpisodes) \(label) episodes with exact values f* to \(path)")
            try TrajectoryExport.export(rollout: EpisodeRollout(environment: mdp, values: ["exact": .exact(exact)]), policy: policy,
                                        episodeCount: Self.trajectoryEpisodes, runSeed: seed, to: path, metadata: metadata)
            outputs.add("trajectories (\(label))", path)
        }
        try exportTrajectories("teacher heun-18", file: "trajectories-heun.h5", policy: SolverPolicy(solver: HeunSolver(), denoiser: teacher.network),
                               steps: 18, maximumTime: teacher.maximumTime, solver: "heun", estimator: "teacher-heun (\(teacher.label))")
        let ect = try CheckpointModel.load(ectPath)
        try exportTrajectories("ect 2-step", file: "trajectories-ect.h5",
                               policy: ConsistencyModelPolicy(model: ect.network, noiseInjection: .consistencyModels, seed: seed),
                               steps: 2, maximumTime: ect.maximumTime, solver: "none",
                               estimator: "consistency-multistep(\(ect.label), noise cm)")

        print("")
        print("=== quick start summary: \(source.name) ===")
        for preset in ["diffusion", "ect", "sct", "ict"] { if let line = trainingLines[preset] { print(line) } }
        print("")
        print("samples vs the exact density (NLL gap to the data's \(SampleEvaluation.format(dataNLL.mean)) nats) and vs \(count) held-out data points (SW2², MMD², energy):")
        print(SampleEvaluation.table(rows.map { $0.0 }))
        print("")
        print("TD-target bias and variance (teacher estimators: the trained diffusion model; bootstrap: exact f*):")
        print(result.table)
        print("")
        outputs.show()
    }
}
