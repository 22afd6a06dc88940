import Environments

/// The per-row time paths of a batch of TD targets: row i follows t_i = τ₀ > τ₁ > … > τ_H
/// (rows × (H + 1), row-major). A path that reaches a terminal time (τ ≤ t_min, or r = 0 for a
/// denoising target) stays there: later entries repeat it, and a transition from a time to itself is
/// the identity.
public struct TimePaths: Equatable, Sendable {
    public let rows: Int
    /// H, the number of transitions of every path.
    public let horizon: Int
    public let minimumTime: Double
    /// τ_{i,j} at `times[i * (horizon + 1) + j]`.
    public private(set) var times: [Double]

    /// Builds paths from training pairs (t, r): τ₀ = t, τ₁ = r, then τ_{j+1} = next(τ_j) (the pair
    /// sampler's own step rule) until a terminal time. Times below t_min but above 0 become t_min.
    /// With `forceTerminal` (Monte Carlo) the last transition of a path that is still above t_min goes
    /// straight to t_min.
    public init(pairs: [TimePair], horizon: Int, minimumTime: Double, forceTerminal: Bool = false,
                next: (Double) -> Double) throws {
        guard horizon >= 1 else { throw AgentError.invalidSetting("target horizon = \(horizon)", expected: "≥ 1") }
        self.rows = pairs.count
        self.horizon = horizon
        self.minimumTime = minimumTime
        var times = [Double](repeating: 0, count: pairs.count * (horizon + 1))
        for (i, pair) in pairs.enumerated() {
            let base = i * (horizon + 1)
            guard pair.time.isFinite, pair.targetTime.isFinite, pair.targetTime < pair.time, pair.targetTime >= 0 else {
                throw AgentError.invalidSetting("training pair (t, r) = (\(pair.time), \(pair.targetTime))", expected: "0 ≤ r < t, both finite")
            }
            times[base] = pair.time
            var current = Self.clampToTerminal(pair.targetTime, minimumTime: minimumTime)
            times[base + 1] = current
            if horizon >= 2 {
                for j in 2...horizon {
                    if current > minimumTime {
                        let proposed = next(current)
                        current = proposed < current ? Self.clampToTerminal(proposed, minimumTime: minimumTime) : minimumTime
                    }
                    times[base + j] = current
                }
            }
            if forceTerminal, times[base + horizon] > minimumTime { times[base + horizon] = minimumTime }
        }
        self.times = times
    }

    /// Paths given explicitly (rows × (H + 1), each strictly decreasing until it is terminal, then constant).
    public init(times: [Double], rows: Int, minimumTime: Double) throws {
        guard rows > 0, times.count % rows == 0, times.count / rows >= 2 else {
            throw AgentError.shapeMismatch("\(times.count) path times for \(rows) rows; expected rows × (H + 1) with H ≥ 1")
        }
        self.rows = rows
        self.horizon = times.count / rows - 1
        self.minimumTime = minimumTime
        self.times = times
    }

    static func clampToTerminal(_ time: Double, minimumTime: Double) -> Double {
        time <= 0 ? 0 : max(time, minimumTime)
    }

    /// τ_{i,j}.
    @inline(__always) public func time(row: Int, step j: Int) -> Double { times[row * (horizon + 1) + j] }

    /// The times of step j for every row.
    public func column(_ j: Int) -> [Double] { (0..<rows).map { time(row: $0, step: j) } }

    /// Whether τ_{i,j} is terminal (≤ t_min): the bootstrap value there is the point itself.
    @inline(__always) public func isTerminal(row: Int, step j: Int) -> Bool { time(row: row, step: j) <= minimumTime }
}
