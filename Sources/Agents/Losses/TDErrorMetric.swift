import Foundation

/// The per-sample metric m(Δ) of a TD error Δ = f_θ(x_t, t) − G ∈ ℝᴰ, G the stop-gradient target
/// (METHODS.md §5). With S = ‖Δ‖² = Σ_j Δ_j²:
///
///     .squaredL2                 m = S                                   ∂m/∂Δ = 2Δ                 (CM)
///     .l1                        m = ‖Δ‖₁ = Σ_j |Δ_j|                    ∂m/∂Δ_j = sign Δ_j
///     .meanSquared               m = S / D                               ∂m/∂Δ = 2Δ / D
///     .pseudoHuber(c)            m = √(S + c²) − c                       ∂m/∂Δ = Δ / √(S + c²)      (iCT, ECT)
///     .pseudoHuberElementwise(c) m = Σ_j (√(Δ_j² + c²) − c)              ∂m/∂Δ_j = Δ_j / √(Δ_j² + c²)
///     .cauchy(c)                 m = log(1 + S / (2c²))                  ∂m/∂Δ = 2Δ / (2c² + S)     (sLCT)
///
/// The pseudo-Huber metric of improved consistency training (iCT; Song & Dhariwal 2023) uses the
/// whole vector and c = 0.00054·√D (``improvedConsistencyHuberConstant(dimension:)``). Easy
/// Consistency Tuning (ECT; Geng et al. 2024) uses the same form with c = 0 on CIFAR-10 — then
/// m = ‖Δ‖, whose gradient is taken as 0 at Δ = 0 — and c = 0.06 on ImageNet-64. The element-wise
/// variant is what several public reimplementations of iCT compute; it is an option, not a default.
/// The Cauchy metric is that of improved latent consistency training (sLCT; Dao et al. 2025).
///
/// Both pseudo-Huber forms are evaluated as S / (√(S + c²) + c), which equals √(S + c²) − c without
/// its cancellation when S ≪ c²; sign 0 is 0 and every 0/0 at Δ = 0 is taken as 0.
///
/// Kernels: ``lossAndGradient(_:dimension:gradient:gradientScale:)`` over one `Float` row (the
/// network's precision; allocation-free, 16-lane loops) and ``lossAndGradient(_:)`` over `Double`
/// (the ground truth the tests compare against).
public enum TDErrorMetric: Equatable, Sendable {
    /// m = ‖Δ‖² (CM; Song et al. 2023, with LPIPS unavailable).
    case squaredL2
    /// m = ‖Δ‖₁.
    case l1
    /// m = ‖Δ‖² / D, the per-dimension mean of the squared error.
    case meanSquared
    /// m = √(‖Δ‖² + c²) − c over the whole vector (iCT with c = 0.00054·√D; ECT with c = 0 or 0.06).
    /// c must be finite and ≥ 0.
    case pseudoHuber(c: Double)
    /// m = Σ_j (√(Δ_j² + c²) − c), the element-wise variant of public reimplementations. c finite, ≥ 0.
    case pseudoHuberElementwise(c: Double)
    /// m = log(1 + ‖Δ‖² / (2c²)) (sLCT; Dao et al. 2025). c must be finite and > 0.
    case cauchy(c: Double)

    /// iCT's pseudo-Huber constant c = 0.00054·√D (Song & Dhariwal 2023, §3.3).
    public static func improvedConsistencyHuberConstant(dimension: Int) -> Double {
        0.00054 * Double(dimension).squareRoot()
    }

    /// Every metric name ``named(_:c:)`` accepts, in declaration order.
    public static let names = ["squared-l2", "l1", "mean-squared", "pseudo-huber", "pseudo-huber-elementwise", "cauchy"]

    /// The metric's name in configurations and records ("pseudo-huber", …).
    public var name: String {
        switch self {
        case .squaredL2: return "squared-l2"
        case .l1: return "l1"
        case .meanSquared: return "mean-squared"
        case .pseudoHuber: return "pseudo-huber"
        case .pseudoHuberElementwise: return "pseudo-huber-elementwise"
        case .cauchy: return "cauchy"
        }
    }

