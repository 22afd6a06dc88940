import Tensors

/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum μ, as `torch.optim.SGD`
/// computes it (dampening 0). For every trainable scalar with gradient g:
///
///     μ = 0:         p ← p − lr·g
///     μ > 0:         b ← μ·b + g                          (b starts at 0, so b₁ = g₁)
///                    p ← p − lr·b              (heavy ball)
///                    p ← p − lr·(g + μ·b)      (Nesterov)
///
/// Weight decay λ (decaying entries only): ``WeightDecayStyle/decoupled`` (the default) first scales
/// `p ← p·(1 − lr·λ)`; ``WeightDecayStyle/coupled`` uses `g + λ·p` in place of g (PyTorch's
/// `weight_decay`). Slot: "momentum" (only when μ > 0). `beginStep` only advances `t`.
public final class SGD: StateBackedOptimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public let weightDecayStyle: WeightDecayStyle
    public let state: OptimizerState

    /// Throws for μ outside [0, 1), Nesterov without momentum, or a negative weight decay.
    public init(
        momentum: Float = 0, nesterov: Bool = false,
        weightDecay: Float = 0, weightDecayStyle: WeightDecayStyle = .decoupled
    ) throws(TensorError) {
        try validateBeta(momentum, name: "the momentum", operation: "SGD")
        guard !nesterov || momentum > 0 else {
            throw .invalidArgument(operation: "SGD", message: "Nesterov momentum needs a momentum > 0")
        }
        try validateWeightDecay(weightDecay, operation: "SGD")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.weightDecayStyle = weightDecayStyle
        self.state = OptimizerState(kind: "sgd", slotNames: momentum > 0 ? ["momentum"] : [])
    }

    public func beginStep(_ store: ParameterStore) throws(TensorError) {
        try state.prepare(for: store)
        state.stepCount += 1
    }

    public func update(_ store: ParameterStore, range: Range<Int>, learningRate: Float) {
        let values = store.values, gradients = store.gradients
        let buffer = momentum > 0 ? state.slots[0] : nil
        let coupled = weightDecayStyle == .coupled
        state.forEachTrainablePiece(in: range) { lower, upper, decays in
            let decay = decays ? weightDecay : 0
            let keep: Float = coupled ? 1 : 1 - learningRate * decay
            let l2: Float = coupled ? decay : 0
            if let buffer {
                SGD.momentumKernel(values + lower, gradients + lower, buffer + lower, count: upper - lower,
                                   keep: keep, l2: l2, momentum: momentum, nesterov: nesterov, learningRate: learningRate)
            } else {
                SGD.plainKernel(values + lower, gradients + lower, count: upper - lower,
                                keep: keep, l2: l2, learningRate: learningRate)
            }
        }
    }

    /// `p ← p·keep − lr·(g + l2·p)`.
    @inline(__always)
    static func plainKernel(
        _ p: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, count: Int,
        keep: Float, l2: Float, learningRate: Float
    ) {
        for i in 0..<count {
            let g = gradient[i] + l2 * p[i]
            p[i] = p[i] * keep - learningRate * g
        }
    }

    /// `b ← μ·b + g`, `p ← p·keep − lr·d` with `d = b` (heavy ball) or `d = g + μ·b` (Nesterov).
    @inline(__always)
    static func momentumKernel(
        _ p: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int,
        keep: Float, l2: Float, momentum: Float, nesterov: Bool, learningRate: Float
    ) {
        if nesterov {
            for i in 0..<count {
                let g = gradient[i] + l2 * p[i]
                let bi = momentum * b[i] + g
                b[i] = bi
                p[i] = p[i] * keep - learningRate * (g + momentum * bi)
            }
        } else {
            for i in 0..<count {
                let g = gradient[i] + l2 * p[i]
                let bi = momentum * b[i] + g
                b[i] = bi
                p[i] = p[i] * keep - learningRate * bi
            }
        }
    }
}
