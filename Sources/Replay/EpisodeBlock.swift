/// Episodes packed row after row into the compact layout's flat arrays (the writer's chunk buffer
/// and the reader's result of a range read). Capacity is reserved once and reused after
/// `removeAll`, so a streaming writer allocates its buffer once.
struct EpisodeBlock {
    let dimension: Int
    let steps: Int
    var count = 0
    var observations: [Float] = []
    var actions: [Float] = []
    var rewards: [Float] = []
    var terminations: [Bool] = []
    var truncations: [Bool] = []
    var seeds: [UInt64] = []
    var labels: [Int32] = []
    var values: [String: [Float]]
    var targets: [String: [Float]]

    init(dimension: Int, steps: Int, valueNames: [String], targetNames: [String], hasLabels: Bool, capacity: Int) {
        self.dimension = dimension
        self.steps = steps
        values = Dictionary(uniqueKeysWithValues: valueNames.map { ($0, [Float]()) })
        targets = Dictionary(uniqueKeysWithValues: targetNames.map { ($0, [Float]()) })
        observations.reserveCapacity(capacity * (steps + 1) * dimension)
        actions.reserveCapacity(capacity * steps * dimension)
        rewards.reserveCapacity(capacity * steps * dimension)
        terminations.reserveCapacity(capacity * steps)
        truncations.reserveCapacity(capacity * steps)
        seeds.reserveCapacity(capacity)
        if hasLabels { labels.reserveCapacity(capacity) }
        for name in valueNames { values[name]!.reserveCapacity(capacity * (steps + 1) * dimension) }
        for name in targetNames { targets[name]!.reserveCapacity(capacity * steps * dimension) }
    }

    mutating func append(_ episode: Episode) {
        observations.append(contentsOf: episode.observations)
        actions.append(contentsOf: episode.actions)
        rewards.append(contentsOf: episode.rewards)
        terminations.append(contentsOf: episode.terminations)
        truncations.append(contentsOf: episode.truncations)
        seeds.append(episode.seed)
        if let label = episode.label { labels.append(label) }
        for (name, array) in episode.values { values[name]!.append(contentsOf: array) }
        for (name, array) in episode.targets { targets[name]!.append(contentsOf: array) }
        count += 1
    }

    mutating func removeAll() {
        observations.removeAll(keepingCapacity: true)
        actions.removeAll(keepingCapacity: true)
        rewards.removeAll(keepingCapacity: true)
        terminations.removeAll(keepingCapacity: true)
        truncations.removeAll(keepingCapacity: true)
        seeds.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        for name in values.keys { values[name]!.removeAll(keepingCapacity: true) }
        for name in targets.keys { targets[name]!.removeAll(keepingCapacity: true) }
        count = 0
    }

    /// Episode `i` of the block, with the given times.
    func episode(_ i: Int, times: [Double]) throws -> Episode {
        let o = (steps + 1) * dimension, t = steps * dimension
        return try Episode(
            dimension: dimension, times: times,
            observations: Array(observations[(i * o)..<((i + 1) * o)]), actions: Array(actions[(i * t)..<((i + 1) * t)]),
            rewards: Array(rewards[(i * t)..<((i + 1) * t)]),
            terminations: Array(terminations[(i * steps)..<((i + 1) * steps)]),
            truncations: Array(truncations[(i * steps)..<((i + 1) * steps)]), seed: seeds[i],
            label: labels.isEmpty ? nil : labels[i],
            values: values.mapValues { Array($0[(i * o)..<((i + 1) * o)]) },
            targets: targets.mapValues { Array($0[(i * t)..<((i + 1) * t)]) })
    }
}
