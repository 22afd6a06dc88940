import ConsistencyTD
import Foundation

/// The resolved settings of a `train` run, stored in the run folder as `run.json` so that `resume`
/// rebuilds exactly the same learner. Everything a learner needs is here: the preset, the environment
/// spec, the diffusion checkpoint it starts from, the network and optimiser settings, and the toy
/// overrides of the preset (t_max, pair weighting, iCT's final curriculum scale, dropout).
///
/// A run started from an ExperimentKit configuration (`train --config`, `sweep`) has the resolved
/// configuration as `config.yaml` beside this file and ``configurationFile`` set: the fields here then
/// summarise it, and `resume` rebuilds the learner from `config.yaml` (``ConfiguredTraining``) after
/// checking the two agree.
struct TrainingRecipe: Codable, Equatable {
    static let fileName = "run.json"

    var preset: TrainingPreset
    /// Iterations of the run; the curricula and the learning-rate decay are scaled to it.
    var steps: Int
    var seed: UInt64
    var environment: DistributionSpec
    /// The spec file the environment came from (or the built-in default's name).
    var environmentName: String
    /// The pretrained diffusion checkpoint (absolute path) for CD, ECT and SCT.
    var from: String?
    var checkpointEvery: Int
    var width: Int
    var depth: Int
    var batchSize: Int
    var learningRate: Double
    /// `constant`, `cosine:φ` or `linear:φ`.
    var learningRateDecay: String
    var warmupSteps: Int
    /// t_max; nil keeps the preset's (80).
    var maximumTime: Double?
    /// Dropout of the hidden layers; nil keeps the preset's (iCT 0.3, others 0).
    var dropout: Double?
    /// `uniform` replaces the preset's pair weighting; nil keeps it.
    var weighting: String?
    /// iCT/sLCT curriculum's final scale s₁; nil keeps the preset's (1280).
    var finalScale: Int?
    /// `config.yaml` when the run was started from an ExperimentKit configuration (nil: from flags).
    var configurationFile: String? = nil

    /// The learner of the recipe, with every setting checked (Agents validates the configuration).
    /// `resumedCheckpoint`: the run's latest checkpoint when it is being resumed
    /// (``PretrainedDiffusionModel/network(for:path:setting:instruction:resumedCheckpoint:)``).
    func makeLearner(resumedCheckpoint: String? = nil) throws -> any TrainingLearner {
        let source = try EnvironmentSource(spec: environment, name: environmentName)
        let distribution = source.distribution
        let dimension = distribution.dimension
        // σ_d as a configured run gets it: 0.5 for images in [−1, 1], else measured by the learner (METHODS.md §0).
        let dataStandardDeviation = ExperimentConfiguration.defaultDataStandardDeviation(of: distribution)
        let decay = try LearningRateDecayArgument.parse(learningRateDecay)
        guard let method = preset.method else {
            if from != nil {
                throw CommandLineFailure("--from is the pretrained diffusion model of cd, ect and sct; the diffusion preset trains one from scratch")
            }
            // Options of the consistency presets only: refused rather than stored in run.json and ignored.
            for (flag, given) in [("--max-time", maximumTime != nil), ("--weighting", weighting != nil), ("--final-scale", finalScale != nil)] where given {
                throw CommandLineFailure("\(flag) applies to the consistency presets (cd, ct, ict, ect, sct, slct), not diffusion; drop it (the diffusion preset samples t log-normally with EDM weighting)")
            }
            var configuration = DiffusionPretrainingConfiguration(steps: steps, dimension: dimension, width: width, depth: depth)
            if let dropout { configuration.network.dropout = Float(dropout) }
            configuration.seed = seed
            configuration.batchSize = batchSize
            configuration.learningRate = Float(learningRate)
            configuration.learningRateDecay = decay
            configuration.warmupSteps = warmupSteps
            configuration.dataStandardDeviation = dataStandardDeviation
            return try DiffusionPretrainer(configuration: configuration, distribution: distribution)
        }
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: dimension)
        configuration.seed = seed
        configuration.network.width = width
        configuration.network.depth = depth
        if let dropout { configuration.network.dropout = Float(dropout) }
        configuration.batchSize = batchSize
        configuration.learningRate = Float(learningRate)
        configuration.learningRateDecay = decay
        configuration.warmupSteps = warmupSteps
        configuration.dataStandardDeviation = dataStandardDeviation
        if let maximumTime { configuration.maximumTime = maximumTime }
        if let weighting {
            guard weighting == "uniform" else {
                throw CommandLineFailure("pair weighting '\(weighting)' is not valid; expected uniform (or leave it out for the preset's)")
            }
            configuration.weighting = .uniform
        }
        if let finalScale {
            guard case let .improvedConsistency(s0, _, mean, std) = configuration.pairs else {
                throw CommandLineFailure("a final curriculum scale applies to the iCT-style presets (ict, slct), not \(preset.rawValue)")
            }
            configuration.pairs = .improvedConsistency(initialScale: s0, finalScale: finalScale, logMean: mean, logStandardDeviation: std)
        }
        let initial = try PretrainedDiffusionModel.network(
            for: method, path: from, setting: "--from",
            instruction: "pass --from <diffusion checkpoint> (train one with `consistency-td train --preset diffusion`)",
            resumedCheckpoint: resumedCheckpoint)
        return try ConsistencyLearner(configuration: configuration, distribution: distribution, initial: initial,
                                      teacher: method == .cd ? initial : nil)
    }

    /// Writes `run.json` into `folder` (atomically, keys sorted); returns its path.
    @discardableResult
    func write(toRunFolder folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = Self.path(inRunFolder: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    /// Reads the `run.json` of a run folder.
    static func read(runFolder folder: String) throws -> TrainingRecipe {
        let path = Self.path(inRunFolder: folder)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandLineFailure("'\(folder)' is not a consistency-td run folder: it has no \(fileName) (written by `consistency-td train`)")
        }
        do { return try JSONDecoder().decode(TrainingRecipe.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw CommandLineFailure("'\(path)' is not a valid run description: \(error)")
        }
    }

    static func path(inRunFolder folder: String) -> String { (folder as NSString).appendingPathComponent(fileName) }
}
