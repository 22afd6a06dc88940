import Agents
import Environments
import Foundation

/// When a configuration picks another case of a choice than the preset's, that case's parameters come
/// from the case's own defaults (the parameters of the preset's case would not apply):
///
/// | key | case → default parameters |
/// |---|---|
/// | consistency.estimator | score-identity → reference_size null (the minibatch) |
/// | consistency.target | nstep → n = 4; lambda → λ = 0.8, horizon 8; monte-carlo → 64 steps |
/// | consistency.target_network | ema → μ = 0.95 (CD) |
/// | consistency.metric | a metric with c → the preset's c if it has one, else iCT's 0.00054·√D |
/// | consistency.weighting | inverse-squared-time-plus-data, edm → the network's σ_d: training.data_standard_deviation, else the data's measured one |
/// | consistency.small_noise_loss | true → sLCT's quantile 0.3, weight 1 |
/// | pairs.schedule | each schedule's paper defaults (``PairSchedule``; consistency-tuning stepwise) |
/// | training.learning_rate_decay | cosine, linear → final fraction 0.05 |
/// | training.non_finite_policy | skip-and-count → 10 consecutive steps |
/// | network.architecture | unet → ``UNetSettings/defaults`` (widths [32, 64], 8 groups, unconditional) |
///
/// Names that are not valid are left alone here; decoding rejects them with the list of valid names.
enum ConfigurationCases {
    static func adopt(casesOf tree: [String: Any], into configuration: inout ExperimentConfiguration) throws {
        func name(_ section: String, _ key: String) -> String? {
            ConfigurationTree.value(at: [section, key], in: tree) as? String
        }
        switch name("network", "architecture") {
        case "unet" where configuration.network.unet == nil: configuration.network.unet = .defaults
        case "mlp": configuration.network.unet = nil
        default: break
        }
        if let decay = name("training", "learning_rate_decay") {
            switch (decay, configuration.training.learningRateDecay) {
            case ("constant", _): configuration.training.learningRateDecay = .constant
            case ("cosine", .cosine), ("linear", .linear): break
            case ("cosine", _): configuration.training.learningRateDecay = .cosine(finalFraction: 0.05)
            case ("linear", _): configuration.training.learningRateDecay = .linear(finalFraction: 0.05)
            default: break
            }
        }
        if let policy = name("training", "non_finite_policy") {
            switch (policy, configuration.training.nonFinitePolicy) {
            case ("skip-and-count", .skipAndCount): break
            case ("skip-and-count", _): configuration.training.nonFinitePolicy = .default
            case ("zero-non-finite", _): configuration.training.nonFinitePolicy = .zeroNonFinite
            default: break
            }
        }
        if let schedule = name("pairs", "schedule"), let current = configuration.pairs,
           schedule != ConfigurationNames.scheduleName(current), let replacement = ConfigurationNames.schedule(schedule) {
            configuration.pairs = replacement
        }
        guard var consistency = configuration.consistency else { return }
        defer { configuration.consistency = consistency }
        if let estimator = name("consistency", "estimator"), let chosen = try? ConfigurationNames.estimator(estimator) {
            if case .scoreIdentity = chosen, case .scoreIdentity = consistency.estimator {} else { consistency.estimator = chosen }
        }
        if let target = name("consistency", "target") {
            switch (target, consistency.target) {
            case ("td0", _): consistency.target = .td0
            case ("nstep", .nStep), ("lambda", .lambda), ("monte-carlo", .monteCarlo): break
            case ("nstep", _): consistency.target = .nStep(4)
            case ("lambda", _): consistency.target = .lambda(0.8)
            case ("monte-carlo", _): consistency.target = .monteCarlo()
            default: break
            }
        }
        if let network = name("consistency", "target_network") {
            switch (network, consistency.targetNetwork) {
            case ("stop-gradient", _): consistency.targetNetwork = .stopGradient
            case ("ema-curriculum", _): consistency.targetNetwork = .emaCurriculum
            case ("ema", .ema): break
            case ("ema", _): consistency.targetNetwork = .ema(rate: 0.95)
            default: break
            }
        }
        if let metric = name("consistency", "metric"), metric != consistency.metric.name, TDErrorMetric.names.contains(metric) {
            let dimension = (try? configuration.dataDimension()) ?? 1
            let c = consistency.metric.constant ?? TDErrorMetric.improvedConsistencyHuberConstant(dimension: dimension)
            switch metric {
            case "squared-l2": consistency.metric = .squaredL2
            case "l1": consistency.metric = .l1
            case "mean-squared": consistency.metric = .meanSquared
            case "pseudo-huber": consistency.metric = .pseudoHuber(c: c)
            case "pseudo-huber-elementwise": consistency.metric = .pseudoHuberElementwise(c: c)
            default: consistency.metric = .cauchy(c: c > 0 ? c : TDErrorMetric.improvedConsistencyHuberConstant(dimension: dimension))
            }
        }
        if let weighting = name("consistency", "weighting"), weighting != ConfigurationNames.name(of: consistency.weighting) {
            let sigma = try networkDataStandardDeviation(tree: tree, defaults: configuration)
            switch weighting {
            case "uniform": consistency.weighting = .uniform
            case "inverse-grid-step": consistency.weighting = .inverseGridStep
            case "inverse-time-gap": consistency.weighting = .inverseTimeGap
            case "inverse-squared-time-plus-data": consistency.weighting = .inverseSquaredTimePlusData(dataStandardDeviation: sigma)
            case "edm": consistency.weighting = .edm(dataStandardDeviation: sigma)
            default: break
            }
        }
        if let on = ConfigurationTree.value(at: ["consistency", "small_noise_loss"], in: tree) as? Bool {
            if !on { consistency.smallNoiseDiffusionLoss = nil }
            else if consistency.smallNoiseDiffusionLoss == nil { consistency.smallNoiseDiffusionLoss = try? SmallNoiseDiffusionLoss() }
        }
    }

    /// The σ_d the network of the configuration `tree` will use, for a weighting that needs σ_d: the tree's
    /// `training.data_standard_deviation` when it is a number, the data's measured σ_d when it is null,
    /// and the defaults' σ_d (0.5 for images, else measured) when the tree does not name it. A value of
    /// the wrong type is left to decoding, which names it.
    private static func networkDataStandardDeviation(tree: [String: Any], defaults: ExperimentConfiguration) throws -> Double {
        var resolved = defaults
        switch ConfigurationTree.value(at: ["training", "data_standard_deviation"], in: tree) {
        case let number as Double: resolved.training.dataStandardDeviation = number
        case let number as Int: resolved.training.dataStandardDeviation = Double(number)
        case is NSNull: resolved.training.dataStandardDeviation = nil
        default: break
        }
        return try resolved.networkDataStandardDeviation()
    }
}
