import Agents
import Environments
import Foundation
import Tensors

/// Bias and variance of TD targets, exactly as METHODS.md §10 defines them, for data with a closed-form
/// posterior (Gaussian mixtures, finite datasets). For every pair (t, r) of the settings:
///
/// 1. M query states x₀ ~ data, x_t = x₀ + t z (streams "…query-data" and "…query-noise", index k).
/// 2. S targets per query state, drawn conditionally on x_t: the estimator's randomness given x_t is a
///    posterior draw x₀′ ~ p(x₀ | x_t) ("…posterior", index k·2³² + i) — the conditional estimator uses
///    x̂_r = x₀′ + r·z′ with z′ = (x_t − x₀′)/t — and, for the score identity with reference size n, the
///    reference set {x₀′} ∪ (n − 1) fresh data samples ("…reference-pool", index k·2³² + i). Every target
///    of one pair sees the same query states and posterior draws (common random numbers).
///    Deterministic estimators (exact, teacher, empirical exact) are evaluated once per query state and
///    have variance 0.
/// 3. The target G is the column's return (TD(0), n-step, TD(λ), Monte Carlo; METHODS.md §4, computed
///    by ``TDTargetKernels``) along the path of ``TargetStepRule``, with the bootstrap value f* or a
///    given ``ConsistencyFunction``.
/// 4. bias(x_t) = ‖mean_S(G) − f*(x_t, t)‖₂ / √D and variance(x_t) = (1/D) Σ_d Var_S(G_d) (ddof = 1),
///    reported per query state and as means over M with standard errors.
///
/// The whole run is a function of the settings (including the seed), the data and the bootstrap:
/// the same inputs give bit-identical results. The empirical-exact estimator uses the dataset itself for
/// an ``EmpiricalDataset`` and otherwise a training set of ``TargetDiagnosticsSettings/empiricalSetSize``
/// draws ("…empirical-set", index 0). The teacher estimators use `teacher`, by default the data's
/// closed-form denoiser.
public struct TargetDiagnostics<Distribution: ClosedFormDistribution> {
    /// The purpose prefix of every random stream of the diagnostics.
    public static var streamPrefix: String { "analysis.target-diagnostics" }

    public let distribution: Distribution
    public let settings: TargetDiagnosticsSettings
    public let bootstrap: DiagnosticBootstrap
    /// The teacher denoiser of the teacher estimators (nil: the closed-form denoiser of the data).
    public let teacher: (any RowTimeDenoiser)?
    /// f*, the reference of the bias (and the bootstrap when ``bootstrap`` is `.exact`).
    public let exactValue: ExactValue<Distribution>

    /// Checks the settings and that the bootstrap and teacher fit the data (dimension, t_min).
    public init(distribution: Distribution, settings: TargetDiagnosticsSettings, bootstrap: DiagnosticBootstrap = .exact,
                teacher: (any RowTimeDenoiser)? = nil) throws {
        try settings.validate()
        let d = distribution.dimension
        try Self.check(bootstrap, dimension: d, settings: settings)
        if let teacher, teacher.dimension != d {
            throw TargetDiagnosticsError.incompatible("the teacher has dimension \(teacher.dimension) but the data have dimension \(d)")
        }
        self.distribution = distribution
        self.settings = settings
        self.bootstrap = bootstrap
        self.teacher = teacher
        exactValue = try ExactValue(distribution: distribution, minimumTime: settings.minimumTime)
    }

    /// A function bootstrap must have the data's dimension and end at the diagnostics' t_min.
    static func check(_ bootstrap: DiagnosticBootstrap, dimension d: Int, settings: TargetDiagnosticsSettings) throws {
        if case let .function(function, name) = bootstrap {
            guard function.dimension == d else {
                throw TargetDiagnosticsError.incompatible("the bootstrap '\(name)' has dimension \(function.dimension) but the data have dimension \(d)")
            }
            guard abs(function.minimumTime - settings.minimumTime) <= 1e-12 * settings.minimumTime else {
                throw TargetDiagnosticsError.incompatible(
                    "the bootstrap '\(name)' ends at t_min = \(function.minimumTime) but the diagnostics use t_min = \(settings.minimumTime); set the same t_min")
            }
        }
    }

