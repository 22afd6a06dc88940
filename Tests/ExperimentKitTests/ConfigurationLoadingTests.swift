import Agents
import Environments
import ExperimentKit
import Foundation
import Testing

@Suite("Experiment configuration: loading, defaults and round trip")
struct ConfigurationLoadingTests {
    static let yamlText = """
        experiment: ring-lr
        method: ict
        seed: 7
        environment:
          kind: ring
          modes: 16
          radius: 3
          std: 0.05
        network:
          width: 128
          dropout: 0.1
        training:
          steps: 500
          learning_rate: 3e-4
          learning_rate_decay: cosine
        consistency:
          target: nstep
          target_n: 3
          metric: cauchy
          c: 0.01
        pairs:
          final_scale: 640
        """

    static let jsonText = """
        {"experiment": "ring-lr", "method": "ict", "seed": 7,
         "environment": {"kind": "ring", "modes": 16, "radius": 3, "std": 0.05},
         "network": {"width": 128, "dropout": 0.1},
         "training": {"steps": 500, "learning_rate": 3e-4, "learning_rate_decay": "cosine"},
         "consistency": {"target": "nstep", "target_n": 3, "metric": "cauchy", "c": 0.01},
         "pairs": {"final_scale": 640}}
        """

    @Test("a YAML file sets exactly the values it names; the rest are the preset's")
    func yamlValuesAndPresetDefaults() throws {
        let configuration = try ExperimentConfiguration.load(text: Self.yamlText)
        #expect(configuration.experiment == "ring-lr")
        #expect(configuration.method == .consistency(.ict))
        #expect(configuration.seed == 7)
        #expect(configuration.environment == .ring(RingSpec(modes: 16, radius: 3, std: 0.05)))
        #expect(configuration.network.width == 128)
        #expect(configuration.network.depth == 4)
        #expect(configuration.network.dropout == 0.1)
        #expect(configuration.training.steps == 500)
        #expect(configuration.training.learningRate == 3e-4)
        #expect(configuration.training.learningRateDecay == .cosine(finalFraction: 0.05))
        #expect(configuration.training.optimizer == .radam)
        #expect(configuration.consistency?.target == .nStep(3))
        #expect(configuration.consistency?.metric == .cauchy(c: 0.01))
        #expect(configuration.consistency?.weighting == .inverseGridStep)
        #expect(configuration.pairs == .improvedConsistency(initialScale: 10, finalScale: 640))
    }

    @Test("the same settings in JSON resolve to the same configuration as in YAML")
    func jsonEqualsYAML() throws {
        let fromJSON = try ExperimentConfiguration.load(text: Self.jsonText)
        let fromYAML = try ExperimentConfiguration.load(text: Self.yamlText)
        #expect(fromJSON == fromYAML)
    }

    @Test("files are read by extension: .json as JSON, .yaml as YAML")
    func filesByExtension() throws {
        try withTemporaryDirectory { directory in
            let jsonPath = directory + "/config.json", yamlPath = directory + "/config.yaml"
            try Self.jsonText.write(toFile: jsonPath, atomically: true, encoding: .utf8)
            try Self.yamlText.write(toFile: yamlPath, atomically: true, encoding: .utf8)
            #expect(try ExperimentConfiguration.load(contentsOfFile: jsonPath) == ExperimentConfiguration.load(contentsOfFile: yamlPath))
            #expect(throws: ConfigurationError.self) { try ExperimentConfiguration.load(contentsOfFile: directory + "/missing.yaml") }
        }
    }

    @Test("method alone gives the preset of METHODS.md §6 on the default ring of 8", arguments: ConsistencyMethod.allCases)
    func defaultsAreThePreset(method: ConsistencyMethod) throws {
        let configuration = try ExperimentConfiguration.load(text: "method: \(method.rawValue)")
        #expect(configuration.environment == ExperimentConfiguration.defaultEnvironment)
        let preset = try ConsistencyTrainingConfiguration.preset(method, steps: ExperimentConfiguration.defaultSteps, dimension: 2)
        #expect(try configuration.consistencyTrainingConfiguration().json == preset.json)
    }

    @Test("method diffusion gives the EDM pretraining defaults of METHODS.md §7")
    func diffusionDefaults() throws {
        let configuration = try ExperimentConfiguration.load(text: "method: diffusion\ntraining: {steps: 300}")
        let preset = DiffusionPretrainingConfiguration(steps: 300, dimension: 2)
        #expect(try configuration.diffusionPretrainingConfiguration().json == preset.json)
        #expect(configuration.consistency == nil && configuration.pairs == nil)
    }

    @Test("the resolved YAML reads back to an equal configuration", arguments: ExperimentMethod.names)
    func resolvedYAMLRoundTrips(method: String) throws {
        let configuration = try ExperimentConfiguration.load(
            text: "method: \(method)", overrides: ["training.learning_rate=0.00031", "environment.std=0.07", "seed=3"])
        let yaml = try configuration.yaml()
        let again = try ExperimentConfiguration.load(text: yaml, source: "config.yaml")
        #expect(again == configuration)
        #expect(try again.yaml() == yaml)
    }

