@testable import Agents
import Environments
import Foundation
import NeuralNetworks
import Tensors
import Testing

/// Two overlapping classes of 4×4 "images": class 0 around +0.4, class 1 around −0.4 (per-pixel noise
/// 0.3), so at t ≈ 1 an unrestricted score identity mixes both classes visibly.
func twoClassImages(count: Int = 48, seed: UInt64 = 5) throws -> EmpiricalDataset {
    var stream = RandomStream(seed: seed, purpose: "two-class-images")
    var points = [Float](), labels = [Int32]()
    for i in 0..<count {
        let label = Int32(i % 2)
        labels.append(label)
        for _ in 0..<16 { points.append(Float((label == 0 ? 0.4 : -0.4) + 0.3 * stream.nextNormal())) }
    }
    return try EmpiricalDataset(points: points, dimension: 16, labels: labels, pointShape: [1, 4, 4])
}

/// A 1×4×4 U-Net, one level of 4 channels, 2 groups, `classes` classes.
func tinyUNet(classes: Int) -> TimeConditionedUNetConfiguration {
    TimeConditionedUNetConfiguration(height: 4, width: 4, channelWidths: [4], blocksPerLevel: 1, groups: 2,
                                     embedding: .positional(features: 8, maxFrequency: 1000), embeddingWidth: 8, classCount: classes)
}

/// A class-conditional teacher whose denoiser is the class's constant c_y = 0.25·(y + 1) in every
/// coordinate (c = 0.25·(K + 1) for the null class K), so its Euler and Heun steps have closed forms.
struct ClassConstantTeacher: RowTimeDenoiser {
    let dimension: Int
    let classCount: Int
    func denoise(_ points: [Double], times: [Double]) throws -> [Double] {
        try denoise(points, times: times, labels: nil)
    }
    func denoise(_ points: [Double], times: [Double], labels: [Int32]?) throws -> [Double] {
        (0..<points.count).map { i in 0.25 * Double((labels?[i / dimension]).map { Int($0) } ?? classCount) + 0.25 }
    }
}

@Suite("Class-conditional TD targets")
struct ClassConditionalTargetTests {
    /// Brute force: D̂_i = Σ_{j ∈ refs, y_j = y_i} softmax_j(−‖x_i − x₀ʲ‖²/2t_i²) x₀ʲ (all refs when
    /// `restricted` is false), then x̂_r = x_t + (r − t)(x_t − D̂)/t (D̂ when r = 0).
    static func oracle(states: [Double], times: [Double], targetTimes: [Double], labels: [Int32],
                       references: [Double], referenceLabels: [Int32], dimension d: Int, restricted: Bool = true) -> [Double] {
        var result = [Double]()
        for i in times.indices {
            let x = Array(states[(i * d)..<((i + 1) * d)])
            var logits = [Double](), members = [Int]()
            for j in referenceLabels.indices where !restricted || referenceLabels[j] == labels[i] {
                var s = 0.0
                for k in 0..<d { let e = x[k] - references[j * d + k]; s += e * e }
                logits.append(-s / (2 * times[i] * times[i])); members.append(j)
            }
            let m = logits.max()!
            let e = logits.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
            var denoised = [Double](repeating: 0, count: d)
            for (w, j) in zip(e, members) { for k in 0..<d { denoised[k] += w / total * references[j * d + k] } }
            let t = times[i], r = targetTimes[i]
            for k in 0..<d { result.append(r == 0 ? denoised[k] : x[k] + (r - t) * (x[k] - denoised[k]) / t) }
        }
        return result
    }

