import Tensors

/// Rectified Adam (Liu et al. 2019, "On the Variance of the Adaptive Learning Rate and Beyond"),
/// exactly as `torch.optim.RAdam` computes it — the optimizer of ECT (METHODS.md §6, lr 1e−4).
/// At step t (from 1), for every trainable scalar with gradient g:
///
///     m ← β1·m + (1 − β1)·g,    v ← β2·v + (1 − β2)·g²,    m̂ = m / (1 − β1^t)
///     ρ∞ = 2/(1 − β2) − 1,      ρt = ρ∞ − 2t·β2^t / (1 − β2^t)
///     if ρt > 5:   rt = √( (ρt − 4)(ρt − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρt) )
///                  p ← p − lr · rt · m̂ · √(1 − β2^t) / (√v + ε)
///     else:        p ← p − lr · m̂                         (un-adapted momentum step)
///
/// Note that ε is added to √v, not to √v̂ as in Adam (PyTorch's arrangement). The second moment is
/// updated in both regimes. Weight decay λ (decaying entries only): ``WeightDecayStyle/decoupled``
/// (the default; PyTorch's `decoupled_weight_decay=True`) scales `p ← p·(1 − lr·λ)` first;
/// ``WeightDecayStyle/coupled`` (PyTorch's plain `weight_decay`) uses `g + λ·p` in place of g.
///
/// With β2 = 0.999 the first 5 steps are momentum steps (ρt ≤ 5 for t ≤ 5). Defaults β1 = 0.9,
/// β2 = 0.999, ε = 1e−8. Slots: "m" and "v".
public final class RAdam: StateBackedOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let weightDecayStyle: WeightDecayStyle
    public let state: OptimizerState
    /// Whether the current step uses the rectified (adaptive) update.
    public private(set) var isRectified = false
    /// ρt of the current step (0 before the first step).
    public private(set) var rho: Double = 0
    /// lr-free factor of the update for the current step: rt·√(1 − β2^t)/(1 − β1^t) when rectified,
    /// 1/(1 − β1^t) otherwise.
    private var stepFactor: Float = 1

    /// Throws for β outside [0, 1), a negative ε or a negative weight decay.
    public init(
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, weightDecayStyle: WeightDecayStyle = .decoupled
    ) throws(TensorError) {
        try validateAdaptiveMomentSettings(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, operation: "RAdam")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.weightDecayStyle = weightDecayStyle
        self.state = OptimizerState(kind: "radam", slotNames: ["m", "v"])
    }

    /// ρ∞ = 2/(1 − β2) − 1, the length of the approximated simple moving average as t → ∞.
    public var rhoInfinity: Double { 2 / (1 - Double(beta2)) - 1 }

    public func reset() {
        state.reset()
        isRectified = false
        rho = 0
    }

    public func beginStep(_ store: ParameterStore) throws(TensorError) {
        try state.prepare(for: store)
        state.stepCount += 1
        let t = state.stepCount
        let b1 = Double(beta1), b2 = Double(beta2)
        let beta2PowerT = integerPower(b2, t)
        let biasCorrection1 = 1 - integerPower(b1, t)
        let biasCorrection2 = 1 - beta2PowerT
        let rhoInfinity = 2 / (1 - b2) - 1
        rho = rhoInfinity - 2 * Double(t) * beta2PowerT / biasCorrection2
        if rho > 5 {
            let rectification = ((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho)).squareRoot()
            stepFactor = Float(rectification * biasCorrection2.squareRoot() / biasCorrection1)
            isRectified = true
        } else {
            stepFactor = Float(1 / biasCorrection1)
            isRectified = false
        }
    }

    public func update(_ store: ParameterStore, range: Range<Int>, learningRate: Float) {
        let values = store.values, gradients = store.gradients
        let m = state.slots[0], v = state.slots[1]
        let stepSize = learningRate * stepFactor
        let coupled = weightDecayStyle == .coupled
        let rectified = isRectified
        state.forEachTrainablePiece(in: range) { lower, upper, decays in
            let decay = decays ? weightDecay : 0
            let keep: Float = coupled ? 1 : 1 - learningRate * decay
            let l2: Float = coupled ? decay : 0
            if rectified {
                RAdam.rectifiedKernel(values + lower, gradients + lower, m + lower, v + lower, count: upper - lower,
                                      keep: keep, l2: l2, beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: stepSize)
            } else {
                RAdam.momentumKernel(values + lower, gradients + lower, m + lower, v + lower, count: upper - lower,
                                     keep: keep, l2: l2, beta1: beta1, beta2: beta2, stepSize: stepSize)
            }
        }
    }

    /// ρt > 5: `p ← p·keep − stepSize · m / (√v + ε)` with `stepSize = lr·rt·√(1 − β2^t)/(1 − β1^t)`.
    @inline(__always)
    static func rectifiedKernel(
        _ p: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int,
        keep: Float, l2: Float, beta1: Float, beta2: Float, epsilon: Float, stepSize: Float
    ) {
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        for i in 0..<count {
            let g = gradient[i] + l2 * p[i]
            let mi = m[i] + oneMinusBeta1 * (g - m[i])
            let vi = beta2 * v[i] + oneMinusBeta2 * g * g
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * keep - stepSize * (mi / (vi.squareRoot() + epsilon))
        }
    }

    /// ρt ≤ 5: `p ← p·keep − stepSize · m` with `stepSize = lr/(1 − β1^t)`; v is still updated.
    @inline(__always)
    static func momentumKernel(
        _ p: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int,
        keep: Float, l2: Float, beta1: Float, beta2: Float, stepSize: Float
    ) {
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        for i in 0..<count {
            let g = gradient[i] + l2 * p[i]
            let mi = m[i] + oneMinusBeta1 * (g - m[i])
            m[i] = mi
            v[i] = beta2 * v[i] + oneMinusBeta2 * g * g
            p[i] = p[i] * keep - stepSize * mi
        }
    }
}