    @Test("round trip keeps non-default cases: score identity with a reference size, TD(λ), EMA target, EDM weighting")
    func nonDefaultCasesRoundTrip() throws {
        let configuration = try ExperimentConfiguration.load(text: "method: sct", overrides: [
            "consistency.reference_size=128", "consistency.target=lambda", "consistency.target_lambda=0.7",
            "consistency.target_network=ema", "consistency.weighting=edm", "training.gradient_clip_norm=1.5",
            "pairs.schedule=consistency-models", "pairs.fixed_point_count=18", "training.non_finite_policy=zero-non-finite",
        ])
        #expect(configuration.consistency?.estimator == .scoreIdentity(referenceSize: 128))
        #expect(configuration.consistency?.target == .lambda(0.7, horizon: 8))
        #expect(configuration.consistency?.targetNetwork == .ema(rate: 0.95))
        let ringSigma = Preconditioning.measuredDataStandardDeviation(of: try ExperimentConfiguration.defaultEnvironment.makeDistribution())
        #expect(configuration.consistency?.weighting == .edm(dataStandardDeviation: ringSigma))
        #expect(configuration.pairs == .consistencyModels(fixedPointCount: 18))
        #expect(configuration.training.nonFinitePolicy == .zeroNonFinite)
        let again = try ExperimentConfiguration.load(text: try configuration.yaml())
        #expect(again == configuration)
    }