    static func configuration(estimator: TransitionEstimator, classes: Int = 2, labelDropout: Double = 0) throws -> ConsistencyTrainingConfiguration {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 10, dimension: 16)
        configuration.unet = tinyUNet(classes: classes)
        configuration.batchSize = 24
        configuration.seed = 9
        configuration.estimator = estimator
        configuration.target = .td0
        configuration.dataStandardDeviation = 0.5
        configuration.labelDropout = labelDropout
        return configuration
    }

    /// The learner computes score-identity targets with the Float32 kernel (``ScoreIdentityTransition``):
    /// points of size ≈ 0.5 agree with the Double oracle to a few Float ulps (≈ 3·10⁻⁸ each), while the
    /// wrong reference set moves them by more than 10⁻³.
    static let float32Tolerance = 1e-6

    static func maximumDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test("the learner's score-identity TD(0) target for a class-conditional network weights only same-class minibatch references")
    func scoreIdentityTargetUsesOnlySameClass() throws {
        let data = try twoClassImages()
        let learner = try ConsistencyLearner(configuration: Self.configuration(estimator: .scoreIdentity(referenceSize: nil)), distribution: data)
        for k in [0, 3, 7] {
            let pairs = try learner.preparePairs(iteration: k)
            let labels = try #require(pairs.labels), x0 = try #require(pairs.cleanData)
            #expect(Set(labels) == [0, 1])
            let expected = Self.oracle(states: pairs.states, times: pairs.times, targetTimes: pairs.targetTimes, labels: labels,
                                       references: x0, referenceLabels: labels, dimension: 16)
            let unrestricted = Self.oracle(states: pairs.states, times: pairs.times, targetTimes: pairs.targetTimes, labels: labels,
                                           references: x0, referenceLabels: labels, dimension: 16, restricted: false)
            #expect(pairs.bootstrapPoints.count == expected.count)
            #expect(Self.maximumDifference(pairs.bootstrapPoints, expected) < Self.float32Tolerance)
            // The test can fail: mixing in the other class moves the target by far more than the tolerance.
            #expect(Self.maximumDifference(unrestricted, expected) > 1e-3)
        }
    }

    @Test("with an extra reference pool, the conditional score identity weights only the query's own x₀ and same-class pool draws")
    func pooledScoreIdentityUsesOnlySameClass() throws {
        let data = try twoClassImages()
        let learner = try ConsistencyLearner(configuration: Self.configuration(estimator: .scoreIdentity(referenceSize: 9)), distribution: data)
        let k = 2
        let pairs = try learner.preparePairs(iteration: k)
        let labels = try #require(pairs.labels), x0 = try #require(pairs.cleanData)
        var stream = RandomStream(seed: 9, purpose: "reference", index: UInt64(k))
        let (pool, poolLabelsOptional) = TrainingDraws.sample(data, count: 8, stream: &stream)
        let poolLabels = try #require(poolLabelsOptional)
        var expected = [Double]()
        for i in labels.indices {
            let row = (i * 16)..<((i + 1) * 16)
            expected += Self.oracle(states: Array(pairs.states[row]), times: [pairs.times[i]], targetTimes: [pairs.targetTimes[i]],
                                    labels: [labels[i]], references: Array(x0[row]) + pool, referenceLabels: [labels[i]] + poolLabels,
                                    dimension: 16)
        }
        #expect(Self.maximumDifference(pairs.bootstrapPoints, expected) < Self.float32Tolerance)
    }

    @Test("the empirical-exact target of a class-conditional network is the class-conditional empirical denoiser over the whole training set")
    func empiricalExactTargetUsesOnlySameClass() throws {
        let data = try twoClassImages()
        let learner = try ConsistencyLearner(configuration: Self.configuration(estimator: .empiricalExact), distribution: data)
        let pairs = try learner.preparePairs(iteration: 1)
        let labels = try #require(pairs.labels)
        let expected = Self.oracle(states: pairs.states, times: pairs.times, targetTimes: pairs.targetTimes, labels: labels,
                                   references: data.points.map { Double($0) }, referenceLabels: try #require(data.labels), dimension: 16)
        #expect(Self.maximumDifference(pairs.bootstrapPoints, expected) < Self.float32Tolerance)
    }

    @Test("rows whose label is dropped to the null class get the unconditional score-identity target; the rest stay class-conditional")
    func droppedRowsGetTheUnconditionalTarget() throws {
        let data = try twoClassImages()
        let learner = try ConsistencyLearner(configuration: Self.configuration(estimator: .scoreIdentity(referenceSize: nil), labelDropout: 0.5),
                                             distribution: data)
        let pairs = try learner.preparePairs(iteration: 4)
        let networkLabels = try #require(pairs.labels), x0 = try #require(pairs.cleanData)
        var stream = RandomStream(seed: 9, purpose: "data", index: 4)
        let trueLabels = try #require(TrainingDraws.sample(data, count: 24, stream: &stream).1)
        let dropped = networkLabels.indices.filter { networkLabels[$0] == 2 }
        #expect(!dropped.isEmpty && dropped.count < 24)
        let conditional = Self.oracle(states: pairs.states, times: pairs.times, targetTimes: pairs.targetTimes, labels: trueLabels,
                                      references: x0, referenceLabels: trueLabels, dimension: 16)
        let unconditional = Self.oracle(states: pairs.states, times: pairs.times, targetTimes: pairs.targetTimes, labels: trueLabels,
                                        references: x0, referenceLabels: trueLabels, dimension: 16, restricted: false)
        for row in 0..<24 {
            let slice = (row * 16)..<((row + 1) * 16)
            let expected = dropped.contains(row) ? unconditional : conditional
            #expect(Self.maximumDifference(Array(pairs.bootstrapPoints[slice]), Array(expected[slice])) < Self.float32Tolerance, "row \(row)")
            if !dropped.contains(row) { #expect(networkLabels[row] == trueLabels[row]) }
        }
    }

    @Test("a class-conditional teacher gets each row's label in both Heun evaluations (closed-form steps of a class-constant denoiser)")
    func teacherGetsTheLabels() throws {
        let data = try twoClassImages()
        let teacher = ClassConstantTeacher(dimension: 16, classCount: 2)
        for solver in [TeacherSolver.euler, .heun] {
            let learner = try ConsistencyLearner(configuration: Self.configuration(estimator: .teacher(solver)), distribution: data, teacher: teacher)
            let pairs = try learner.preparePairs(iteration: 2)
            let labels = try #require(pairs.labels)
            // D ≡ c: Euler gives x + (r − t)(x − c)/t; Heun's second velocity (x′ − c)/r makes the exact
            // step c + (r/t)(x − c) (both equal it when D is constant along the path).
            var expected = [Double]()
            for row in labels.indices {
                let c = 0.25 * Double(labels[row]) + 0.25, t = pairs.times[row], r = pairs.targetTimes[row]
                for j in 0..<16 {
                    let x = pairs.states[row * 16 + j]
                    expected.append(x + (r - t) * (x - c) / t)
                }
            }
            #expect(Self.maximumDifference(pairs.bootstrapPoints, expected) < 1e-9, "\(solver)")
        }
    }

    @Test("a class-conditional student refuses an unconditional or differently-sized teacher and the exact estimator, saying why")
    func incompatibleConditionalSettingsFail() throws {
        let data = try twoClassImages()
        #expect { try ConsistencyLearner(configuration: Self.configuration(estimator: .teacher(.euler)), distribution: data,
                                         teacher: ClassConstantTeacher(dimension: 16, classCount: 3)) } throws: { error in
            "\(error)".contains("classCount = 3") && "\(error)".contains("class-conditional teacher")
        }
        #expect { try ConsistencyLearner(configuration: Self.configuration(estimator: .exact), distribution: data) } throws: { error in
            "\(error)".contains("exact estimator") && "\(error)".contains("class-conditional")
        }
        let unconditional = TeacherTransition(teacher: ClosedFormTeacher(data, dimension: 16), solver: .euler, labels: [0])
        #expect { try unconditional.advance([Double](repeating: 0, count: 16), times: [1], targetTimes: [0.5]) } throws: { error in
            "\(error)".contains("unconditional") && "\(error)".contains("class labels")
        }
    }
}
