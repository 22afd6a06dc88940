import Tensors

/// Clips the global gradient norm of `store` to at most `maxNorm` and returns the norm before
/// clipping (what a training log records):
///
///     ‖g‖ = √(Σᵢ gᵢ²)   (over every gradient of the store, accumulated in Double)
///     if ‖g‖ > maxNorm:   g ← g · (maxNorm / ‖g‖)
///
/// so a clipped gradient has norm `maxNorm` up to Float rounding (PyTorch's `clip_grad_norm_` adds
/// 1e−6 to the denominator; this does not). A non-finite norm is returned unchanged and the
/// gradients are left alone: the training loop skips such a step (DESIGN.md §7). Frozen entries
/// carry zero gradients and do not contribute. Throws for a `maxNorm` that is not finite and > 0.
@discardableResult
public func clipGradientNorm(_ store: ParameterStore, maxNorm: Double) throws(TensorError) -> Double {
    guard maxNorm.isFinite, maxNorm > 0 else {
        throw .invalidArgument(operation: "clipGradientNorm", message: "maxNorm must be finite and > 0, got \(maxNorm)")
    }
    let norm = store.gradientNorm()
    if norm.isFinite && norm > maxNorm {
        Kernels.scale(store.gradients, by: Float(maxNorm / norm), count: store.count)
    }
    return norm
}
