import Agents
import Environments

/// How the diagnostics turn a time t into the target step r and, for multi-step returns (n-step,
/// TD(λ), Monte Carlo; METHODS.md §4), into the rest of the path t = τ₀ > τ₁ = r > τ₂ > …:
///
/// - ``targetTimes(_:)``: explicit r values (0 ≤ r < t for every t); the path keeps the step size,
///   τ_{j+1} = τ_j − (t − r).
/// - ``ratios(_:)``: r = ρ·t with 0 ≤ ρ < 1; the path is geometric, τ_{j+1} = ρ·τ_j.
/// - ``gridSteps(_:grid:)``: r is the n-th grid point below t (``TimeGrid/point(below:)`` applied n
///   times; t need not lie on the grid); the path keeps the stride, τ_{j+1} = the n-th grid point
///   below τ_j, down to the grid minimum, and from there one more (off-grid) step to t_min when the
///   grid minimum lies above t_min.
///
/// Times that fall to or below t_min are terminal (the bootstrap value there is the point itself): a path
/// step that reaches t_min or below — 0 included — ends at τ = t_min (``paths(pair:index:rows:horizon:minimumTime:forceTerminal:)``).
/// Only an explicit r = 0 (τ₁ = 0) asks for a denoising target.
public enum TargetStepRule: Equatable, Sendable, CustomStringConvertible {
    case targetTimes([Double])
    case ratios([Double])
    case gridSteps([Int], grid: TimeGrid)

    /// How many step sizes the rule lists (one pair per t and step size).
    public var count: Int {
        switch self {
        case let .targetTimes(values): return values.count
        case let .ratios(values): return values.count
        case let .gridSteps(counts, _): return counts.count
        }
    }

    public var description: String {
        switch self {
        case let .targetTimes(values): return "r = \(values)"
        case let .ratios(values): return "r/t = \(values)"
        case let .gridSteps(counts, grid): return "\(counts) steps on a \(grid.count)-point grid"
        }
    }

    /// Checks the listed step sizes against the times: non-empty, finite, 0 ≤ r < t, 0 ≤ ρ < 1, n ≥ 1
    /// and t above the grid minimum.
    func validate(times: [Double]) throws(TargetDiagnosticsError) {
        guard count > 0 else { throw .invalidSetting("step list (empty)", expected: "at least one r value, r/t ratio or grid-step count") }
        switch self {
        case let .targetTimes(values):
            for r in values {
                for t in times where !(r.isFinite && r >= 0 && r < t) {
                    throw .invalidSetting("target time r = \(r) for t = \(t)",
                                          expected: "0 ≤ r < t for every listed t (use r/t ratios for steps relative to t)")
                }
            }
        case let .ratios(values):
            for ratio in values where !(ratio.isFinite && ratio >= 0 && ratio < 1) {
                throw .invalidSetting("step ratio r/t = \(ratio)", expected: "0 ≤ r/t < 1")
            }
        case let .gridSteps(counts, grid):
            for n in counts where n < 1 {
                throw .invalidSetting("grid-step count n = \(n)", expected: "n ≥ 1 grid points below t")
            }
            for t in times where !(t > grid.minimum) {
                throw .invalidSetting("time t = \(t) for grid steps", expected: "t above the grid minimum \(grid.minimum)")
            }
        }
    }

    /// r of step size `index` at time t.
    func targetTime(at t: Double, index: Int) -> Double {
        switch self {
        case let .targetTimes(values): return values[index]
        case let .ratios(values): return values[index] * t
        case let .gridSteps(counts, grid): return Self.gridPoint(below: t, steps: counts[index], grid: grid)
        }
    }

    /// The diagnostics' paths of `rows` copies of the pair (t, r) with step size `index` (METHODS.md §4):
    /// τ₀ = t, τ₁ = r, then ``nextTime(after:pair:index:minimumTime:)`` until t_min. With `forceTerminal`
    /// (Monte Carlo) the last transition goes straight to t_min.
    func paths(pair: TimePair, index: Int, rows: Int, horizon: Int, minimumTime: Double, forceTerminal: Bool) throws -> TimePaths {
        try TimePaths(pairs: Array(repeating: pair, count: rows), horizon: horizon, minimumTime: minimumTime,
                      forceTerminal: forceTerminal) {
            nextTime(after: $0, pair: pair, index: index, minimumTime: minimumTime)
        }
    }

    /// τ_{j+1} from τ_j on a diagnostics path: ``nextTime(after:pair:index:)`` with every time at or below
    /// t_min made t_min, so a path whose step lands exactly on 0 ends at t_min like one landing in (0, t_min)
    /// (``TimePaths`` keeps an exact 0 as a denoising target, which training's r = 0 needs but a path step
    /// must not become).
    func nextTime(after time: Double, pair: TimePair, index: Int, minimumTime: Double) -> Double {
        let next = nextTime(after: time, pair: pair, index: index)
        return next <= minimumTime ? minimumTime : next
    }

    /// τ_{j+1} from τ_j on the path of the pair (t, r) with step size `index`, before the terminal clamp
    /// (it may be at or below t_min, and 0 for explicit target times).
    func nextTime(after time: Double, pair: TimePair, index: Int) -> Double {
        switch self {
        case .targetTimes: return max(time - (pair.time - pair.targetTime), 0)
        case let .ratios(values): return values[index] * time
        case let .gridSteps(counts, grid): return Self.gridPoint(below: time, steps: counts[index], grid: grid)
        }
    }

    private static func gridPoint(below time: Double, steps: Int, grid: TimeGrid) -> Double {
        var current = time
        for _ in 0..<steps { current = grid.point(below: current) }
        return current
    }
}
