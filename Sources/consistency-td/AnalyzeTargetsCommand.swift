import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td analyze-targets`: bias and variance of TD targets (METHODS.md §10) with Analysis'
/// ``TargetDiagnostics``, printed as a table and written in the contract's HDF5 layout
/// (``TargetDiagnosticsResult/write(to:)``: `/pairs/<k>` and `/summary`).
struct AnalyzeTargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze-targets",
        abstract: "Bias and variance of TD targets across times, step sizes and estimators.",
        discussion: """
            Example: consistency-td analyze-targets --environment ring.json --t 1.0,5.0 --r-ratio 0.9,0.5 \
            --estimators exact,teacher-euler,teacher-heun,conditional,score-identity --reference-size 128 \
            --points 64 --samples 512 --seed 0 --out bv.h5
            Step sizes: give exactly one of --r-ratio, --r or --grid-steps (default --r-ratio 0.9,0.5). The data \
            need a closed-form posterior (Gaussian mixtures, empirical datasets).
            """
    )

    @Option(help: ArgumentHelp("A distribution spec (JSON or YAML). (default: the built-in ring of 8 Gaussians)", valueName: "ENV.json"))
    var environment: String?

    @Option(name: .customLong("t"), help: ArgumentHelp("Times t of the query states, comma-separated.", valueName: "t1,t2,…"))
    var times: String = "1.0,5.0"

    @Option(name: .customLong("r-ratio"), help: ArgumentHelp("Step sizes as ratios r/t in [0, 1). (default: 0.9,0.5 when no step list is given)", valueName: "ρ1,ρ2,…"))
    var ratios: String?

    @Option(name: .customLong("r"), help: ArgumentHelp("Step sizes as target times r with 0 ≤ r < t. (default: none)", valueName: "r1,r2,…"))
    var targetTimes: String?

    @Option(name: .customLong("grid-steps"), help: ArgumentHelp("Step sizes as counts n of Karras grid points below t. (default: none)", valueName: "n1,n2,…"))
    var gridSteps: String?

    @Option(name: .customLong("grid-size"), help: "Points of the Karras grid (ρ = 7, [t_min, 80]) for --grid-steps.")
    var gridSize: Int = 18

    @Option(help: ArgumentHelp("Estimators: \(TransitionEstimator.names.joined(separator: ", ")).", valueName: "names"))
    var estimators: String = "exact,teacher-euler,teacher-heun,conditional,score-identity"

    @Option(name: .customLong("reference-size"), help: ArgumentHelp("Reference sizes n of score-identity (one column each).", valueName: "n1,n2,…"))
    var referenceSizes: String = "128"

    @Option(help: ArgumentHelp("Returns: td0, nstep-<n>, lambda-<λ>, monte-carlo.", valueName: "names"))
    var targets: String = "td0"

    @Option(help: "Query states M per pair.")
    var points: Int = 64

    @Option(help: "Target draws S per query state (≥ 2).")
    var samples: Int = 512

    @Option(help: "The seed of every random stream.")
    var seed: UInt64 = 0

    @Option(name: .customLong("t-min"), help: "t_min, where the exact value f* ends.")
    var minimumTime: Double = 0.002

    @Option(help: ArgumentHelp("The bootstrap network: a consistency checkpoint (a run folder means its latest). (default: the exact f*)", valueName: "FILE"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The HDF5 file to write.", valueName: "FILE.h5"))
    var out: String = "target-diagnostics.h5"

    func validate() throws {
        let given = [ratios, targetTimes, gridSteps].compactMap { $0 }.count
        guard given <= 1 else { throw ValidationError("give one of --r-ratio, --r and --grid-steps, not \(given)") }
        guard gridSize >= 2 else { throw ValidationError("--grid-size \(gridSize) is not valid; expected ≥ 2") }
    }

    func run() throws {
        let source = try EnvironmentSource.load(environment)
        let distribution = try source.closedForm(for: "analyze-targets")
        let settings = try makeSettings()
        var bootstrap = DiagnosticBootstrap.exact
        if let checkpoint {
            let model = try CheckpointModel.load(try TrainCommand.resolveCheckpoint(checkpoint))
            guard !model.isDiffusion else {
                throw CommandLineFailure("--checkpoint '\(checkpoint)' is a diffusion model; the bootstrap must be a consistency model (cd, ct, ict, ect, sct, slct)")
            }
            bootstrap = .function(model.network, name: model.label)
        }
        let result = try Self.diagnose(distribution, settings: settings, bootstrap: bootstrap)
        print("target diagnostics on \(source.name), bootstrap \(bootstrap.name)")
        print(result.table)
        try result.write(to: out)
        var outputs = OutputList()
        outputs.add("diagnostics", out)
        outputs.show()
    }

    /// The settings of the options (lists parsed, estimators and returns looked up by name).
    func makeSettings() throws -> TargetDiagnosticsSettings {
        let tList = try ListArgument.doubles(times, option: "--t")
        let rule: TargetStepRule
        if let targetTimes {
            rule = .targetTimes(try ListArgument.doubles(targetTimes, option: "--r"))
        } else if let gridSteps {
            let grid = try TimeGrid.karras(count: gridSize, minimum: minimumTime, maximum: 80, exponent: 7)
            rule = .gridSteps(try ListArgument.integers(gridSteps, option: "--grid-steps"), grid: grid)
        } else {
            rule = .ratios(try ListArgument.doubles(ratios ?? "0.9,0.5", option: "--r-ratio"))
        }
        let names = try ListArgument.strings(estimators, option: "--estimators")
        let sizes = try ListArgument.integers(referenceSizes, option: "--reference-size")
        let estimatorList = try TargetDiagnosticsColumn.estimators(named: names, referenceSizes: sizes)
        let returns = try ListArgument.strings(targets, option: "--targets").map { try TDTarget.named($0) }
        let settings = TargetDiagnosticsSettings(
            times: tList, steps: rule, columns: TargetDiagnosticsColumn.grid(estimators: estimatorList, targets: returns),
            queryCount: points, sampleCount: samples, seed: seed, minimumTime: minimumTime)
        try settings.validate()
        return settings
    }

    /// Runs the diagnostics with progress lines on standard error.
    static func diagnose<D: ClosedFormDistribution>(_ distribution: D, settings: TargetDiagnosticsSettings,
                                                    bootstrap: DiagnosticBootstrap) throws -> TargetDiagnosticsResult {
        let diagnostics = try TargetDiagnostics(distribution: distribution, settings: settings, bootstrap: bootstrap)
        let status = StatusLine()
        defer { status.finish() }
        return try diagnostics.run { progress in
            status.update("target diagnostics", completed: progress.completed, total: progress.total)
        }
    }
}
