import Foundation

/// How the learning rate decays after the linear warm-up (a toy-run setting; the papers train at a
/// constant rate, EDM2 and many reimplementations decay it). With base rate η, warm-up W and K
/// iterations, the progress is p = (k − W) / (K − W) ∈ [0, 1] and
///
/// - `.constant`: η_k = η;
/// - `.cosine(finalFraction: φ)`: η_k = η (φ + (1 − φ)(1 + cos(π p)) / 2), from η to φ η;
/// - `.linear(finalFraction: φ)`: η_k = η (1 − (1 − φ) p).
public enum LearningRateDecay: Equatable, Sendable {
    case constant
    case cosine(finalFraction: Float)
    case linear(finalFraction: Float)

    /// The factor η_k / η at iteration k of `total` after `warmup` warm-up iterations (1 during warm-up).
    public func factor(iteration k: Int, total: Int, warmup: Int) -> Float {
        guard k >= warmup, total > warmup else { return 1 }
        let p = min(Float(k - warmup) / Float(total - warmup), 1)
        switch self {
        case .constant: return 1
        case let .cosine(phi): return phi + (1 - phi) * (1 + Foundation.cos(Float.pi * p)) / 2
        case let .linear(phi): return 1 - (1 - phi) * p
        }
    }

    /// Throws unless φ ∈ [0, 1].
    func validate() throws {
        switch self {
        case .constant: return
        case let .cosine(phi), let .linear(phi):
            guard phi.isFinite, phi >= 0, phi <= 1 else {
                throw AgentError.invalidSetting("learning-rate decay final fraction φ = \(phi)", expected: "0 ≤ φ ≤ 1")
            }
        }
    }
}
