import Environments
import PropertyBased
import Replay
import Tensors
import Testing

@Suite("Replay buffer: ring, sampling, n-step windows, filling, datasets")
struct ReplayBufferTests {
    static func buffer(capacity: Int, episodes: [Episode]) throws -> ReplayBuffer {
        var buffer = try ReplayBuffer(capacity: capacity, dimension: episodes[0].dimension, times: episodes[0].times)
        try buffer.append(contentsOf: episodes)
        return buffer
    }

    @Test("a full buffer replaces its oldest episode; oldest-first order follows the insertions")
    func ringOverwritesOldest() throws {
        let episodes = try syntheticEpisodes(count: 5)
        let buffer = try Self.buffer(capacity: 3, episodes: episodes)
        #expect(buffer.count == 3 && buffer.addedCount == 5)
        #expect(buffer.episodesOldestFirst == Array(episodes[2...]))
    }

    @Test("the same stream state gives the same samples; another stream index gives others")
    func samplingReproducible() throws {
        let buffer = try Self.buffer(capacity: 20, episodes: try syntheticEpisodes(count: 12, truncated: [3]))
        func draw(_ index: UInt64) throws -> [[Int]] {
            var stream = RandomStream(seed: 8, purpose: "replay-test", index: index)
            let uniform = try buffer.sampleTransitions(count: 50, stream: &stream).map { [Int($0.episode.seed % 1000), $0.step] }
            let stratified = try buffer.sampleTimeStratified(count: 50, stream: &stream).map { [Int($0.episode.seed % 1000), $0.step] }
            let windows = try buffer.sampleWindows(count: 50, length: 3, stream: &stream).map { [Int($0.episode.seed % 1000), $0.start, $0.length] }
            return uniform + stratified + windows
        }
        #expect(try draw(0) == draw(0))
        #expect(try draw(0) != draw(1))
    }

    @Test("time-stratified sampling gives every grid step count/K samples, ±1")
    func stratifiedCounts() throws {
        let buffer = try Self.buffer(capacity: 10, episodes: try syntheticEpisodes(count: 10))
        var stream = RandomStream(seed: 2, purpose: "stratified")
        for count in [6, 13, 64, 100] {
            let samples = try buffer.sampleTimeStratified(count: count, stream: &stream)
            var perStep = [Int](repeating: 0, count: 6)
            for sample in samples { perStep[sample.step] += 1 }
            #expect(perStep.allSatisfy { abs(Double($0) - Double(count) / 6) <= 1 }, "\(count): \(perStep)")
        }
    }

    @Test("uniform sampling never returns a transition after its episode's end")
    func uniformRespectsEnd() throws {
        let buffer = try Self.buffer(capacity: 10, episodes: try syntheticEpisodes(count: 4, truncated: [0, 1, 2, 3]))
        var stream = RandomStream(seed: 4, purpose: "ends")
        let samples = try buffer.sampleTransitions(count: 400, stream: &stream)
        #expect(samples.allSatisfy { $0.step < 5 })
        #expect(Set(samples.map { $0.step }) == Set(0..<5))
    }

    @Test("n-step windows never cross an episode's end (random buffers, truncations, n and seeds)")
    func windowsNeverCrossEnds() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...9), Gen.int(in: 1...12), Gen.int(in: 0...10_000),
                            Gen.int(in: 1...8)) { episodeCount, n, seed, steps in
            let truncated = Set((0..<episodeCount).filter { ($0 + seed) % 3 == 0 })
            let episodes = try! syntheticEpisodes(count: episodeCount, steps: steps, seed: UInt64(seed), truncated: truncated)
            let buffer = try! Self.buffer(capacity: 6, episodes: episodes)
            var stream = RandomStream(seed: UInt64(seed), purpose: "windows")
            for window in try! buffer.sampleWindows(count: 30, length: n, stream: &stream) {
                #expect(window.length >= 1 && window.length <= n)
                #expect(window.end <= window.episode.length)
                let inner = (window.start..<(window.end - 1))
                #expect(!inner.contains { window.episode.terminations[$0] || window.episode.truncations[$0] })
                #expect(window.length == n || window.terminates || window.truncates)
            }
        }
    }

    @Test("filling twice equals one rollout of the first 2n episode seeds; save and load round-trip")
    func fillContinuesSeedsAndRoundTrips() throws {
        let mixture = try GaussianMixture.ring(modes: 4, radius: 1, std: 0.2)
        let environment = try DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 6))
        let rollout = EpisodeRollout(environment: environment)
        let policy = SolverPolicy(solver: HeunSolver(), denoiser: mixture)
        var buffer = try ReplayBuffer(capacity: 8, environment: environment)
        try buffer.fill(from: rollout, policy: policy, runSeed: 3, count: 3, batchSize: 2)
        try buffer.fill(from: rollout, policy: policy, runSeed: 3, count: 3)
        #expect(try rollout.run(policy: policy, runSeed: 3, count: 6) == buffer.episodes)

        let path = try temporaryFolder("buffer") + "/buffer.h5"
        try buffer.save(to: path, metadata: testMetadata)
        var loaded = try ReplayBuffer(capacity: 8, environment: environment)
        try loaded.load(from: TrajectoryDataset(path: path), blockSize: 4)
        #expect(loaded.episodes == buffer.episodes)
    }

    @Test("sampling an empty buffer or adding an episode of another grid says what is wrong")
    func misuse() throws {
        let buffer = try ReplayBuffer(capacity: 2, dimension: 2, times: [1, 0.5, 0.1])
        var stream = RandomStream(seed: 1, purpose: "empty")
        #expect(throws: ReplayError("the replay buffer is empty; add or fill episodes before sampling")) {
            try buffer.sampleTransitions(count: 1, stream: &stream)
        }
        var other = buffer
        #expect(throws: ReplayError.self) { try other.append(syntheticEpisodes(count: 1)[0]) }
        #expect(throws: ReplayError.self) { try ReplayBuffer(capacity: 0, dimension: 2, times: [1, 0.5]) }
    }
}
