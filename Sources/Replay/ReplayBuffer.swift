import Environments
import Tensors

/// A fixed-capacity ring buffer of episodes of one MDP (same D and time grid), the replay memory of
/// off-policy TD learning (Lin 1992; Mnih et al. 2015, "Human-level control through deep RL").
/// When full, each new episode replaces the oldest one. Transitions are addressed as (episode, k)
/// and sampled as views:
/// - ``sampleTransitions(count:stream:)``: uniform over the stored transitions that lie inside their
///   episode (k < ``Episode/length``): an episode uniformly, then k uniformly in 0..<K, rejecting
///   k ≥ length — every valid transition has probability 1 / (number of valid transitions)
///   when the episodes have equal lengths, and exactly uniform per episode-step otherwise;
/// - ``sampleTimeStratified(count:stream:)``: the grid steps are stratified — sample i takes the
///   step k_i = ⌊K (i + u) / count⌋ with one u ~ U[0, 1) per call (systematic sampling), so each
///   step gets count/K samples ± 1, and an episode uniformly among those long enough (a step no
///   stored episode reaches is replaced by a uniform step below the longest length);
/// - ``sampleWindows(count:length:stream:)``: n-step windows that never cross an episode's end.
/// All sampling draws from a ``RandomStream``: the same stream state gives the same samples.
///
/// **Episodes are addressed by age, not by slot.** A draw of episode index i takes the i-th oldest
/// stored episode (``episodesOldestFirst``; slot (``nextSlot`` + i) mod count once the buffer has
/// wrapped, slot i before). ``save(to:metadata:)`` writes the episodes oldest first and
/// ``load(from:blockSize:)`` appends them in that order, so a saved-and-loaded buffer samples
/// bit-identically the same transitions and windows as the original from the same stream state.
///
/// An episode with no transition before its end (``Episode/length`` 0: cut on its first step by the
/// non-finite guard) is stored but never sampled; sampling throws when no stored episode has one.
public struct ReplayBuffer: Sendable {
    /// The largest number of episodes held.
    public let capacity: Int
    /// D of every stored episode.
    public let dimension: Int
    /// The K+1 grid times (descending) every stored episode shares.
    public let times: [Double]
    /// The stored episodes in slot order, which is not age order once the buffer has wrapped (sampling
    /// uses age order: ``episodesOldestFirst``).
    public private(set) var episodes: [Episode] = []
    /// Where the next episode goes once the buffer is full.
    public private(set) var nextSlot = 0
    /// Episodes ever added (added − count were overwritten).
    public private(set) var addedCount = 0