    /// The constant c of the metrics that have one (nil for the others).
    public var constant: Double? {
        switch self {
        case .squaredL2, .l1, .meanSquared: return nil
        case let .pseudoHuber(c), let .pseudoHuberElementwise(c), let .cauchy(c): return c
        }
    }

    /// The metric called `name` (one of ``names``), validated. `c` is required by "pseudo-huber",
    /// "pseudo-huber-elementwise" and "cauchy" and refused by the others (a stray constant is more
    /// likely a mistake than an intention).
    public static func named(_ name: String, c: Double? = nil) throws(LossSettingError) -> TDErrorMetric {
        let metric: TDErrorMetric
        switch name {
        case "squared-l2": metric = .squaredL2
        case "l1": metric = .l1
        case "mean-squared": metric = .meanSquared
        case "pseudo-huber", "pseudo-huber-elementwise", "cauchy":
            guard let c else {
                throw .invalidValue(setting: "the constant c of TD-error metric \"\(name)\"", value: "missing",
                                    expected: name == "cauchy"
                                        ? "a finite c > 0"
                                        : "a finite c ≥ 0 (iCT: 0.00054·√D; ECT: 0 on CIFAR-10, 0.06 on ImageNet-64)")
            }
            metric = name == "pseudo-huber" ? .pseudoHuber(c: c) : name == "cauchy" ? .cauchy(c: c) : .pseudoHuberElementwise(c: c)
        default:
            throw .unknownMetric(name, valid: names)
        }
        if let c, metric.constant == nil {
            throw .invalidValue(setting: "the constant c of TD-error metric \"\(name)\"", value: "\(c)",
                                expected: "no constant: only \"pseudo-huber\", \"pseudo-huber-elementwise\" and \"cauchy\" take one")
        }
        try metric.validate()
        return metric
    }

    /// Throws when c is not finite, negative, or (for Cauchy) zero.
    public func validate() throws(LossSettingError) {
        switch self {
        case .squaredL2, .l1, .meanSquared:
            return
        case let .pseudoHuber(c), let .pseudoHuberElementwise(c):
            guard c.isFinite, c >= 0 else {
                throw .invalidValue(setting: "the constant c of TD-error metric \"\(name)\"", value: "\(c)",
                                    expected: "a finite c ≥ 0 (iCT: 0.00054·√D; ECT: 0 on CIFAR-10, 0.06 on ImageNet-64)")
            }
        case let .cauchy(c):
            guard c.isFinite, c > 0 else {
                throw .invalidValue(setting: "the constant c of TD-error metric \"cauchy\"", value: "\(c)",
                                    expected: "a finite c > 0 (the metric divides by 2c²)")
            }
        }
    }

    /// m(Δ) in Double (the ground truth).
    public func loss(_ delta: [Double]) -> Double { lossAndGradient(delta).loss }

    /// m(Δ) and ∂m/∂Δ in Double (the ground truth of the `Float` kernel and of finite differences).
    public func lossAndGradient(_ delta: [Double]) -> (loss: Double, gradient: [Double]) {
        let s = delta.reduce(0) { sum, x in sum + x * x }
        let d = Double(delta.count)
        switch self {
        case .squaredL2:
            return (s, delta.map { 2 * $0 })
        case .meanSquared:
            return (s / d, delta.map { 2 * $0 / d })
        case .l1:
            return (delta.reduce(0) { $0 + abs($1) }, delta.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        case let .pseudoHuber(c):
            let root = (s + c * c).squareRoot()
            return (s == 0 ? 0 : s / (root + c), delta.map { root > 0 ? $0 / root : 0 })
        case let .pseudoHuberElementwise(c):
            var total = 0.0
            let gradient = delta.map { x -> Double in
                let root = (x * x + c * c).squareRoot()
                if x != 0 { total += x * x / (root + c) }
                return root > 0 ? x / root : 0
            }
            return (total, gradient)
        case let .cauchy(c):
            let twoCSquared = 2 * c * c
            return (Foundation.log1p(s / twoCSquared), delta.map { 2 * $0 / (twoCSquared + s) })
        }
    }
}
