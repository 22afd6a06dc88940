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

    @Test("a wrapped buffer saved and loaded samples bit-identically the same transitions, stratified steps and windows")
    func wrappedBufferSamplesTheSameAfterSaveAndLoad() throws {
        // Capacity 3 after e0…e4: slots hold [e3, e4, e2]; the file (and so the loaded buffer) holds e2, e3, e4.
        let episodes = try syntheticEpisodes(count: 5, truncated: [3])
        let buffer = try Self.buffer(capacity: 3, episodes: episodes)
        #expect(buffer.episodes == [episodes[3], episodes[4], episodes[2]] && buffer.nextSlot == 2)
        let path = try temporaryFolder("wrapped") + "/buffer.h5"
        try buffer.save(to: path, metadata: testMetadata)
        var loaded = try ReplayBuffer(capacity: 3, dimension: buffer.dimension, times: buffer.times)
        try loaded.load(from: TrajectoryDataset(path: path))
        #expect(loaded.episodesOldestFirst == buffer.episodesOldestFirst)
        #expect(loaded.episodes != buffer.episodes, "the test needs the slots of the two buffers to differ")

        func rows(_ transitions: [Transition]) -> [[Float]] {
            transitions.map { [Float($0.episode.seed % 1009), Float($0.step)] + Array($0.state) + Array($0.nextState) }
        }
        func draw(_ buffer: ReplayBuffer, _ index: UInt64) throws -> [[Float]] {
            var stream = RandomStream(seed: 12, purpose: "replay-save-load", index: index)
            let uniform = rows(try buffer.sampleTransitions(count: 200, stream: &stream))
            let stratified = rows(try buffer.sampleTimeStratified(count: 200, stream: &stream))
            let windows = try buffer.sampleWindows(count: 200, length: 3, stream: &stream).map {
                [Float($0.episode.seed % 1009), Float($0.start), Float($0.length)] + Array($0.bootstrapState) + $0.rewardSum
            }
            return uniform + stratified + windows + [[Float(stream.nextUniform())]]
        }
        for index: UInt64 in 0..<4 {
            let original = try draw(buffer, index), reloaded = try draw(loaded, index)
            #expect(original.map { $0.map(\.bitPattern) } == reloaded.map { $0.map(\.bitPattern) }, "stream index \(index)")
        }
    }

    @Test("an unwrapped buffer samples by slot, as before: episode index i is the i-th episode appended")
    func unwrappedBufferSamplesBySlot() throws {
        let episodes = try syntheticEpisodes(count: 3)
        let full = try Self.buffer(capacity: 3, episodes: episodes)
        let roomy = try Self.buffer(capacity: 8, episodes: episodes)
        var stream = RandomStream(seed: 5, purpose: "unwrapped")
        var same = stream
        // The first draw picks the episode from the first word, exactly as `episodes[index(below: 3)]` did.
        let index = Int((UInt64(same.nextWord()) &* 3) >> 32)
        let first = try full.sampleTransitions(count: 1, stream: &stream)[0]
        #expect(first.episode == episodes[index])
        var a = RandomStream(seed: 6, purpose: "unwrapped"), b = a
        #expect(try full.sampleTransitions(count: 64, stream: &a).map { [$0.episode.seed, UInt64($0.step)] }
                == roomy.sampleTransitions(count: 64, stream: &b).map { [$0.episode.seed, UInt64($0.step)] })
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
