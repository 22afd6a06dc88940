import Environments
import Foundation
import HDF5
import Replay
import Tensors
import Testing

/// A step the non-finite guard cuts is not a transition: the episode stores the policy's non-finite
/// output at that step (so the file shows what happened) and ends before it, so no sampler, window or
/// export ever hands out the pair (x_{τ_k}, τ_k) → (x_{τ_k}, τ_{k+1}) that never happened. A step
/// budget, by contrast, cuts after a real step, which stays a transition.
@Suite("Episodes cut by the non-finite guard end before the cut step")
struct NonFiniteCutTests {
    /// x ↦ x · r / t for every row, except that row `row` returns NaN (in its last coordinate) on step `step`.
    struct CuttingPolicy: TransitionPolicy {
        let times: [Double]
        let cuts: [Int: Int]       // row → step index

        func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                     into output: UnsafeMutablePointer<Double>) throws {
            let step = times.firstIndex(of: t)!
            for row in 0..<count {
                for d in 0..<dimension {
                    let i = row * dimension + d
                    output[i] = cuts[row] == step && d == dimension - 1 ? .nan : points[i] * r / t
                }
            }
        }
    }

    static let environment = try! DenoisingMDP(dimension: 2, times: [80, 20, 5, 1, 0.2, 0.002])

    /// Episode 0 runs to t_min, episode 1 is cut on step 2, episode 2 on step 0; all carry exact values
    /// (whose Dormand–Prince solve refuses non-finite points, so they must be evaluated on finite states).
    static func episodes() throws -> [Episode] {
        let mixture = try GaussianMixture.ring(modes: 4, radius: 1, std: 0.2)
        let exact = try ExactValue(distribution: mixture, minimumTime: environment.minimumTime)
        var rollout = EpisodeRollout(environment: environment, values: ["exact": .exact(exact)])
        rollout.targets["next"] = TransitionTargetFunction { batch in
            guard batch.nextStates.allSatisfy({ $0.isFinite }) else { throw ReplayError("a target function was given a non-finite next state") }
            return batch.nextStates
        }
        return try rollout.run(policy: CuttingPolicy(times: environment.times, cuts: [1: 2, 2: 0]), runSeed: 11, count: 3,
                               labels: [0, 1, 2])
    }

    @Test("the cut step stores the policy's non-finite output, zero reward and truncated; length stops before it")
    func cutStepIsStoredButIsNotATransition() throws {
        let episodes = try Self.episodes()
        let (full, cut, empty) = (episodes[0], episodes[1], episodes[2])
        #expect(full.length == 5 && full.terminations[4])
        #expect(cut.length == 2 && cut.truncations == [false, false, true, false, false])
        #expect(Array(cut.actions[4..<6])[1].isNaN && Array(cut.observation(at: 3))[1].isNaN)
        #expect(cut.rewards[4..<6].allSatisfy { $0 == 0 })
        #expect((0...2).allSatisfy { k in cut.observation(at: k).allSatisfy { $0.isFinite } })
        #expect(Array(cut.observation(at: 4)) == Array(cut.observation(at: 2)) && Array(cut.observation(at: 5)) == Array(cut.observation(at: 2)))
        #expect(cut.values["exact"]!.allSatisfy { $0.isFinite } && cut.targets["next"]!.allSatisfy { $0.isFinite })
        #expect(empty.length == 0 && empty.truncations[0] && Array(empty.observation(at: 1))[1].isNaN)
        #expect(throws: ReplayError.self) { try cut.window(from: 2, length: 1) }
        #expect(try cut.window(from: 0, length: 2).end == 2)
        #expect(throws: ReplayError.self) { try empty.window(from: 0, length: 1) }
    }

    @Test("replay sampling never returns the cut step nor an episode cut on its first step; every sampled row is finite")
    func samplersSkipTheCut() throws {
        let episodes = try Self.episodes()
        var buffer = try ReplayBuffer(capacity: 3, environment: Self.environment)
        try buffer.append(contentsOf: episodes)
        var stream = RandomStream(seed: 3, purpose: "non-finite-cut")
        func check(_ transition: Transition) {
            #expect(transition.episode.seed != episodes[2].seed, "an episode without transitions was sampled")
            if transition.episode.seed == episodes[1].seed { #expect(transition.step < 2, "the cut step was sampled") }
            #expect(transition.state.allSatisfy { $0.isFinite } && transition.nextState.allSatisfy { $0.isFinite }
                    && transition.action.allSatisfy { $0.isFinite })
        }
        for transition in try buffer.sampleTransitions(count: 500, stream: &stream) { check(transition) }
        let stratified = try buffer.sampleTimeStratified(count: 500, stream: &stream)
        for transition in stratified { check(transition) }
        #expect(Set(stratified.map(\.step)) == Set(0..<5))
        let windows = try buffer.sampleWindows(count: 500, length: 3, stream: &stream)
        for window in windows {
            #expect(window.episode.seed != episodes[2].seed)
            #expect(window.end <= window.episode.length && window.bootstrapState.allSatisfy { $0.isFinite })
            #expect(window.rewardSum.allSatisfy { $0.isFinite })
        }
        #expect(windows.contains { $0.episode.seed == episodes[1].seed && $0.end == 2 })
        #expect(!windows.contains { $0.episode.seed == episodes[1].seed && $0.truncates })
    }

    @Test("a buffer whose every episode was cut on its first step refuses to sample, saying why")
    func onlyEmptyEpisodesCannotBeSampled() throws {
        let episodes = try Self.episodes()
        var buffer = try ReplayBuffer(capacity: 2, environment: Self.environment)
        try buffer.append(episodes[2])
        try buffer.append(episodes[2])
        var stream = RandomStream(seed: 4, purpose: "empty-episodes")
        for sample in [{ _ = try buffer.sampleTransitions(count: 1, stream: &stream) },
                       { _ = try buffer.sampleTimeStratified(count: 1, stream: &stream) },
                       { _ = try buffer.sampleWindows(count: 1, length: 2, stream: &stream) }] {
            #expect(performing: sample, throws: { error in
                "\(error)".contains("none of the 2 stored episodes has a transition before its end") && "\(error)".contains("non-finite guard")
            })
        }
    }

    @Test("a step budget's last step stays a transition: length counts it")
    func budgetTruncationCountsItsStep() throws {
        let environment = try DenoisingMDP(dimension: 2, times: Self.environment.times, stepBudget: 3)
        let episodes = try EpisodeRollout(environment: environment)
            .run(policy: CuttingPolicy(times: environment.times, cuts: [:]), runSeed: 2, count: 2)
        for episode in episodes {
            #expect(episode.length == 3 && episode.truncations == [false, false, true, false, false])
            #expect(episode.observation(at: 3).allSatisfy { $0.isFinite } && episode.observation(at: 3) != episode.observation(at: 2))
            let window = try episode.window(from: 1, length: 2)
            #expect(window.truncates && window.end == 3)
        }
    }

    @Test("the compact file keeps the cut as stored; Minari exports each episode up to its length and leaves out one without transitions")
    func filesAndMinariExport() throws {
        let episodes = try Self.episodes()
        let folder = try temporaryFolder("non-finite-cut")
        try writeDataset(episodes, to: folder + "/t.h5", chunk: 2)
        let read = try TrajectoryDataset(path: folder + "/t.h5").allEpisodes()
        #expect(read.map(\.length) == [5, 2, 0])
        #expect(read.map { $0.observations.map(\.bitPattern) } == episodes.map { $0.observations.map(\.bitPattern) })

        let directory = try MinariExport.write(episodes, datasetID: "cut-v0", root: folder, metadata: testMetadata)
        let file = try HDF5File(directory + "/data/main_data.hdf5")
        #expect(try file.members().map(\.name).sorted() == ["episode_0", "episode_1"])
        let second = try file.openGroup("episode_1")
        #expect(try second.attribute("total_steps", as: Int64.self) == 2 && second.attribute("seed", as: UInt64.self) == episodes[1].seed)
        #expect(try second.openDataset("observations").shape() == [3, 3] && second.openDataset("actions").shape() == [2, 2])
        for name in ["observations", "actions", "rewards"] {
            #expect(try second.openDataset(name).read(as: Float.self).allSatisfy { $0.isFinite }, "\(name)")
        }
        #expect(try second.openDataset("truncations").read(as: Bool.self) == [false, false])
        try file.close()
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/data/metadata.json")))
        let metadata = try #require(json as? [String: Any])
        #expect(metadata["total_episodes"] as? Int == 2 && metadata["total_steps"] as? Int == 7)
        #expect((metadata["consistency_td"] as? [String: Any])?["episodes_without_transitions"] as? Int == 1)

        #expect {
            try MinariExport.write([episodes[2]], datasetID: "empty-v0", root: folder, metadata: testMetadata)
        } throws: { "\($0)".contains("all 1 given have length 0") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/empty-v0"))
    }
}
