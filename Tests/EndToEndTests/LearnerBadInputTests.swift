import Agents
import Environments
import Testing

/// DESIGN.md §7 for learners: bad settings fail before training starts, saying what is wrong and what
/// would be right.
@Suite("Learner bad input")
struct LearnerBadInputTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("unknown preset and estimator names list the valid ones")
    func unknownNames() {
        let preset = Self.message { _ = try ConsistencyMethod.named("ctt") }
        #expect(preset.contains("ctt") && preset.contains("ict") && preset.contains("slct"))
        // Every name the message lists is accepted (diffusion pretraining is not a consistency method).
        #expect(!preset.contains("diffusion"))
        #expect(throws: AgentError.self) { try ConsistencyMethod.named("diffusion") }
        let estimator = Self.message { _ = try TransitionEstimator.named("score") }
        #expect(estimator.contains("score-identity") && estimator.contains("teacher-heun") && estimator.contains("empirical-exact"))
        let target = Self.message { _ = try TDTarget.named("td1") }
        #expect(target.contains("nstep-<n>"))
    }

    @Test("validate() refuses a Cauchy c = 0 and an adaptive constant c₀ = 0 (they used to pass it and fail only in the learner)")
    func metricConstantsAreValidated() throws {
        var cauchy = try ConsistencyTrainingConfiguration.preset(.slct, steps: 10, dimension: 2)
        cauchy.metric = .cauchy(c: 0)
        #expect { try cauchy.validate() } throws: { "\($0)".contains("cauchy") && "\($0)".contains("c > 0") }
        var ict = try ConsistencyTrainingConfiguration.preset(.ict, steps: 10, dimension: 2)
        ict.metric = .pseudoHuber(c: 0)
        ict.adaptsMetricConstant = true
        #expect { try ict.validate() } throws: { "\($0)".contains("c₀ > 0") }
        ict.metric = .pseudoHuber(c: 0.001)
        try ict.validate()
    }

    @Test("a teacher estimator without a teacher fails before training")
    func teacherWithoutTeacher() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 10, dimension: 2)
        configuration.estimator = .teacher(.heun)
        let text = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: Self.ring) }
        #expect(text.contains("teacher") && text.contains("none was given"))
    }

    @Test("tuning methods without a pretrained diffusion model fail before training")
    func tuningWithoutInitialNetwork() throws {
        for method in [ConsistencyMethod.ect, .sct, .cd] {
            let configuration = try ConsistencyTrainingConfiguration.preset(method, steps: 10, dimension: 2)
            let text = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: Self.ring) }
            #expect(text.contains("pretrained diffusion model"), "\(method): \(text)")
        }
    }

    @Test("the empirical-exact estimator on data without stored samples, and a reference larger than the dataset, fail")
    func scoreIdentityReferences() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 10, dimension: 2)
        configuration.estimator = .empiricalExact
        let noSamples = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: Self.ring) }
        #expect(noSamples.contains("finite dataset with samples"))
        let dataset = try EmpiricalDataset(points: [0, 1, 1, 0, -1, 0, 0, -1], dimension: 2)
        configuration.estimator = .scoreIdentity(referenceSize: 5)
        let tooLarge = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: dataset) }
        #expect(tooLarge.contains("reference size 5") && tooLarge.contains("4 points"))
        configuration.estimator = .exact
        let notClosedForm = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: try TwoMoons()) }
        #expect(notClosedForm.contains("closed-form"))
    }

    @Test("a zero or negative step count, batch size or learning rate fails with the setting's name")
    func impossibleNumbers() throws {
        for steps in [0, -3] {
            let configuration = try? ConsistencyTrainingConfiguration.preset(.ict, steps: steps, dimension: 2)
            if let configuration {
                let text = Self.message { _ = try ConsistencyLearner(configuration: configuration, distribution: Self.ring) }
                #expect(text.contains("steps = \(steps)"))
            }
        }
        var configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: 10, dimension: 2)
        configuration.batchSize = 0
        #expect(Self.message { try configuration.validate() }.contains("batch size = 0"))
        configuration.batchSize = 8
        configuration.learningRate = -1
        #expect(Self.message { try configuration.validate() }.contains("learning rate"))
        let diffusion = DiffusionPretrainingConfiguration(steps: 0, dimension: 2)
        #expect(Self.message { try diffusion.validate() }.contains("steps = 0"))
        let wrongDimension = try ConsistencyTrainingConfiguration.preset(.ict, steps: 10, dimension: 3)
        #expect(Self.message { _ = try ConsistencyLearner(configuration: wrongDimension, distribution: Self.ring) }.contains("dimension"))
    }
}
