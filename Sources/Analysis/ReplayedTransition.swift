import Agents

/// A transition estimator that computes each move once and replays it: the n-th ``advance`` call
/// returns the recorded result of the n-th call when the inputs (points, t, r) are the same, and
/// otherwise asks the wrapped estimator (and records the new result). ``TargetDiagnostics`` runs one
/// rollout per bootstrap along the same path; the rollout's moves x̂_r do not depend on the bootstrap,
/// so every bootstrap after the first replays the first one's moves, bit for bit.
final class ReplayedTransition: TransitionEstimating {
    private let base: any TransitionEstimating
    private var recorded: [(points: [Double], times: [Double], targetTimes: [Double], result: [Double])] = []
    /// The index of the next call within the current rollout (reset by ``rewind()`` or a new rollout).
    private var next = 0

    init(_ base: any TransitionEstimating) { self.base = base }

    /// Starts a new rollout: the next call is compared with the first recorded one.
    func rewind() { next = 0 }

    func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        defer { next += 1 }
        if next < recorded.count {
            let call = recorded[next]
            if call.points == points, call.times == times, call.targetTimes == targetTimes { return call.result }
            recorded.removeSubrange(next...)
        }
        let result = try base.advance(points, times: times, targetTimes: targetTimes)
        recorded.append((points, times, targetTimes, result))
        return result
    }
}
