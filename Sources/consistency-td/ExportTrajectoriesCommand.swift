import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td export-trajectories`: rolls out N episodes of the denoising MDP on a Karras grid of
/// K + 1 times under a policy and writes a trajectory dataset with Replay's ``TrajectoryExport``
/// (compact layout, DESIGN.md §5) or ``MinariExport`` (Minari 0.5, for offline-RL tools).
///
/// Policies: `exact` — the PF-ODE solved by Dormand–Prince (tolerance 1e−9) with the closed-form
/// denoiser (the episode ends on f*(x_{t_max}, t_max)); `euler`, `heun` — one solver step per grid
/// interval with the closed-form denoiser, or with a diffusion checkpoint's network (`--checkpoint`);
/// `checkpoint` — a consistency checkpoint's multistep sampler (Agents' ``ConsistencyModelPolicy``,
/// CM noise injection x_r = f_θ(x_t, t) + √(r² − t_min²) z). With a checkpoint the grid spans the
/// model's [t_min, t_max]; otherwise [0.002, 80].
struct ExportTrajectoriesCommand: ParsableCommand {
    /// The policies episodes can be rolled out under.
    enum Policy: String, CaseIterable, ExpressibleByArgument { case exact, euler, heun, checkpoint }
    /// The dataset layouts.
    enum Format: String, CaseIterable, ExpressibleByArgument { case compact, minari }
    /// The per-state values that can be attached.
    enum Values: String, CaseIterable, ExpressibleByArgument { case exact, none }

    static let configuration = CommandConfiguration(
        commandName: "export-trajectories",
        abstract: "Write a trajectory dataset of the denoising MDP (compact HDF5 or Minari).",
        discussion: """
            Examples:
              consistency-td export-trajectories --policy heun --episodes 10000 --steps 18 --seed 7 --out ring8.h5
              consistency-td export-trajectories --policy checkpoint --checkpoint runs/ect --steps 2 --targets td0 --out ect.h5
              consistency-td export-trajectories --format minari --out datasets/consistency-td/ring8-exact-v0
            With --format minari, --out is <root>/<dataset id> (the id may contain one '/', e.g.
            consistency-td/ring8-v0): the dataset is written to <out>/data/ and Python opens it with
            MINARI_DATASETS_PATH=<root> and minari.load_dataset("<dataset id>"); values and targets stay
            in the compact layout only.
            Attached values: values/exact = f*(x, t) at every state (closed-form data). Attached targets:
            targets/<name> = the TD target of METHODS.md §4 from each recorded state along the episode's
            grid, with exact-transition paths (Dormand–Prince, closed-form denoiser) and the bootstrap
            value of --policy checkpoint's network, or exact f* under the other policies.
            """
    )

    @Option(help: ArgumentHelp("A distribution spec (JSON or YAML). (default: the built-in ring of 8 Gaussians)", valueName: "ENV.json"))
    var environment: String?

    @Option(help: "The policy: exact (Dormand–Prince, closed-form denoiser), euler or heun (closed-form denoiser, or --checkpoint's diffusion network), checkpoint (--checkpoint's consistency model, multistep).")
    var policy: Policy = .exact

    @Option(help: ArgumentHelp("A checkpoint (or run folder): a consistency model for --policy checkpoint, a diffusion model for euler/heun. (default: none)",
                               valueName: "FILE"))
    var checkpoint: String?

    @Option(help: "Number of episodes N.")
    var episodes: Int = 1000

    @Option(help: "Steps K per episode (a Karras grid of K + 1 times from t_max to t_min).")
    var steps: Int = 18

    @Option(help: "The run seed of the episodes.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The dataset file to write; with --format minari the dataset folder <root>/<dataset id>.", valueName: "FILE.h5"))
    var out: String = "trajectories.h5"

    @Option(help: "The layout: compact or minari.")
    var format: Format = .compact

    @Option(help: "Per-state values to attach: exact (f*, closed-form data) or none. (default: exact for closed-form data, none otherwise)")
    var values: Values?

    @Option(help: ArgumentHelp("Comma-separated TD targets to attach per transition: td0, nstep-<n>, lambda-<λ>, monte-carlo (closed-form data). (default: none)",
                               valueName: "td0,nstep-4,..."))
    var targets: String?

    func validate() throws {
        guard episodes >= 1 else { throw ValidationError("--episodes \(episodes) is not valid; expected ≥ 1") }
        guard steps >= 1 else { throw ValidationError("--steps \(steps) is not valid; expected ≥ 1") }
        if policy == .checkpoint, checkpoint == nil {
            throw ValidationError("--policy checkpoint needs --checkpoint FILE (a consistency checkpoint or run folder)")
        }
        if policy == .exact, checkpoint != nil {
            throw ValidationError("--checkpoint is not used by --policy exact (it follows the closed-form PF-ODE); use --policy checkpoint, euler or heun")
        }
    }

    func run() throws {
        let source = try EnvironmentSource.load(environment)
        // One episode's arrays (observations, actions, rewards, values, targets: ~8 × (K + 1) × D floats)
        // must fit in memory; a larger K is refused before anything is allocated.
        do {
            try MemoryBudget.check("8 arrays × (--steps + 1) × dimension", [8, steps &+ 1, source.distribution.dimension],
                                   operation: "export-trajectories")
        } catch { throw CommandLineFailure("\(error)") }
        let closedForm = source.distribution as? any ClosedFormDistribution
        let targetList = try targets.map { try ListArgument.strings($0, option: "--targets") } ?? []
        let tdTargets = try targetList.map { name -> TDTarget in
            do { return try TDTarget.named(name) } catch {
                throw CommandLineFailure("--targets: '\(name)' is not a TD target; expected td0, nstep-<n>, lambda-<λ> or monte-carlo")
            }
        }
        let model = try checkpoint.map { try CheckpointModel.load(try TrainCommand.resolveCheckpoint($0)) }
        if let model, model.dimension != source.distribution.dimension {
            throw CommandLineFailure("checkpoint '\(model.path)' is a model of D = \(model.dimension) but \(source.name) has D = \(source.distribution.dimension)")
        }

        // The policy.
        let policyValue: any TransitionPolicy
        var solverName = "", policyName = ""
        switch policy {
        case .exact:
            let closed = try source.closedForm(for: "the exact policy")
            policyValue = Self.solverPolicy(DormandPrinceSolver(), closed)
            solverName = "dormand-prince(rtol=1e-9, atol=1e-9)"
            policyName = "exact"
        case .euler, .heun:
            let denoiser: String
            if let model {
                guard model.isDiffusion else {
                    throw CommandLineFailure("--policy \(policy.rawValue) needs a diffusion checkpoint as denoiser; '\(model.path)' holds a '\(model.method)' model (use --policy checkpoint for consistency models)")
                }
                policyValue = policy == .euler ? Self.solverPolicy(EulerSolver(), model.network) : Self.solverPolicy(HeunSolver(), model.network)
                denoiser = model.label
            } else {
                let closed = try source.closedForm(for: "the \(policy.rawValue) policy without --checkpoint")
                policyValue = policy == .euler ? Self.solverPolicy(EulerSolver(), closed) : Self.solverPolicy(HeunSolver(), closed)
                denoiser = "closed-form denoiser"
            }
            solverName = policy.rawValue
            policyName = "teacher-\(policy.rawValue) (\(denoiser))"
        case .checkpoint:
            guard let model, !model.isDiffusion else {
                throw CommandLineFailure("--policy checkpoint needs a consistency checkpoint; '\(model?.path ?? "?")' holds a diffusion model (use --policy euler or heun with it)")
            }
            policyValue = ConsistencyModelPolicy(model: model.network, noiseInjection: .consistencyModels, seed: seed)
            solverName = "none"
            policyName = "consistency-multistep(\(model.label), noise cm)"
        }

        // The MDP on a Karras grid (the model's time range with a checkpoint).
        let minimumTime = model?.network.minimumTime ?? 0.002
        let maximumTime = model?.maximumTime ?? 80
        let grid: TimeGrid
        do { grid = try TimeGrid.karras(count: steps + 1, minimum: minimumTime, maximum: maximumTime) } catch {
            throw CommandLineFailure("cannot build the time grid: \(error)")
        }
        let mdp = try DenoisingMDP(dimension: source.distribution.dimension, grid: grid)

        // Values and targets.
        var rollout = EpisodeRollout(environment: mdp)
        let wantsExact = values.map { $0 == .exact } ?? (closedForm != nil)
        if wantsExact {
            let closed = try source.closedForm(for: "--values exact")
            rollout.values["exact"] = try Self.exactValues(closed, minimumTime: minimumTime)
        }
        var bootstrap = TrajectoryAnnotations.Bootstrap.exact
        if policy == .checkpoint, let model { bootstrap = .function(model.network, label: model.label) }
        for (name, target) in zip(targetList, tdTargets) {
            let closed = try source.closedForm(for: "--targets (exact-transition paths)")
            rollout.targets[name] = try Self.targetFunction(target, closed, times: mdp.times, bootstrap: bootstrap)
        }

        let metadata = TrajectoryDatasetMetadata(
            environment: try TrajectoryDatasetMetadata.environmentJSON(data: source.spec, environment: mdp),
            solver: solverName, estimator: policyName,
            timeGrid: "karras(count=\(steps + 1), min=\(minimumTime), max=\(maximumTime), rho=7)", seed: seed)
        var announcement = "rolling out \(episodes) episodes of \(steps) steps under \(policyName) on \(source.name)"
        if !rollout.values.isEmpty { announcement += "; values " + rollout.values.keys.sorted().joined(separator: ", ") }
        if !rollout.targets.isEmpty {
            let names: String = targetList.joined(separator: ", ")
            announcement += "; targets \(names) (bootstrap: \(bootstrap.label))"
        }
        print(announcement)

        var outputs = OutputList()
        switch format {
        case .compact:
            try Self.ensureParentFolder(of: out)
            try TrajectoryExport.export(rollout: rollout, policy: policyValue, episodeCount: episodes, runSeed: seed, to: out, metadata: metadata)
            outputs.add("trajectory dataset", out)
        case .minari:
            let directory = try writeMinari(rollout: rollout, policy: policyValue, metadata: metadata)
            outputs.add("minari dataset", directory)
        }
        outputs.show()
    }

    /// The Minari dataset `<root>/<id>` from `--out`: the episodes go first to a compact file beside it
    /// (streamed, bounded memory), then stream into the Minari layout; the compact file is removed.
    func writeMinari(rollout: EpisodeRollout, policy: some TransitionPolicy, metadata: TrajectoryDatasetMetadata) throws -> String {
        let standardized = URL(fileURLWithPath: out).standardizedFileURL.path
        var components = (standardized as NSString).pathComponents.filter { $0 != "/" }
        guard let last = components.popLast(), !last.isEmpty else {
            throw CommandLineFailure("--out '\(out)' does not name a Minari dataset; expected <root>/<dataset id>, e.g. datasets/consistency-td/ring8-v0")
        }
        // A dataset id "namespace/name-vN" spans two components when the last one carries a version.
        var datasetID = last
        if last.range(of: #"-v[0-9]+$"#, options: .regularExpression) != nil, components.count >= 2 {
            datasetID = components.removeLast() + "/" + last
        }
        let root = "/" + components.joined(separator: "/")
        let target = (root as NSString).appendingPathComponent(datasetID)
        if FileManager.default.fileExists(atPath: target) {
            throw CommandLineFailure("Minari dataset '\(target)' exists already; choose another --out or remove it")
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let compact = (root as NSString).appendingPathComponent(".\(last).compact-\(ProcessInfo.processInfo.processIdentifier).h5")
        defer { try? FileManager.default.removeItem(atPath: compact) }
        try TrajectoryExport.export(rollout: rollout, policy: policy, episodeCount: episodes, runSeed: seed, to: compact, metadata: metadata)
        let dataset = try TrajectoryDataset(path: compact)
        defer { try? dataset.close() }
        return try MinariExport.write(dataset, datasetID: datasetID, root: root)
    }

    static func ensureParentFolder(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    }

    static func solverPolicy<Solver: ProbabilityFlowSolver, Model: Denoiser>(_ solver: Solver, _ denoiser: Model) -> any TransitionPolicy {
        SolverPolicy(solver: solver, denoiser: denoiser)
    }

    static func exactValues<Distribution: ClosedFormDistribution>(_ distribution: Distribution, minimumTime: Double) throws -> StateValueFunction {
        try TrajectoryAnnotations.exactValues(distribution, minimumTime: minimumTime)
    }

    static func targetFunction<Distribution: ClosedFormDistribution>(
        _ target: TDTarget, _ distribution: Distribution, times: [Double], bootstrap: TrajectoryAnnotations.Bootstrap
    ) throws -> TransitionTargetFunction {
        try TrajectoryAnnotations.target(target, distribution: distribution, grid: times, bootstrap: bootstrap)
    }
}
