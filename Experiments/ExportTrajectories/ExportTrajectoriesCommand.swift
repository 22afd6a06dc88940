import Agents
import ArgumentParser
import Environments
import Foundation
import Replay

/// `ExportTrajectories`: trajectory datasets of the denoising MDP on the ring of 8 (radius 2, std 0.1)
/// under the exact policy, the closed-form teacher's Euler and Heun solvers and a trained consistency
/// model's multistep sampler (Song et al. 2023, Algorithm 1), with f* (`values/exact`) and the TD(0)
/// target along exact transitions with the network bootstrap (`targets/td0`, METHODS.md §4) attached,
/// written with Replay's ``TrajectoryExport`` (compact) and ``MinariExport`` (Minari 0.5), and a
/// per-policy summary (``PolicySummary``).
struct ExportTrajectoriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ExportTrajectories",
        abstract: "Trajectory datasets (compact and Minari) of the ring of 8 under the exact, teacher and consistency policies.",
        discussion: """
            Writes <output>/compact/<policy>.h5, the Minari datasets <output>/minari/consistency-td/ring8-<policy>-v0 \
            (open with MINARI_DATASETS_PATH=<output>/minari), <output>/summary.h5 and <output>/table.md.
            Example: swift run -c release ExportTrajectories --quick
            """
    )

    @Flag(help: "The reduced size (a few minutes on two cores).")
    var quick = false

    @Option(help: ArgumentHelp("The results folder.", valueName: "folder"))
    var output = "experiment-results/export-trajectories"

    @Option(help: "The base seed of the episodes and the training.")
    var seed: UInt64 = 0

    @Option(help: "Episodes N per policy (overrides the size).")
    var episodes: Int?

    @Option(name: .customLong("teacher-steps"), help: ArgumentHelp("Steps of the teacher's Euler and Heun policies.", valueName: "k1,k2,…"))
    var teacherSteps = "8,18,40"

    @Option(name: .customLong("sampler-steps"), help: ArgumentHelp("Steps of the consistency model's multistep sampler.", valueName: "k1,k2,…"))
    var samplerSteps = "1,2,4"

    @Option(name: .customLong("exact-steps"), help: "Recorded steps of the exact policy (a Karras grid).")
    var exactSteps = 18

    @Option(name: .customLong("train-steps"), help: "Iterations of each toy training stage, diffusion and ECT (overrides the size).")
    var trainSteps: Int?

    @Option(name: .customLong("max-time"), help: "T, the first time of every episode (and the trained model's t_max).")
    var maximumTime = 20.0

    @Option(help: ArgumentHelp("A consistency checkpoint (file or run folder) instead of training one (D = 2).", valueName: "FILE"))
    var checkpoint: String?

    /// Episodes and training iterations per stage of the preset sizes.
    var size: (episodes: Int, trainSteps: Int, width: Int, depth: Int) {
        quick ? (32, 400, 64, 2) : (4096, 4000, 128, 3)
    }

    func run() throws {
        do { try runExperiment() } catch {
            let message = "\(error)".replacingOccurrences(of: "\n", with: "; ")
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func steps(_ text: String, option: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ExperimentFailure("\(option) is empty; expected comma-separated step counts ≥ 1") }
        return try parts.map { part in
            guard let value = Int(part), value >= 1 else { throw ExperimentFailure("\(option): '\(part)' is not valid; expected integers ≥ 1") }
            return value
        }
    }

    func runExperiment() throws {
        let clock = Date()
        var size = self.size
        if let episodes {
            guard episodes >= 1 else { throw ExperimentFailure("--episodes \(episodes) is not valid; expected ≥ 1") }
            size.episodes = episodes
        }
        if let trainSteps {
            guard trainSteps >= 1 else { throw ExperimentFailure("--train-steps \(trainSteps) is not valid; expected ≥ 1") }
            size.trainSteps = trainSteps
        }
        guard exactSteps >= 1 else { throw ExperimentFailure("--exact-steps \(exactSteps) is not valid; expected ≥ 1") }
        let teacher = try Self.steps(teacherSteps, option: "--teacher-steps")
        let sampler = try Self.steps(samplerSteps, option: "--sampler-steps")
        let spec = try DistributionSpec.decode(json: Data(#"{"kind": "ring", "modes": 8, "radius": 2, "std": 0.1}"#.utf8))
        let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

        // The consistency model: loaded or trained.
        let model: PreconditionedNetwork, modelLabel: String, horizon: Double
        if let checkpoint {
            let loaded = try CheckpointModel.load(try CheckpointModel.resolve(checkpoint))
            guard !loaded.isDiffusion, loaded.dimension == 2 else {
                throw ExperimentFailure("--checkpoint '\(loaded.path)' holds a \(loaded.method) model of D = \(loaded.dimension); expected a consistency model of the ring (D = 2)")
            }
            model = loaded.network
            modelLabel = loaded.label
            horizon = loaded.maximumTime
        } else {
            guard maximumTime.isFinite, maximumTime > 0.002 else { throw ExperimentFailure("--max-time \(maximumTime) is not valid; expected T > t_min = 0.002") }
            print("training a toy consistency model (\(size.trainSteps) diffusion + \(size.trainSteps) ECT steps) · elapsed \(Self.elapsed(clock))")
            let training = ToyConsistencyTraining(diffusionSteps: size.trainSteps, consistencySteps: size.trainSteps, width: size.width,
                                                  depth: size.depth, maximumTime: maximumTime, seed: seed)
            model = try training.train(on: mixture, reportEvery: max(1, size.trainSteps / 4)) { stage, done, total in
                print("    training \(stage) \(done)/\(total) · elapsed \(Self.elapsed(clock))")
            }.consistency
            modelLabel = "ect (\(size.trainSteps) diffusion + \(size.trainSteps) ECT steps)"
            horizon = maximumTime
        }
        let trainingSeconds = Date().timeIntervalSince(clock)

        let plans = PolicyPlan.all(mixture: mixture, exactSteps: exactSteps, teacherSteps: teacher, model: model,
                                   modelMaximumTime: horizon, samplerSteps: sampler, seed: seed).map { plan in
            PolicyPlan(name: plan.name, description: plan.description, policy: plan.policy, steps: plan.steps,
                       minimumTime: plan.minimumTime, maximumTime: horizon)
        }
        let compactFolder = (output as NSString).appendingPathComponent("compact")
        let minariRoot = (output as NSString).appendingPathComponent("minari")
        try FileManager.default.createDirectory(atPath: compactFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: minariRoot, withIntermediateDirectories: true)
        var summaries: [PolicySummary] = []
        var datasetIDs: [String] = []
        for (i, plan) in plans.enumerated() {
            print("[\(i + 1)/\(plans.count)] \(plan.name): \(size.episodes) episodes of \(plan.steps) steps under \(plan.description) · elapsed \(Self.elapsed(clock))")
            let grid = try TimeGrid.karras(count: plan.steps + 1, minimum: plan.minimumTime, maximum: plan.maximumTime)
            let mdp = try DenoisingMDP(dimension: 2, grid: grid)
            var rollout = EpisodeRollout(environment: mdp)
            rollout.values["exact"] = try TrajectoryAnnotations.exactValues(mixture, minimumTime: plan.minimumTime)
            rollout.targets["td0"] = try TrajectoryAnnotations.target(.td0, distribution: mixture, grid: mdp.times,
                                                                      bootstrap: .function(model, label: modelLabel))
            let metadata = TrajectoryDatasetMetadata(
                environment: try TrajectoryDatasetMetadata.environmentJSON(data: spec, environment: mdp),
                solver: plan.description, estimator: "targets/td0: exact transition, bootstrap \(modelLabel)",
                timeGrid: "karras(count=\(plan.steps + 1), min=\(plan.minimumTime), max=\(plan.maximumTime), rho=7)", seed: seed)
            let path = (compactFolder as NSString).appendingPathComponent("\(plan.name).h5")
            try TrajectoryExport.export(rollout: rollout, policy: plan.policy, episodeCount: size.episodes, runSeed: seed, to: path,
                                        metadata: metadata)
            let dataset = try TrajectoryDataset(path: path)
            defer { try? dataset.close() }
            let datasetID = "consistency-td/ring8-\(plan.name)-v0"
            try? FileManager.default.removeItem(atPath: (minariRoot as NSString).appendingPathComponent(datasetID))
            try MinariExport.write(dataset, datasetID: datasetID, root: minariRoot)
            datasetIDs.append(datasetID)
            let summary = try PolicySummary(name: plan.name, episodes: try dataset.allEpisodes())
            print(String(format: "    endpoint error %.3e ± %.1e · TD error %.3e ± %.1e · target error %.3e ± %.1e",
                         summary.endpointError, summary.endpointErrorStandardError, summary.tdError, summary.tdErrorStandardError,
                         summary.targetError, summary.targetErrorStandardError))
            summaries.append(summary)
        }
        let seconds = Date().timeIntervalSince(clock)
        let file = SummaryFile(summaries: summaries, descriptions: plans.map(\.description), datasetIDs: datasetIDs, modelLabel: modelLabel,
                               seed: seed, quick: quick, seconds: seconds, trainingSeconds: trainingSeconds, maximumTime: horizon,
                               checkpoint: checkpoint)
        try file.write(folder: output)
        print("wrote \(output)/summary.h5, \(output)/table.md, \(plans.count) compact files and Minari datasets · \(String(format: "%.1f", seconds)) s")
    }

    static func elapsed(_ clock: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(clock)) }
}
