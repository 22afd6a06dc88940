import Tensors

/// Layer normalisation (Ba, Kiros & Hinton 2016) over the last axis of `[B, F]` (or `[B, …, F]`):
///
///     μ = mean_f x_f,   σ² = mean_f (x_f − μ)²,   x̂_f = (x_f − μ) / √(σ² + ε)
///     .affine:      y = γ ⊙ x̂ + β
///     .nonScaling:  y = x̂ + β        (sLCT's "non-scaling LayerNorm", METHODS.md §6: no learnable gain)
///     .none:        y = x̂
///
/// Statistics are accumulated in Double by the corrected two-pass algorithm. Backward, with
/// g = γ ⊙ dy (g = dy without a gain) and r = 1/√(σ² + ε), for the leading b ≤ B samples:
///
///     dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy,   dx = r·(g − mean_f g − x̂ · mean_f(g ⊙ x̂))
///
/// Parameters: `<scope>.gain` `[F]` (ones, `.affine` only) and `<scope>.bias` `[F]` (zeros,
/// `.affine` and `.nonScaling`), neither decayed.
public final class LayerNorm: Layer {
    /// Which learnable parameters follow the normalisation.
    public enum Mode: String, Sendable, CaseIterable {
        /// Gain and bias: `y = γ ⊙ x̂ + β`.
        case affine
        /// Bias only: `y = x̂ + β` (sLCT).
        case nonScaling
        /// No parameters: `y = x̂`.
        case none
    }

    public let features: Int
    public let mode: Mode
    public let epsilon: Float
    public let gain: ParameterHandle?
    public let bias: ParameterHandle?
    let store: ParameterStore?

    private let normalized = try! Tensor(zeros: [0])
    /// 1/√(σ² + ε) per normalised row.
    private let reciprocalStandardDeviations = try! Tensor(zeros: [0])
    private let output = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    /// Throws for `features < 1` or `epsilon ≤ 0`, and when `mode` has parameters but `scope` is nil.
    public init(features: Int, mode: Mode = .affine, epsilon: Float = 1e-5, scope: ParameterScope?) throws(TensorError) {
        let operation = "LayerNorm(\(scope?.prefix ?? ""))"
        guard features > 0 else {
            throw .invalidArgument(operation: operation, message: "the feature count must be > 0, got \(features)")
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw .invalidArgument(operation: operation, message: "epsilon must be finite and > 0, got \(epsilon)")
        }
        self.features = features
        self.mode = mode
        self.epsilon = epsilon
        self.store = scope?.store
        if mode == .none {
            gain = nil
            bias = nil
            return
        }
        guard let scope else {
            throw .invalidArgument(operation: operation, message: "a LayerNorm with mode .\(mode) has parameters and needs a scope")
        }
        gain = mode == .affine ? try scope.register("gain", shape: [features], initializer: .ones, decays: false) : nil
        bias = try scope.register("bias", shape: [features], initializer: .zeros, decays: false)
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard input.rank >= 2, input.shape[input.rank - 1] == features else {
            var expected = input.shape
            if expected.count >= 2 { expected[expected.count - 1] = features } else { expected = [input.rows, features] }
            throw .shapeMismatch(operation: "LayerNorm.forward", lhs: input.shape, rhs: expected,
                                 expectation: "the last axis must have the layer's \(features) features")
        }
        let rows = input.count / features
        try output.resize(to: input.shape)
        try normalized.resize(to: input.shape)
        try reciprocalStandardDeviations.resize(rows: rows, columns: 1)
        let gains = gain.map { UnsafePointer(store!.values + $0.offset) }
        let biases = bias.map { UnsafePointer(store!.values + $0.offset) }
        for row in 0..<rows {
            let offset = row * features
            let x = input.data + offset, xHat = normalized.data + offset, y = output.data + offset
            let (mean, variance) = Kernels.meanAndVariance(x, count: features)
            let r = Float(1 / (variance + Double(epsilon)).squareRoot())
            reciprocalStandardDeviations.data[row] = r
            let center = Float(mean)
            for f in 0..<features { xHat[f] = (x[f] - center) * r }
            switch (gains, biases) {
            case let (gains?, biases?):
                for f in 0..<features { y[f] = xHat[f] * gains[f] + biases[f] }
            case let (nil, biases?):
                for f in 0..<features { y[f] = xHat[f] + biases[f] }
            default:
                y.update(from: xHat, count: features)
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let samples = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "LayerNorm")
        try inputGradient.resize(like: output.shape, rows: samples)
        let rows = outputGradient.count / features
        let gains = gain.map { UnsafePointer(store!.values + $0.offset) }
        let gainGradients = gain.map { store!.gradients + $0.offset }
        let biasGradients = bias.map { store!.gradients + $0.offset }
        let n = Double(features)
        for row in 0..<rows {
            let offset = row * features
            let dy = outputGradient.data + offset, xHat = normalized.data + offset, dx = inputGradient.data + offset
            if let gainGradients { for f in 0..<features { gainGradients[f] += dy[f] * xHat[f] } }
            if let biasGradients { for f in 0..<features { biasGradients[f] += dy[f] } }
            // g = γ ⊙ dy, staged in dx.
            let g: UnsafePointer<Float>
            if let gains {
                for f in 0..<features { dx[f] = gains[f] * dy[f] }
                g = UnsafePointer(dx)
            } else {
                g = UnsafePointer(dy)
            }
            let (sum, dot) = Kernels.sumAndDot(g, xHat, count: features)
            let r = reciprocalStandardDeviations.data[row]
            let a = Float(sum / n) * r, b = Float(dot / n) * r
            for f in 0..<features { dx[f] = r * g[f] - a - xHat[f] * b }
        }
        return inputGradient
    }
}