    /// An empty buffer of `capacity` episodes of dimension D on the descending grid `times`.
    public init(capacity: Int, dimension: Int, times: [Double]) throws {
        guard capacity >= 1 else { throw ReplayError("a replay buffer needs capacity ≥ 1 episode, got \(capacity)") }
        guard dimension >= 1 else { throw ReplayError("a replay buffer needs D ≥ 1, got \(dimension)") }
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw ReplayError("a replay buffer's times must be K+1 ≥ 2 strictly decreasing values, got \(times)")
        }
        self.capacity = capacity
        self.dimension = dimension
        self.times = times
        episodes.reserveCapacity(capacity)
    }

    /// A buffer for the episodes of `environment`.
    public init(capacity: Int, environment: DenoisingMDP) throws {
        try self.init(capacity: capacity, dimension: environment.dimension, times: environment.times)
    }

    /// Episodes held (≤ capacity).
    public var count: Int { episodes.count }
    /// K.
    public var stepCount: Int { times.count - 1 }

    /// Adds an episode, replacing the oldest when full.
    public mutating func append(_ episode: Episode) throws {
        guard episode.dimension == dimension, episode.times == times else {
            throw ReplayError("episode with D = \(episode.dimension), times \(episode.times) does not fit a buffer of D = \(dimension), times \(times)")
        }
        if episodes.count < capacity {
            episodes.append(episode)
        } else {
            episodes[nextSlot] = episode
        }
        nextSlot = (nextSlot + 1) % capacity
        addedCount += 1
    }

    /// Adds episodes in order (see ``append(_:)``).
    public mutating func append(contentsOf episodes: some Sequence<Episode>) throws {
        for episode in episodes { try append(episode) }
    }

    /// Rolls out `count` new episodes of `rollout`'s environment under `policy` (any
    /// ``TransitionPolicy``: exact, teacher, or a consistency model's multistep sampler) and adds
    /// them; episode indices continue from ``addedCount`` so refills never repeat a seed.
    public mutating func fill(from rollout: EpisodeRollout, policy: some TransitionPolicy, runSeed: UInt64,
                              count: Int, batchSize: Int = 256) throws {
        guard rollout.environment.dimension == dimension, rollout.environment.times == times else {
            throw ReplayError("the rollout's environment (D = \(rollout.environment.dimension), times \(rollout.environment.times)) does not match the buffer's")
        }
        guard batchSize >= 1 else { throw ReplayError("batchSize must be ≥ 1, got \(batchSize)") }
        var done = 0
        while done < count {
            let size = min(batchSize, count - done)
            try append(contentsOf: rollout.run(policy: policy, runSeed: runSeed, first: addedCount, count: size))
            done += size
        }
    }

    /// An index below `bound` from 32 random bits (bias ≤ bound / 2³², negligible for buffers).
    private static func index(below bound: Int, _ stream: inout RandomStream) -> Int {
        Int((UInt64(stream.nextWord()) &* UInt64(bound)) >> 32)
    }

    private func requireSamples() throws {
        guard !episodes.isEmpty else { throw ReplayError("the replay buffer is empty; add or fill episodes before sampling") }
        guard episodes.contains(where: { $0.length > 0 }) else {
            throw ReplayError("none of the \(episodes.count) stored episodes has a transition before its end (every one has "
                              + "length 0: cut on its first step, as the non-finite guard does when the policy's first output "
                              + "is NaN or ±∞); add episodes with at least one transition before sampling")
        }
    }

    /// The stored episode of age `index` (0 = oldest): see the type's documentation.
    private func episode(byAge index: Int) -> Episode {
        let base = episodes.count < capacity ? 0 : nextSlot
        return episodes[(base + index) % episodes.count]
    }

    /// `count` transitions drawn uniformly (see the type's documentation).
    public func sampleTransitions(count: Int, stream: inout RandomStream) throws -> [Transition] {
        try requireSamples()
        var result: [Transition] = []
        result.reserveCapacity(count)
        while result.count < count {
            let episode = self.episode(byAge: Self.index(below: episodes.count, &stream))
            let k = Self.index(below: stepCount, &stream)
            if k < episode.length { result.append(episode.transition(at: k)) }
        }
        return result
    }

    /// `count` transitions with stratified grid steps (see the type's documentation).
    public func sampleTimeStratified(count: Int, stream: inout RandomStream) throws -> [Transition] {
        try requireSamples()
        let offset = stream.nextUniform()
        let longest = episodes.map(\.length).max() ?? 0
        var result: [Transition] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            var k = min(stepCount - 1, Int(Double(stepCount) * (Double(i) + offset) / Double(count)))
            if k >= longest { k = Self.index(below: longest, &stream) }  // no stored episode reaches step k
            while true {
                let episode = self.episode(byAge: Self.index(below: episodes.count, &stream))
                if k < episode.length { result.append(episode.transition(at: k)); break }
            }
        }
        return result
    }

    /// `count` n-step windows: a start (episode, k) drawn uniformly as in ``sampleTransitions(count:stream:)``,
    /// and length min(n, length − k), so every window ends at or before its episode's end (the
    /// truncated-at-the-end n-step return of Sutton & Barto §7.1).
    public func sampleWindows(count: Int, length n: Int, stream: inout RandomStream) throws -> [NStepWindow] {
        guard n >= 1 else { throw ReplayError("n-step windows need n ≥ 1, got \(n)") }
        return try sampleTransitions(count: count, stream: &stream).map { transition in
            try transition.episode.window(from: transition.step, length: min(n, transition.episode.length - transition.step))
        }
    }

    /// Every episode of a compact trajectory dataset, in order (the last `capacity` remain).
    public mutating func load(from dataset: TrajectoryDataset, blockSize: Int = 4096) throws {
        var start = 0
        while start < dataset.episodeCount {
            let end = min(dataset.episodeCount, start + blockSize)
            try append(contentsOf: dataset.episodes(start..<end))
            start = end
        }
    }

    /// The stored episodes, oldest first.
    public var episodesOldestFirst: [Episode] {
        episodes.count < capacity ? episodes : Array(episodes[nextSlot...] + episodes[..<nextSlot])
    }

    /// Writes the stored episodes (oldest first) to a compact trajectory dataset at `path` (atomic).
    public func save(to path: String, metadata: TrajectoryDatasetMetadata) throws {
        let ordered = episodesOldestFirst
        let first = ordered.first
        let writer = try TrajectoryDatasetWriter(
            path: path, metadata: metadata, dimension: dimension, times: times,
            valueNames: first.map { Array($0.values.keys) } ?? [], targetNames: first.map { Array($0.targets.keys) } ?? [],
            hasLabels: first?.label != nil, chunkEpisodes: max(1, min(1024, ordered.count)))
        try writer.append(contentsOf: ordered)
        try writer.finish()
    }
}
