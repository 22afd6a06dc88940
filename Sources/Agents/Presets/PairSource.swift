/// Where a training iteration's TD pairs come from — the "fresh vs replay" ablation switch.
///
/// - ``fresh``: every iteration draws x₀ ~ data, z ~ N(0, I) and (t, r) from the pair schedule, and the
///   transition estimator produces x̂_r (consistency training/distillation as published).
/// - ``replay(_:)``: every iteration draws B n-step windows from a ``Replay/ReplayBuffer`` of stored
///   PF-ODE episodes (exact, teacher or any other policy's rollouts). The state is the window's first
///   observation x_{t_k}, the return bootstraps on its last: G = f_θ⁻(x_{t_{k+n}}, t_{k+n}), or the stored
///   state itself when the window reaches the episode's terminal step (f(x, t_min) = x). Pairs then live
///   on the buffer's time grid, so the pair schedule and the transition estimator are not used; the
///   weighting sees (t, r) = (t_k, t_{k+1}). Off-policy replay of Lin (1992); the TD target is the
///   n-step return of Sutton & Barto §7.1, truncated at the episode's end.
public enum PairSource: Equatable, Sendable, CustomStringConvertible {
    case fresh
    case replay(ReplaySampling)

    /// How replayed windows are drawn.
    public enum ReplaySampling: String, Equatable, Sendable, CaseIterable {
        /// A stored transition uniformly, then its window (``Replay/ReplayBuffer/sampleWindows(count:length:stream:)``).
        case uniform
        /// Grid steps stratified over the batch (``Replay/ReplayBuffer/sampleTimeStratified(count:stream:)``), TD(0) only.
        case timeStratified = "time-stratified"
    }

    public static let names = ["fresh", "replay", "replay-time-stratified"]

    public static func named(_ name: String) throws -> PairSource {
        switch name.lowercased() {
        case "fresh": return .fresh
        case "replay", "replay-uniform": return .replay(.uniform)
        case "replay-time-stratified": return .replay(.timeStratified)
        default: throw AgentError.unknownName(kind: "pair source", name: name, valid: names)
        }
    }

    public var description: String {
        switch self {
        case .fresh: return "fresh"
        case .replay(.uniform): return "replay"
        case .replay(.timeStratified): return "replay-time-stratified"
        }
    }

    /// The replay window length n of `target`: 1 for TD(0), n for n-step; other returns need the
    /// estimator's rollout and are rejected for replay.
    func windowLength(_ target: TDTarget) throws -> Int {
        switch (self, target) {
        case (.fresh, _): return target.horizon
        case (.replay(.uniform), .td0): return 1
        case let (.replay(.uniform), .nStep(n)): return n
        case (.replay(.timeStratified), .td0): return 1
        case (.replay(.timeStratified), _):
            throw AgentError.incompatible("time-stratified replay draws single transitions: use the TD(0) target, not \(target)")
        default:
            throw AgentError.incompatible("replayed pairs support the TD(0) and n-step targets (windows of stored episodes), not \(target)")
        }
    }
}