    /// Runs every pair and target with ``bootstrap``; `progress` is called after each target of each pair.
    public func run(progress: ((TargetDiagnosticsProgress) -> Void)? = nil) throws -> TargetDiagnosticsResult {
        try run(bootstraps: [bootstrap], progress: progress)[0]
    }

    /// Runs every pair and target once per bootstrap of `bootstraps` (each checked as the initialiser
    /// checks ``bootstrap``), drawing the query states, posterior draws and reference pools once and
    /// moving every start state with the estimator once: the transitions x̂_r do not depend on the
    /// bootstrap, only G = f(x̂_r, r) (and the other returns) does. Result b is bit for bit what
    /// ``run(progress:)`` gives with `bootstrap = bootstraps[b]`, at about 1/B of the cost of the
    /// transitions. `progress` is called after each target of each pair (all bootstraps done).
    public func run(bootstraps: [DiagnosticBootstrap], progress: ((TargetDiagnosticsProgress) -> Void)? = nil) throws
        -> [TargetDiagnosticsResult]
    {
        let d = distribution.dimension, m = settings.queryCount
        guard !bootstraps.isEmpty else {
            throw TargetDiagnosticsError.invalidSetting("the list of bootstraps (empty)", expected: "at least one bootstrap")
        }
        for bootstrap in bootstraps { try Self.check(bootstrap, dimension: d, settings: settings) }
        let pairs = settings.pairs, columns = settings.columns
        let empiricalSet = columns.contains { $0.estimator == .empiricalExact } ? empiricalPoints() : []
        var results = [[TargetDiagnosticsPair]](repeating: [], count: bootstraps.count)
        var completed = 0
        for (k, pair) in pairs.enumerated() {
            let t = pair.time
            var dataStream = stream("query-data", index: UInt64(k))
            let data = distribution.sample(count: m, stream: &dataStream)
            var noiseStream = stream("query-noise", index: UInt64(k))
            var noisy = [Double](repeating: 0, count: m * d)
            noisy.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: m * d) }
            for j in noisy.indices { noisy[j] = data[j] + t * noisy[j] }
            let exact = try exactValue.consistency(noisy, time: t)
            let posterior = columns.contains(where: \.isStochastic) ? posteriorDraws(noisy, time: t, pairIndex: k) : []
            var estimates = [[TargetDiagnosticsEstimate]](repeating: [], count: bootstraps.count)
            for column in columns {
                let context = PairContext(index: k, time: t, targetTime: pair.targetTime, stepIndex: pair.stepIndex,
                                          noisy: noisy, exact: exact, posterior: posterior)
                let targets = column.isStochastic
                    ? try stochasticStatistics(column, context, bootstraps: bootstraps)
                    : try deterministicStatistics(column, context, empiricalSet: empiricalSet, bootstraps: bootstraps)
                for (b, target) in targets.enumerated() {
                    estimates[b].append(TargetDiagnosticsEstimate(name: column.name, meanTarget: target.mean, bias: target.bias,
                                                                  variance: target.variance))
                }
                completed += 1
                progress?(TargetDiagnosticsProgress(pairIndex: k, pairCount: pairs.count, column: column.name,
                                                    completed: completed, total: pairs.count * columns.count))
            }
            for b in bootstraps.indices {
                results[b].append(TargetDiagnosticsPair(time: t, targetTime: pair.targetTime, data: data, noisy: noisy,
                                                        exactValue: exact, estimates: estimates[b]))
            }
        }
        return bootstraps.indices.map { b in
            TargetDiagnosticsResult(dimension: d, queryCount: m, sampleCount: settings.sampleCount, seed: settings.seed,
                                    bootstrap: bootstraps[b].name, columnNames: columns.map(\.name), pairs: results[b])
        }
    }

    // MARK: Draws

    /// Everything one pair shares across its targets.
    struct PairContext {
        let index: Int
        let time: Double
        let targetTime: Double
        let stepIndex: Int
        /// x_t, M × D.
        let noisy: [Double]
        /// f*(x_t, t), M × D.
        let exact: [Double]
        /// x₀′, (M·S) × D, query-major (empty when no target is stochastic).
        let posterior: [Double]
    }

    func stream(_ purpose: String, index: UInt64) -> RandomStream {
        RandomStream(seed: settings.seed, purpose: "\(Self.streamPrefix).\(purpose)", index: index)
    }

    /// The per-query stream index k·2³² + i.
    func queryIndex(pair k: Int, query i: Int) -> UInt64 { UInt64(k) << 32 | UInt64(i) }

    /// S posterior draws x₀′ ~ p(x₀ | x_t) for every query state, query-major.
    func posteriorDraws(_ noisy: [Double], time t: Double, pairIndex k: Int) -> [Double] {
        let d = distribution.dimension, s = settings.sampleCount
        var result = [Double](repeating: 0, count: settings.queryCount * s * d)
        var repeated = [Double](repeating: 0, count: s * d)
        result.withUnsafeMutableBufferPointer { output in
            for i in 0..<settings.queryCount {
                for row in 0..<s { for j in 0..<d { repeated[row * d + j] = noisy[i * d + j] } }
                var posteriorStream = stream("posterior", index: queryIndex(pair: k, query: i))
                repeated.withUnsafeBufferPointer { x in
                    distribution.samplePosterior(x.baseAddress!, count: s, time: t, into: output.baseAddress! + i * s * d,
                                                 stream: &posteriorStream)
                }
            }
        }
        return result
    }

    /// The training set of the empirical-exact estimator.
    func empiricalPoints() -> [Double] {
        if let dataset = distribution as? EmpiricalDataset { return dataset.points.map { Double($0) } }
        var setStream = stream("empirical-set", index: 0)
        return distribution.sample(count: settings.empiricalSetSize, stream: &setStream)
    }

    // MARK: Targets

    /// G for `rows` start states (rows × D at time t) along the pair's path, once per bootstrap; the
    /// estimator's moves are computed for the first bootstrap and replayed for the others.
    func targets(_ column: TargetDiagnosticsColumn, start: [Double], rows: Int, _ context: PairContext,
                 estimator: any TransitionEstimating, bootstraps: [DiagnosticBootstrap]) throws -> [[Double]] {
        let pair = TimePair(time: context.time, targetTime: context.targetTime)
        let rule = settings.steps, stepIndex = context.stepIndex
        let paths = try rule.paths(pair: pair, index: stepIndex, rows: rows, horizon: column.target.horizon,
                                   minimumTime: settings.minimumTime, forceTerminal: !column.target.bootstraps)
        let replayed = ReplayedTransition(estimator)
        return try bootstraps.map { bootstrap in
            replayed.rewind()
            return try TDTargetKernels.target(column.target, start: start, paths: paths, estimator: replayed) { points, times in
                try bootstrapValues(points, times, bootstrap: bootstrap)
            }
        }
    }

    /// The bootstrap value at per-row times (rows sharing a time are evaluated together).
    func bootstrapValues(_ points: [Double], _ times: [Double], bootstrap: DiagnosticBootstrap) throws -> [Double] {
        switch bootstrap {
        case .exact:
            return try exactValue.consistency(points, times: times)
        case let .function(function, _):
            let d = distribution.dimension
            var result = points
            var groups: [Double: [Int]] = [:]
            for (row, t) in times.enumerated() { groups[t, default: []].append(row) }
            for (t, rows) in groups.sorted(by: { $0.key > $1.key }) {
                let gathered = rows.flatMap { points[($0 * d)..<(($0 + 1) * d)] }
                let values = try function.consistency(gathered, time: t)
                guard values.count == gathered.count else {
                    throw TargetDiagnosticsError.incompatible("the bootstrap function returned \(values.count) values for \(rows.count) points of dimension \(d) at t = \(t); expected \(gathered.count)")
                }
                for (n, row) in rows.enumerated() {
                    for j in 0..<d { result[row * d + j] = values[n * d + j] }
                }
            }
            return result
        }
    }

    /// Exact, teacher and empirical-exact targets: one evaluation per query state, variance 0.
    func deterministicStatistics(_ column: TargetDiagnosticsColumn, _ context: PairContext, empiricalSet: [Double],
                                 bootstraps: [DiagnosticBootstrap]) throws -> [(mean: [Double], bias: [Double], variance: [Double])]
    {
        let d = distribution.dimension, m = settings.queryCount
        let estimator: any TransitionEstimating
        switch column.estimator {
        case .exact:
            estimator = ExactTransition(distribution: distribution, minimumTime: settings.minimumTime)
        case let .teacher(solver):
            estimator = TeacherTransition(teacher: teacher ?? ClosedFormTeacher(distribution, dimension: d), solver: solver)
        case .empiricalExact:
            estimator = try ScoreIdentityTransition(references: .shared(points: empiricalSet, dimension: d))
        case .conditionalSample, .scoreIdentity:
            throw TargetDiagnosticsError.incompatible("\(column.name) is a stochastic estimator")
        }
        return try targets(column, start: context.noisy, rows: m, context, estimator: estimator, bootstraps: bootstraps).map { mean in
            let bias = (0..<m).map { Self.bias(mean, context.exact, row: $0, dimension: d) }
            return (mean, bias, [Double](repeating: 0, count: m))
        }
    }

    /// Conditional and score-identity targets: S draws per query state, processed in chunks of query
    /// states so the reference pools stay within about 32 MB.
    func stochasticStatistics(_ column: TargetDiagnosticsColumn, _ context: PairContext, bootstraps: [DiagnosticBootstrap]) throws
        -> [(mean: [Double], bias: [Double], variance: [Double])]
    {
        let d = distribution.dimension, m = settings.queryCount, s = settings.sampleCount
        var poolSize = 0
        if case let .scoreIdentity(size?) = column.estimator { poolSize = size - 1 }
        let perQuery = s * d * (poolSize + 2)
        let chunk = max(1, min(m, 4_000_000 / perQuery))
        var statistics = [(mean: [Double], bias: [Double], variance: [Double])](
            repeating: ([Double](repeating: 0, count: m * d), [Double](repeating: 0, count: m), [Double](repeating: 0, count: m)),
            count: bootstraps.count)
        var first = 0
        while first < m {
            let last = min(m, first + chunk), rows = (last - first) * s
            var start = [Double](repeating: 0, count: rows * d)
            for i in first..<last {
                for sample in 0..<s {
                    for j in 0..<d { start[((i - first) * s + sample) * d + j] = context.noisy[i * d + j] }
                }
            }
            let own = Array(context.posterior[(first * s * d)..<(last * s * d)])
            let estimator: any TransitionEstimating
            if poolSize > 0 || column.estimator != .conditionalSample {
                var pools = [Double](repeating: 0, count: rows * poolSize * d)
                if poolSize > 0 {
                    for i in first..<last {
                        var poolStream = stream("reference-pool", index: queryIndex(pair: context.index, query: i))
                        let drawn = distribution.sample(count: s * poolSize, stream: &poolStream)
                        let offset = (i - first) * s * poolSize * d
                        for j in drawn.indices { pools[offset + j] = drawn[j] }
                    }
                }
                estimator = RowwiseScoreIdentityTransition(own: own, pools: pools, dimension: d, poolSize: poolSize)
            } else {
                var noise = own
                for j in noise.indices { noise[j] = (start[j] - own[j]) / context.time }
                estimator = try ConditionalSampleTransition(data: own, noise: noise, dimension: d)
            }
            let drawnPerBootstrap = try targets(column, start: start, rows: rows, context, estimator: estimator, bootstraps: bootstraps)
            for (b, drawn) in drawnPerBootstrap.enumerated() {
                for i in first..<last {
                    let base = (i - first) * s
                    var squares = 0.0
                    for j in 0..<d {
                        var total = 0.0
                        for sample in 0..<s { total += drawn[(base + sample) * d + j] }
                        let average = total / Double(s)
                        var sum = 0.0
                        for sample in 0..<s {
                            let deviation = drawn[(base + sample) * d + j] - average
                            sum += deviation * deviation
                        }
                        statistics[b].mean[i * d + j] = average
                        squares += sum / Double(s - 1)
                    }
                    statistics[b].variance[i] = squares / Double(d)
                    statistics[b].bias[i] = Self.bias(statistics[b].mean, context.exact, row: i, dimension: d)
                }
            }
            first = last
        }
        return statistics
    }

    /// ‖a_row − b_row‖₂ / √D.
    static func bias(_ a: [Double], _ b: [Double], row: Int, dimension d: Int) -> Double {
        var sum = 0.0
        for j in 0..<d {
            let difference = a[row * d + j] - b[row * d + j]
            sum += difference * difference
        }
        return (sum / Double(d)).squareRoot()
    }
}