    @Test("pairs.ema_rate_denominator: N − 1 (the code) by default, N (the paper) when asked; μ(k) follows; old files read as N − 1")
    func emaRateDenominator() throws {
        let code = try ExperimentConfiguration.load(text: "method: ct")
        let paper = try ExperimentConfiguration.load(text: "method: ct", overrides: ["pairs.ema_rate_denominator=grid-points"])
        #expect(code.pairs == .consistencyModels(emaRateDenominator: .gridPointsMinusOne))
        #expect(paper.pairs == .consistencyModels(emaRateDenominator: .gridPoints))
        // N(0) = s0 = 2 grid points: μ(0) = exp(2 ln 0.9 / 1) = 0.81 (code) and exp(2 ln 0.9 / 2) = 0.9 (paper).
        for (configuration, expected) in [(code, 0.81), (paper, 0.9)] {
            let training = try configuration.consistencyTrainingConfiguration()
            let sampler = try #require(try training.pairs.makeSampler(totalIterations: training.steps, minimumTime: training.minimumTime,
                                                                       maximumTime: training.maximumTime) as? ConsistencyModelPairSampler)
            #expect(abs(sampler.emaRate(iteration: 0) - expected) < 1e-12)
        }
        #expect(try paper.yaml().contains("ema_rate_denominator: \"grid-points\"\n"))
        #expect(try ExperimentConfiguration.load(text: try paper.yaml()) == paper)
        let withoutKey = try code.yaml().split(separator: "\n").filter { !$0.contains("ema_rate_denominator") }.joined(separator: "\n")
        #expect(try ExperimentConfiguration.load(text: withoutKey) == code)
        do {
            _ = try ExperimentConfiguration.load(text: "method: ct", overrides: ["pairs.ema_rate_denominator=n"])
            Issue.record("an unknown denominator was accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("grid-points-minus-one") && error.description.contains("grid-points"))
        }
    }

    @Test("pairs.initial_ema_rate must lie strictly inside (0, 1): μ0 = 0 would make ln μ0 infinite")
    func initialEMARateBounds() {
        for value in ["0", "1", ".nan"] {
            do {
                _ = try ExperimentConfiguration.load(text: "method: ct", overrides: ["pairs.initial_ema_rate=\(value)"])
                Issue.record("μ0 = \(value) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.description.hasPrefix("pairs.initial_ema_rate = ") && error.description.contains("0 < μ₀ < 1"))
            } catch {
                Issue.record("not a ConfigurationError: \(error)")
            }
        }
    }

    @Test("a mixture environment given by kind replaces the default ring and round-trips")
    func mixtureEnvironment() throws {
        let text = """
            method: ect
            environment: {kind: gaussian-mixture, weights: [1, 3], means: [[-1, 0, 0.5], [1, 0, 0.25]], stds: [0.1, 0.2]}
            """
        let configuration = try ExperimentConfiguration.load(text: text)
        #expect(try configuration.dataDimension() == 3)
        #expect(try configuration.consistencyTrainingConfiguration().network.dataDimension == 3)
        #expect(try ExperimentConfiguration.load(text: try configuration.yaml()) == configuration)
    }

    /// `train --config FILE --environment SPEC`: the environment used to be swapped in after resolving,
    /// keeping the evaluation metrics, the pseudo-Huber c and the experiment name of FILE's environment.
    @Test("replacing the environment resolves exactly as a file naming that environment (metrics, Huber c, name)",
          arguments: [
            #"{"kind": "gaussian-mixture", "weights": [1, 3], "means": [[-1, 0, 0.5], [1, 0, 0.25]], "stds": [0.1, 0.2]}"#,
            #"{"kind": "two-moons"}"#,
          ])
    func replacingTheEnvironment(spec: String) throws {
        let replacement = try DistributionSpec.decode(json: Data(spec.utf8))
        for method in ["ict", "ect", "diffusion"] {
            let replaced = try ConfigurationDocument(text: "method: \(method)\nseed: 4", source: "file.yaml")
                .replacingEnvironment(with: replacement).resolve()
            let named = try ConfigurationDocument(text: "method: \(method)\nseed: 4\nenvironment: \(spec)", source: "file.yaml").resolve()
            #expect(replaced == named, "\(method) with \(spec)")
            #expect(replaced.environment == replacement)
        }
        // The replacement wins over the file's own environment and over --set environment.… overrides.
        let overridden = try ConfigurationDocument(text: "method: ict\nenvironment: {kind: ring, modes: 16}", source: "file.yaml")
            .applying(settings: ["environment.radius=3"]).replacingEnvironment(with: replacement).resolve()
        #expect(overridden.environment == replacement)
        #expect(overridden == (try ConfigurationDocument(text: "method: ict\nenvironment: \(spec)", source: "file.yaml").resolve()))
        // What the old swap after resolving gave (the ring's defaults with the new environment) is not it.
        var swapped = try ConfigurationDocument(text: "method: ict", source: "file.yaml").resolve()
        swapped.environment = replacement
        #expect(swapped != overridden)
    }

    /// YAML parsers keep the last of two equal keys; a second `training:` block used to drop the first
    /// block's `steps` without a word.
    @Test("a key repeated in one mapping is an error naming the key and both lines, at any depth and in JSON")
    func repeatedKeysAreRejected() throws {
        func message(_ text: String) -> String {
            do { _ = try ExperimentConfiguration.load(text: text); return "no error" } catch { return "\(error)" }
        }
        let repeatedBlock = message("method: ect\ntraining:\n  steps: 500\ntraining:\n  batch_size: 64\n")
        #expect(repeatedBlock.contains("the key 'training' appears twice in one mapping (lines 2 and 4)"), "\(repeatedBlock)")
        let repeatedInside = message("method: ect\ntraining:\n  steps: 500\n  steps: 600\n")
        #expect(repeatedInside.contains("the key 'steps' appears twice"), "\(repeatedInside)")
        let repeatedJSON = message(#"{"method": "ect", "seed": 1, "seed": 2}"#)
        #expect(repeatedJSON.contains("the key 'seed' appears twice"), "\(repeatedJSON)")
        // The same key in different mappings is fine.
        let nested = try #require(try YAMLLoading.load("a: {x: 1}\nb: {x: 2}\n") as? [String: Any])
        #expect((nested["a"] as? [String: Any])?["x"] as? Int == 1 && (nested["b"] as? [String: Any])?["x"] as? Int == 2)
    }

    @Test("seeds from 2⁶³ to 2⁶⁴ − 1 are read exactly from YAML, JSON and --set, and survive config.yaml")
    func seedsAboveIntMaximum() throws {
        for seed: UInt64 in [1 << 63, (1 << 63) + 1, UInt64.max - 1, UInt64.max] {
            let fromYAML = try ExperimentConfiguration.load(text: "method: ict\nseed: \(seed)")
            let fromJSON = try ExperimentConfiguration.load(text: "{\"method\": \"ict\", \"seed\": \(seed)}")
            let fromOverride = try ExperimentConfiguration.load(text: "method: ict", overrides: ["seed=\(seed)"])
            #expect(fromYAML.seed == seed && fromJSON.seed == seed && fromOverride.seed == seed)
            let written = try fromYAML.yaml()
            #expect(try ExperimentConfiguration.load(text: written).seed == seed, "\(written)")
        }
        // Still refused: negative seeds and seeds beyond 2⁶⁴ − 1.
        for text in ["method: ict\nseed: -1", "method: ict\nseed: 18446744073709551616", "{\"method\": \"ict\", \"seed\": 18446744073709551616}"] {
            #expect(throws: ConfigurationError.self, "\(text)") { try ExperimentConfiguration.load(text: text) }
        }
        // An integer that large where an Int is expected says so.
        do {
            _ = try ExperimentConfiguration.load(text: "method: ict\ntraining: {steps: 9223372036854775808}")
            Issue.record("steps = 2⁶³ was accepted")
        } catch {
            #expect("\(error)".contains("training.steps") && "\(error)".contains("an integer"), "\(error)")
        }
    }
}
