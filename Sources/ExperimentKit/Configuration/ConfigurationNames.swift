import Agents
import Environments
import NeuralNetworks

/// The names the configuration files use for the Agents and NeuralNetworks choices.
enum ConfigurationNames {
    static let normalizations = ["none", "layer-norm", "layer-norm-without-scale"]
    static let architectures = ["mlp", "unet"]
    static let decays = ["constant", "cosine", "linear"]
    static let policies = ["skip-and-count", "zero-non-finite"]
    static let targets = ["td0", "nstep", "lambda", "monte-carlo"]
    static let targetNetworks = ["stop-gradient", "ema", "ema-curriculum"]
    static let weightings = ["uniform", "inverse-grid-step", "inverse-time-gap", "inverse-squared-time-plus-data", "edm"]
    static let schedules = ["consistency-models", "improved-consistency", "consistency-tuning"]

    static func name(of normalization: TimeConditionedMLPConfiguration.Normalization) -> String {
        switch normalization {
        case .none: return "none"
        case .layerNorm: return "layer-norm"
        case .layerNormWithoutScale: return "layer-norm-without-scale"
        }
    }

    static func normalization(_ name: String) throws -> TimeConditionedMLPConfiguration.Normalization {
        switch name {
        case "none": return .none
        case "layer-norm": return .layerNorm
        case "layer-norm-without-scale": return .layerNormWithoutScale
        default: throw ConfigurationError.unknownName(key: "network.normalization", name: name, valid: normalizations)
        }
    }

    static func name(of weighting: PairWeighting) -> String {
        switch weighting {
        case .uniform: return "uniform"
        case .inverseGridStep: return "inverse-grid-step"
        case .inverseTimeGap: return "inverse-time-gap"
        case .inverseSquaredTimePlusData: return "inverse-squared-time-plus-data"
        case .edm: return "edm"
        }
    }

    /// The estimator called `name` (score-identity with the minibatch as reference).
    static func estimator(_ name: String) throws -> TransitionEstimator {
        guard TransitionEstimator.names.contains(name) else {
            throw ConfigurationError.unknownName(key: "consistency.estimator", name: name, valid: TransitionEstimator.names)
        }
        return try ExperimentConfiguration.agentCall { try TransitionEstimator.named(name) }
    }

    /// The Double closest to the shortest decimal of a Float (0.05 for Float(0.05), not 0.0500000007…),
    /// so that files show what was written and Float(result) == value.
    static func shortestDouble(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    /// The name of a choice's case and the case's default parameters, for the choices whose parameters
    /// depend on the case (``ConfigurationDocument`` swaps them in when a file picks another case).
    static func schedule(_ name: String) -> PairSchedule? {
        switch name {
        case "consistency-models": return .consistencyModels()
        case "improved-consistency": return .improvedConsistency()
        case "consistency-tuning": return .consistencyTuning(progression: .stepwise)
        default: return nil
        }
    }

    static func scheduleName(_ pairs: PairSchedule) -> String {
        switch pairs {
        case .consistencyModels: return "consistency-models"
        case .improvedConsistency: return "improved-consistency"
        case .consistencyTuning: return "consistency-tuning"
        }
    }
}
