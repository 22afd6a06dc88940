/// Which return the online network regresses on (METHODS.md §4) — the bootstrap axis of an ablation.
///
/// Along a path t = τ₀ > τ₁ > … > τ_H with estimated states x̂_{τ_j} and bootstrap value f_θ⁻:
/// - `.td0`: G¹ = f_θ⁻(x̂_{τ₁}, τ₁) — the consistency loss;
/// - `.nStep(n)`: Gⁿ = f_θ⁻(x̂_{τ_n}, τ_n) (the rewards telescope);
/// - `.lambda(λ, horizon: H)`: G^λ = (1 − λ) Σ_{n=1}^{H−1} λ^{n−1} Gⁿ + λ^{H−1} G^H (truncated; H = 8 by default);
/// - `.monteCarlo(maximumSteps:)`: x̂_{t_min} from rolling the estimator to t_min (no bootstrap); a path
///   still above t_min after `maximumSteps − 1` transitions takes its last transition straight to t_min.
/// At a terminal time (τ_n ≤ t_min, including r = 0) the bootstrap value is the point itself.
public enum TDTarget: Equatable, Sendable, CustomStringConvertible {
    case td0
    case nStep(Int)
    case lambda(Double, horizon: Int = 8)
    case monteCarlo(maximumSteps: Int = 64)

    /// Every valid name for ``named(_:)``.
    public static let names = ["td0", "nstep-<n>", "lambda-<λ>", "lambda-<λ>-h<H>", "monte-carlo", "monte-carlo-<m>"]

    /// "td0", "nstep-4", "lambda-0.8" (horizon 8), "lambda-0.8-h4", "monte-carlo" (at most 64 steps),
    /// "monte-carlo-32": every ``description`` reads back as the same target.
    public static func named(_ name: String) throws -> TDTarget {
        let lower = name.lowercased()
        func validated(_ target: TDTarget) throws -> TDTarget { try target.validate(); return target }
        if lower == "td0" || lower == "td(0)" { return .td0 }
        if lower == "monte-carlo" || lower == "mc" { return .monteCarlo() }
        if lower.hasPrefix("monte-carlo-"), let m = Int(lower.dropFirst(12)) { return try validated(.monteCarlo(maximumSteps: m)) }
        if lower.hasPrefix("nstep-"), let n = Int(lower.dropFirst(6)) { return try validated(.nStep(n)) }
        if lower.hasPrefix("lambda-") {
            let parts = lower.dropFirst(7).split(separator: "-h", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 1, let l = Double(parts[0]) { return try validated(.lambda(l)) }
            if parts.count == 2, let l = Double(parts[0]), let h = Int(parts[1]) { return try validated(.lambda(l, horizon: h)) }
        }
        throw AgentError.unknownName(kind: "TD target", name: name, valid: names)
    }

    public var description: String {
        switch self {
        case .td0: return "td0"
        case let .nStep(n): return "nstep-\(n)"
        case let .lambda(l, h): return h == 8 ? "lambda-\(l)" : "lambda-\(l)-h\(h)"
        case let .monteCarlo(m): return m == 64 ? "monte-carlo" : "monte-carlo-\(m)"
        }
    }

    /// Checks n ≥ 1, 0 ≤ λ ≤ 1, H ≥ 1 and a Monte-Carlo cap ≥ 1.
    public func validate() throws {
        switch self {
        case .td0: return
        case let .nStep(n):
            guard n >= 1 else { throw AgentError.invalidSetting("n-step n = \(n)", expected: "n ≥ 1") }
        case let .lambda(l, h):
            guard l.isFinite, (0...1).contains(l) else { throw AgentError.invalidSetting("TD(λ) λ = \(l)", expected: "0 ≤ λ ≤ 1") }
            guard h >= 1 else { throw AgentError.invalidSetting("TD(λ) horizon = \(h)", expected: "a horizon ≥ 1") }
        case let .monteCarlo(m):
            guard m >= 1 else { throw AgentError.invalidSetting("Monte-Carlo maximum steps = \(m)", expected: "≥ 1") }
        }
    }

    /// H: how many transitions the target needs along the path.
    public var horizon: Int {
        switch self {
        case .td0: return 1
        case let .nStep(n): return n
        case let .lambda(_, h): return h
        case let .monteCarlo(m): return m
        }
    }

    /// Whether the target needs bootstrap values (everything but Monte Carlo).
    public var bootstraps: Bool {
        if case .monteCarlo = self { return false }
        return true
    }
}
