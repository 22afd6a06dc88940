@testable import Agents
import Analysis
import Environments
import Replay
import Tensors
import Testing

/// The "fresh vs replay" switch: a learner drawing its TD pairs from stored PF-ODE episodes
/// (``PairSource/replay(_:)``) instead of fresh conditional samples.
@Suite("Training from replayed episodes", .serialized)
struct ReplayTrainingTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
    static let maximumTime = 20.0

    /// 2 048 exact-policy episodes (Dormand–Prince on f*) of the ring on an 18-step Karras grid up to t = 20.
    static let buffer: ReplayBuffer = {
        let environment = try! DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 19, maximum: maximumTime))
        let exact = try! ExactValue(distribution: ring, minimumTime: environment.minimumTime)
        var buffer = try! ReplayBuffer(capacity: 2048, environment: environment)
        try! buffer.fill(from: EpisodeRollout(environment: environment), policy: SolverPolicy(solver: exact.solver, denoiser: ring),
                         runSeed: 11, count: 2048)
        return buffer
    }()

    static func configuration(steps: Int, target: TDTarget = .td0, source: PairSource = .replay(.uniform)) throws -> ConsistencyTrainingConfiguration {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: steps, dimension: 2)
        configuration.network.width = 128
        configuration.network.depth = 3
        configuration.network.dropout = 0
        configuration.batchSize = 256
        configuration.learningRate = 1e-3
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.maximumTime = maximumTime
        configuration.target = target
        configuration.pairSource = source
        return configuration
    }

    static func quality(_ model: some ConsistencyFunction) throws -> GaussianMixtureSampleQuality {
        var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
        let samples = try ConsistencySampler(model: model, maximumTime: maximumTime).sample(count: 4096, stream: &stream)
        var dataStream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
        return try GaussianMixtureSampleQuality(samples: samples, mixture: ring, dataSampleCount: 20_000, stream: &dataStream)
    }

    @Test("replayed pairs are stored states: x_t and the bootstrap state lie on one episode, n steps apart, and terminal windows return the stored final state")
    func replayedPairsComeFromEpisodes() throws {
        for n in [1, 3] {
            let learner = try ConsistencyLearner(configuration: try Self.configuration(steps: 10, target: n == 1 ? .td0 : .nStep(n)),
                                                 distribution: Self.ring, replay: Self.buffer)
            let pairs = try learner.preparePairs(iteration: 4)
            let times = Self.buffer.times
            var terminalRows = 0
            for row in 0..<256 {
                let k = try #require(times.firstIndex(of: pairs.times[row]))
                #expect(pairs.targetTimes[row] == times[k + 1])
                #expect(pairs.bootstrapTimes[row] == times[min(k + n, times.count - 1)])
                let state = Array(pairs.states[(2 * row)..<(2 * row + 2)])
                let bootstrap = Array(pairs.bootstrapPoints[(2 * row)..<(2 * row + 2)])
                let episode = try #require(Self.buffer.episodes.first { e in
                    (0..<2).allSatisfy { Double(e.observations[2 * k + $0]) == state[$0] }
                })
                let end = min(k + n, times.count - 1)
                #expect((0..<2).allSatisfy { Double(episode.observations[2 * end + $0]) == bootstrap[$0] })
                if end == times.count - 1 { terminalRows += 1 }
            }
            // Bootstrap values of 7 everywhere: non-terminal rows return them, terminal rows their stored x_{t_min}.
            let returns = try pairs.assemble([Double](repeating: 7, count: pairs.bootstrapPoints.count))
            for row in 0..<256 {
                let terminal = pairs.bootstrapTimes[row] == times.last!
                for j in 0..<2 { #expect(returns[2 * row + j] == (terminal ? pairs.bootstrapPoints[2 * row + j] : 7)) }
            }
            #expect(terminalRows > 0)
        }
    }

    @Test("replay with n-step n = 1 is TD(0): identical pairs and returns")
    func nStepOneIsTDZero() throws {
        let a = try ConsistencyLearner(configuration: try Self.configuration(steps: 10, target: .td0), distribution: Self.ring, replay: Self.buffer)
        let b = try ConsistencyLearner(configuration: try Self.configuration(steps: 10, target: .nStep(1)), distribution: Self.ring, replay: Self.buffer)
        let pa = try a.preparePairs(iteration: 2), pb = try b.preparePairs(iteration: 2)
        #expect(pa.states == pb.states && pa.times == pb.times && pa.bootstrapPoints == pb.bootstrapPoints && pa.bootstrapTimes == pb.bootstrapTimes)
        let values = (0..<pa.bootstrapPoints.count).map { Double($0) }
        #expect(try pa.assemble(values) == pb.assemble(values))
    }

    @Test("training from exact-policy replay is deterministic and learns the ring: 8/8 modes, 1-step NLL gap down at least fivefold (measured 150 → 16 in 3 000 steps)")
    func trainingFromReplayLearns() throws {
        let steps = 3000
        let learner = try ConsistencyLearner(configuration: try Self.configuration(steps: steps), distribution: Self.ring, replay: Self.buffer)
        let twin = try ConsistencyLearner(configuration: try Self.configuration(steps: steps), distribution: Self.ring, replay: Self.buffer)
        let initial = try Self.quality(learner.online)
        for k in 0..<steps {
            _ = try learner.trainStep()
            if k < 20 { _ = try twin.trainStep() }
            if k == 19 {
                #expect(Array(UnsafeBufferPointer(start: learner.online.store.values, count: learner.online.store.count))
                    == Array(UnsafeBufferPointer(start: twin.online.store.values, count: twin.online.store.count)))
            }
        }
        let final = try Self.quality(try learner.averagedNetwork())
        let before = initial.negativeLogLikelihoodGap ?? .infinity, after = final.negativeLogLikelihoodGap ?? .infinity
        #expect(final.coveredModeCount == 8, "\(final)")
        #expect(after * 5 < before, "gap \(before) → \(after)")
    }

    @Test("bad replay settings fail before training with a message")
    func badReplaySettings() throws {
        func message(_ body: () throws -> Void) -> String { do { try body(); return "" } catch { return "\(error)" } }
        let missing = message { _ = try ConsistencyLearner(configuration: try Self.configuration(steps: 10), distribution: Self.ring) }
        #expect(missing.contains("non-empty replay buffer"))
        let lambda = message { _ = try Self.configuration(steps: 10, target: .lambda(0.5)).validate() }
        #expect(lambda.contains("TD(0) and n-step"))
        let stratified = message { _ = try Self.configuration(steps: 10, target: .nStep(2), source: .replay(.timeStratified)).validate() }
        #expect(stratified.contains("TD(0)"))
        var coupled = try Self.configuration(steps: 10)
        coupled.couplesNoiseByOptimalTransport = true
        #expect(message { try coupled.validate() }.contains("OT coupling"))
        let empty = try ReplayBuffer(capacity: 1, dimension: 2, times: [1, 0.5, 0.002])
        let emptyText = message { _ = try ConsistencyLearner(configuration: try Self.configuration(steps: 10), distribution: Self.ring, replay: empty) }
        #expect(emptyText.contains("non-empty replay buffer"))
        let cube = try GaussianMixture(weights: [1], means: [[0, 0, 0]], standardDeviations: [1])
        let environment = try DenoisingMDP(dimension: 3, times: [1, 0.5, 0.002])
        var wrongDimension = try ReplayBuffer(capacity: 1, environment: environment)
        try wrongDimension.fill(from: EpisodeRollout(environment: environment), policy: SolverPolicy(solver: HeunSolver(), denoiser: cube),
                                runSeed: 0, count: 1)
        let shape = message { _ = try ConsistencyLearner(configuration: try Self.configuration(steps: 10), distribution: Self.ring, replay: wrongDimension) }
        #expect(shape.contains("D = 3") && shape.contains("dimension 2"), "\(shape)")
        let name = message { _ = try PairSource.named("replayed") }
        #expect(name.contains("fresh") && name.contains("replay-time-stratified"))
    }

    @Test("a consistency model's multistep sampler is a policy: x_r = f(x_t, t) + s(r) z with unit-variance z, the same episodes however batched")
    func consistencyModelPolicyRollouts() throws {
        let environment = try DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 5, maximum: Self.maximumTime))
        let exact = try ExactValue(distribution: Self.ring, minimumTime: environment.minimumTime)
        let policy = ConsistencyModelPolicy(model: exact, seed: 3)
        var batched = try ReplayBuffer(capacity: 512, environment: environment)
        try batched.fill(from: EpisodeRollout(environment: environment), policy: policy, runSeed: 1, count: 512, batchSize: 256)
        // Batch independence, with a model whose rows do not interact (f* itself is an adaptive solve
        // whose step sizes depend on the batch, and the noise is keyed by the row's exact bits).
        let rowwise = ConsistencyModelPolicy(model: Shrink(), seed: 3)
        var large = try ReplayBuffer(capacity: 64, environment: environment)
        var small = try ReplayBuffer(capacity: 64, environment: environment)
        try large.fill(from: EpisodeRollout(environment: environment), policy: rowwise, runSeed: 1, count: 64, batchSize: 64)
        try small.fill(from: EpisodeRollout(environment: environment), policy: rowwise, runSeed: 1, count: 64, batchSize: 7)
        #expect(large.episodes == small.episodes)
        let times = environment.times
        var standardized: [Double] = []
        for episode in batched.episodes {
            let start = episode.observations[0..<2].map(Double.init)
            let estimate = try exact.consistency(start, time: times[0])
            let scale = NoiseInjection.consistencyModels.noiseScale(nextTime: times[1], minimumTime: environment.minimumTime)
            for j in 0..<2 { standardized.append((Double(episode.observations[2 + j]) - estimate[j]) / scale) }
            // The last step goes to t_min: no noise, the model's clean estimate.
            let last = episode.observations[(2 * (times.count - 2))..<(2 * (times.count - 1))].map(Double.init)
            let final = try exact.consistency(last, time: times[times.count - 2])
            for j in 0..<2 { #expect(abs(Double(episode.observations[2 * (times.count - 1) + j]) - final[j]) < 1e-5) }
        }
        let mean = standardized.reduce(0, +) / Double(standardized.count)
        let variance = standardized.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(standardized.count - 1)
        // 1 024 standard normals: the mean's standard error is 0.031, the variance's 0.044.
        #expect(abs(mean) < 0.13 && abs(variance - 1) < 0.18, "mean \(mean), variance \(variance)")
    }

    /// f(x, t) = x / (1 + t): a row-wise consistency function (f(x, t_min) is not x, which the policy does not need).
    struct Shrink: ConsistencyFunction {
        var dimension: Int { 2 }
        var minimumTime: Double { 0.002 }
        func consistency(_ points: [Double], time t: Double) throws -> [Double] { points.map { $0 / (1 + t) } }
    }
}
