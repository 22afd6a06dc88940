import Replay
import Testing

@Suite("Episodes, transitions and n-step windows")
struct EpisodeViewTests {
    @Test("a transition's state, next state, action and reward are the episode's rows k and k+1")
    func transitionRows() throws {
        let episode = try syntheticEpisodes(count: 1, steps: 5, dimension: 3)[0]
        for k in 0..<5 {
            let transition = episode.transition(at: k)
            #expect(Array(transition.state) == Array(episode.observations[(3 * k)..<(3 * k + 3)]))
            #expect(Array(transition.nextState) == Array(episode.observations[(3 * k + 3)..<(3 * k + 6)]))
            #expect(Array(transition.action) == Array(transition.nextState))
            #expect(zip(transition.reward, zip(transition.nextState, transition.state)).allSatisfy { $0 == $1.0 - $1.1 })
            #expect(transition.time == episode.times[k] && transition.nextTime == episode.times[k + 1])
            #expect(Array(transition.target("td0")!) == Array(episode.targets["td0"]![(3 * k)..<(3 * k + 3)]))
        }
    }

    @Test("a window's reward sum telescopes to x_{k+n} − x_k and it bootstraps from row k+n")
    func windowTelescopes() throws {
        let episode = try syntheticEpisodes(count: 1, steps: 6)[0]
        let window = try episode.window(from: 1, length: 4)
        let expected = zip(window.bootstrapState, window.state).map { Double($0) - Double($1) }
        #expect(zip(window.rewardSum, expected).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        #expect(Array(window.bootstrapState) == Array(episode.observation(at: 5)))
        #expect(window.bootstrapTime == episode.times[5] && !window.terminates)
        #expect(try episode.window(from: 2, length: 4).terminates)
    }

    @Test("a window that would cross the episode's end (terminal or truncated step) is refused")
    func windowPastEndThrows() throws {
        let full = try syntheticEpisodes(count: 1, steps: 6)[0]
        #expect(throws: ReplayError.self) { try full.window(from: 3, length: 4) }
        let cut = try syntheticEpisodes(count: 1, steps: 6, truncated: [0])[0]
        #expect(cut.length == 5)
        #expect(try cut.window(from: 2, length: 3).truncates)
        #expect(throws: ReplayError.self) { try cut.window(from: 2, length: 4) }
    }

    @Test("an episode whose arrays disagree with K and D is rejected with the expected size")
    func inconsistentEpisodeThrows() throws {
        let times = [2.0, 1.0, 0.5]
        do {
            _ = try Episode(dimension: 2, times: times, observations: [Float](repeating: 0, count: 6),
                            actions: [Float](repeating: 0, count: 3), rewards: [Float](repeating: 0, count: 4),
                            terminations: [false, true], truncations: [false, false], seed: 0)
            Issue.record("expected an error")
        } catch let error as ReplayError {
            #expect(error.message.contains("actions has 3 values") && error.message.contains("K·D = 4"))
        }
    }
}
