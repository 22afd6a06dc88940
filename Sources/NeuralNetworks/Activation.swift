import Tensors

/// A point-wise non-linearity, either fused into a ``Linear`` layer or as its own layer.
public enum Activation: String, Sendable, CaseIterable {
    /// `f(z) = z`.
    case identity
    /// SiLU / swish (Elfwing et al. 2018; Ramachandran et al. 2017): `f(z) = z · σ(z)`.
    case silu
    /// GELU, tanh approximation (Hendrycks & Gimpel 2016): `½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))`.
    case gelu
}
