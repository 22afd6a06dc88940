import Tensors

/// Adam (Kingma & Ba 2015) with PyTorch's semantics (`torch.optim.Adam`; `AdamW` with the decoupled
/// weight decay). At step t (from 1), for every trainable scalar with gradient g:
///
///     m ← β1·m + (1 − β1)·g                     (computed as m + (1 − β1)(g − m), PyTorch's lerp)
///     v ← β2·v + (1 − β2)·g²
///     m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t)
///     p ← p − lr · m̂ / (√v̂ + ε)
///
/// arranged as PyTorch arranges it: `p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)`, with the
/// scalar factors computed once per step in Double.
/// Weight decay λ (decaying entries only): ``WeightDecayStyle/decoupled`` (the default) first
/// scales `p ← p·(1 − lr·λ)`; ``WeightDecayStyle/coupled`` uses `g + λ·p` in place of g.
///
/// Defaults β1 = 0.9, β2 = 0.999, ε = 1e−8 (the reference step of BENCHMARK.md §1 uses lr = 1e−4).
/// Slots: "m" (first moment) and "v" (second moment).
public final class Adam: StateBackedOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let weightDecayStyle: WeightDecayStyle
    public let state: OptimizerState
    /// 1 / (1 − β1^t) and 1 / √(1 − β2^t) for the current step.
    private var inverseBiasCorrection1: Float = 1
    private var inverseSqrtBiasCorrection2: Float = 1

    /// Throws for β outside [0, 1), a negative ε or a negative weight decay.
    public init(
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, weightDecayStyle: WeightDecayStyle = .decoupled
    ) throws(TensorError) {
        try validateAdaptiveMomentSettings(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, operation: "Adam")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.weightDecayStyle = weightDecayStyle
        self.state = OptimizerState(kind: "adam", slotNames: ["m", "v"])
    }

    public func beginStep(_ store: ParameterStore) throws(TensorError) {
        try state.prepare(for: store)
        state.stepCount += 1
        let t = state.stepCount
        inverseBiasCorrection1 = Float(1 / (1 - integerPower(Double(beta1), t)))
        inverseSqrtBiasCorrection2 = Float(1 / (1 - integerPower(Double(beta2), t)).squareRoot())
    }

    public func update(_ store: ParameterStore, range: Range<Int>, learningRate: Float) {
        let values = store.values, gradients = store.gradients
        let m = state.slots[0], v = state.slots[1]
        let stepSize = learningRate * inverseBiasCorrection1
        let coupled = weightDecayStyle == .coupled
        state.forEachTrainablePiece(in: range) { lower, upper, decays in
            let decay = decays ? weightDecay : 0
            Adam.kernel(
                values + lower, gradients + lower, m + lower, v + lower, count: upper - lower,
                keep: coupled ? 1 : 1 - learningRate * decay, l2: coupled ? decay : 0,
                beta1: beta1, beta2: beta2, epsilon: epsilon,
                stepSize: stepSize, inverseSqrtBiasCorrection2: inverseSqrtBiasCorrection2)
        }
    }

    /// One pass over `count` scalars (see the type's formula); `keep = 1 − lr·λ` (decoupled) or 1,
    /// `l2 = λ` (coupled) or 0.
    @inline(__always)
    static func kernel(
        _ p: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int,
        keep: Float, l2: Float, beta1: Float, beta2: Float, epsilon: Float,
        stepSize: Float, inverseSqrtBiasCorrection2: Float
    ) {
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        for i in 0..<count {
            let g = gradient[i] + l2 * p[i]
            let mi = m[i] + oneMinusBeta1 * (g - m[i])
            let vi = beta2 * v[i] + oneMinusBeta2 * g * g
            m[i] = mi
            v[i] = vi
            let denominator = vi.squareRoot() * inverseSqrtBiasCorrection2 + epsilon
            p[i] = p[i] * keep - stepSize * (mi / denominator)
        }
    }
}
