import Agents
import Analysis
import Environments
import ExperimentKit
import Foundation
import Tensors
import Testing

@Suite("Experiment configuration: --set overrides, unknown keys, types and validation")
struct ConfigurationOverrideTests {
    func load(_ overrides: [String], text: String = "method: ect") throws -> ExperimentConfiguration {
        try ExperimentConfiguration.load(text: text, source: "test.yaml", overrides: overrides)
    }

    /// The one-line message of the error `body` throws ("" when it does not throw a ConfigurationError).
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch let error as ConfigurationError {
            return error.description
        } catch {
            return "not a ConfigurationError: \(error)"
        }
    }

    @Test("overrides of every value type take effect: float, integer, string, boolean, null, list")
    func overridesOfEachType() throws {
        let configuration = try load([
            "training.learning_rate=3e-4", "network.width=256", "network.depth=3", "environment.modes=16",
            "consistency.metric=squared-l2", "consistency.shares_dropout_mask=false", "training.evaluation_average_rate=null",
            "evaluation.sample_steps=[2, 1]", "evaluation.middle_time=1.5", "training.gradient_clip_norm=2", "seed=11",
        ])
        #expect(configuration.training.learningRate == 3e-4)
        #expect(configuration.network.width == 256)
        #expect(configuration.network.depth == 3)
        #expect(configuration.environment == .ring(RingSpec(modes: 16, radius: 2, std: 0.1)))
        #expect(configuration.consistency?.metric == .squaredL2)
        #expect(configuration.consistency?.sharesDropoutMask == false)
        #expect(configuration.training.evaluationAverageRate == nil)
        #expect(configuration.evaluation.sampleSteps == [2, 1])
        #expect(configuration.evaluation.middleTime == 1.5)
        #expect(configuration.training.gradientClipNorm == 2)
        #expect(configuration.seed == 11)
    }

    @Test("later overrides win over earlier ones and over the file")
    func laterOverridesWin() throws {
        let configuration = try load(["network.width=64", "network.width=32"], text: "method: ect\nnetwork: {width: 512}")
        #expect(configuration.network.width == 32)
    }

    @Test("an unknown --set key is rejected with the nearest valid key suggested")
    func unknownOverrideKeySuggestsNearest() {
        #expect(message { _ = try load(["network.widht=256"]) }
            == "unknown key network.widht in --set network.widht=256; did you mean network.width?")
        #expect(message { _ = try load(["training.learnig_rate=1e-3"]) }.hasSuffix("did you mean training.learning_rate?"))
        #expect(message { _ = try load(["environment.mdoes=4"]) }.hasSuffix("did you mean environment.modes?"))
    }

    @Test("an unknown key in a config file is rejected naming the file, with the suggestion")
    func unknownFileKeySuggestsNearest() {
        #expect(message { _ = try load([], text: "method: ect\ntraining:\n  batch_sise: 64") }
            == "unknown key training.batch_sise in test.yaml; did you mean training.batch_size?")
        #expect(message { _ = try load([], text: "method: ect\nnetwrk: {width: 3}") }.hasPrefix("unknown key netwrk.width in test.yaml"))
    }

    @Test("a key of another case is unknown: c with a metric that has no constant")
    func keysOfOtherCasesAreUnknown() {
        #expect(message { _ = try load(["consistency.metric=l1", "consistency.c=0.1"]) }.hasPrefix("unknown key consistency.c"))
        #expect(message { _ = try load(["pairs.schedule=improved-consistency", "pairs.stage_count=4"]) }.hasPrefix("unknown key pairs.stage_count"))
    }

    @Test("a value of the wrong type names the key, the value and the expected type")
    func wrongTypesAreNamed() {
        #expect(message { _ = try load(["network.width=abc"]) }
            == "network.width = abc (in --set network.width=abc) has the wrong type: expected an integer")
        #expect(message { _ = try load(["network.width=2.5"]) }.hasSuffix("expected an integer"))
        #expect(message { _ = try load(["training.learning_rate=fast"]) }.hasSuffix("expected a number"))
        #expect(message { _ = try load(["consistency.ot_coupling=7"]) }.hasSuffix("expected true or false"))
        #expect(message { _ = try load(["evaluation.sample_steps=one"]) }.contains("expected a list"))
        #expect(message { _ = try load([], text: "method: ect\nnetwork: 5") }.contains("expected a mapping"))
    }

    @Test("unknown names list the valid ones")
    func unknownNamesListValidOnes() {
        #expect(message { _ = try load(["consistency.metric=huber"]) }.hasPrefix("consistency.metric: unknown name 'huber'; valid: squared-l2"))
        #expect(message { _ = try load(["method=dpm"]) }.contains("valid: diffusion, cd, ct, ict, ect, sct, slct"))
        #expect(message { _ = try load(["pairs.schedule=karras"]) }.hasPrefix("pairs.schedule: unknown name 'karras'"))
    }

    @Test("validation: negative sizes, NaN and infinity, zero steps and impossible schedules give one readable line",
          arguments: [
              ("network.width=-4", "network.width = -4 is invalid: expected an integer ≥ 1"),
              ("training.steps=0", "training.steps = 0 is invalid: expected an integer ≥ 1"),
              ("training.batch_size=-1", "training.batch_size = -1 is invalid: expected an integer ≥ 1"),
              ("training.learning_rate=.nan", "training.learning_rate = nan is invalid: expected a finite number > 0"),
              ("training.t_max=.inf", "training.t_max = inf is invalid: expected a finite number > 0"),
              ("training.t_min=100", "training.t_min = 100.0 is invalid: expected t_min < t_max = 80.0"),
              ("pairs.stage_count=0", "pairs.stage_count = 0.0 is invalid: expected a finite number > 0"),
              ("network.dropout=1.5", "network.dropout = 1.5 is invalid: expected 0 ≤ dropout < 1"),
              ("training.warmup_steps=30000", "training.warmup_steps = 30000 is invalid: expected at most training.steps = 20000"),
              ("evaluation.sample_steps=[1, 3]",
               "evaluation.sample_steps = 3 is invalid: expected 1 or 2 steps for a consistency model (2 steps go through evaluation.middle_time)"),
              ("evaluation.middle_time=80", "evaluation.middle_time = 80.0 is invalid: expected t_min = 0.002 < τ < t_max = 80.0"),
          ])
    func validationErrors(override: String, expected: String) {
        let text = message { _ = try load([override]) }
        #expect(text == expected)
        #expect(!text.contains("\n"))
    }

    @Test("evaluation: a diffusion model samples with ≥ 2 Heun grid points; the middle time matters only with 2 steps; no metrics, no evaluation")
    func evaluationSettings() throws {
        #expect(message { _ = try load(["evaluation.sample_steps=[1]"], text: "method: diffusion") }
                    == "evaluation.sample_steps = 1 is invalid: expected Heun grid points ≥ 2 for a diffusion model (EDM: 18)")
        let oneStep = try load(["evaluation.sample_steps=[1]", "evaluation.middle_time=500"])
        #expect(oneStep.evaluation.middleTime == 500)
        let defaults = try load([])
        #expect(defaults.evaluation.middleTime == 0.821 && defaults.evaluation.every == nil)
        let trainer = try defaults.trainerConfiguration(progress: .silent)
        #expect(trainer.evaluateEvery == nil && trainer.evaluatesAtEnd)
        let evaluation = try #require(try defaults.trainingEvaluation())
        #expect(evaluation.samplers == [.consistency(steps: 1, middleTime: 0.821), .consistency(steps: 2, middleTime: 0.821)])
        #expect(evaluation.metrics == TrainingSampleEvaluation.Metric.allCases && evaluation.sampleCount == 4096)
        let diffusion = try #require(try load([], text: "method: diffusion").trainingEvaluation())
        #expect(diffusion.samplers == [.heun(points: 18)])
        let off = try load(["evaluation.metrics=[]", "evaluation.every=5"])
        #expect(try off.trainingEvaluation() == nil)
        let offTrainer = try off.trainerConfiguration(progress: .silent)
        #expect(offTrainer.evaluateEvery == nil && !offTrainer.evaluatesAtEnd)
    }

    @Test("evaluation on a split dataset draws its held-out points from the other part; a dataset used whole warns")
    func evaluationHeldOutPart() throws {
        let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments/Data/digits-8x8.h5").path
        let onTrain = try load(["evaluation.samples=64", "evaluation.metrics=[mmd]"],
                               text: "method: ect\nenvironment: {kind: empirical, path: \(digits), part: train}")
        #expect(onTrain.heldOutEvaluationWarning == nil)
        let evaluation = try #require(try onTrain.trainingEvaluation())
        let test = try EmpiricalDataset(contentsOf: digits, part: .test)
        let train = try EmpiricalDataset(contentsOf: digits, part: .train)
        var stream = RandomStream(seed: onTrain.seed, purpose: TrainingSampleEvaluation.streamPrefix + ".reference")
        #expect(evaluation.reference == test.sample(count: 64, stream: &stream))
        // Every held-out point is a test point (none is drawn from the training part).
        let testRows = Set(stride(from: 0, to: test.points.count, by: test.dimension).map { Array(test.points[$0 ..< $0 + test.dimension]) })
        let referenceRows = stride(from: 0, to: evaluation.reference.count, by: test.dimension).map { evaluation.reference[$0 ..< $0 + test.dimension].map(Float.init) }
        #expect(referenceRows.allSatisfy(testRows.contains))
        #expect(train.count > test.count)

        let whole = try load(["evaluation.samples=64", "evaluation.metrics=[mmd]"], text: "method: ect\nenvironment: {kind: empirical, path: \(digits)}")
        let warning = try #require(whole.heldOutEvaluationWarning)
        #expect(warning.hasPrefix("evaluation: ") && warning.contains("part: all") && warning.contains("part: train"), "\(warning)")
        #expect(try load(["evaluation.metrics=[]"], text: "method: ect\nenvironment: {kind: empirical, path: \(digits)}").heldOutEvaluationWarning == nil)
        #expect(try load([]).heldOutEvaluationWarning == nil)     // the ring: fresh draws are held out
    }

    @Test("an impossible combination from the Agents layer is one line: the EMA curriculum without CM pairs")
    func agentsLayerValidation() {
        let text = message { _ = try load(["consistency.target_network=ema-curriculum"]) }
        #expect(text.hasPrefix("invalid configuration: the curriculum EMA target"))
        #expect(!text.contains("\n"))
    }

    @Test("a missing method, a malformed override and an invalid environment are readable errors")
    func otherBadInput() {
        #expect(message { _ = try load([], text: "seed: 1") }.hasPrefix("method = (missing) is invalid: expected one of diffusion"))
        #expect(message { _ = try load(["network.width"]) }.hasPrefix("invalid override 'network.width'"))
        #expect(message { _ = try load(["environment.std=-1"]) }.hasPrefix("invalid configuration: environment"))
        #expect(message { _ = try load([], text: "method: [unclosed") }.hasPrefix("cannot read configuration test.yaml"))
    }
}
