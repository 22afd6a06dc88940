import Tensors

/// The settings of a ``TimeConditionedMLP``.
public struct TimeConditionedMLPConfiguration: Equatable, Sendable {
    /// D: the data dimension (input and output features).
    public var dataDimension: Int
    /// W: the width of every hidden layer.
    public var width: Int
    /// Number of hidden layers (each Linear + activation); the reference network has 4.
    public var depth: Int
    public var embedding: TimeEmbeddingKind
    public var activation: Activation
    /// Dropout after every hidden activation (0 = none; iCT trains with dropout).
    public var dropout: Float

    public init(
        dataDimension: Int, width: Int = 256, depth: Int = 4, embedding: TimeEmbeddingKind = .reference,
        activation: Activation = .silu, dropout: Float = 0
    ) {
        self.dataDimension = dataDimension
        self.width = width
        self.depth = depth
        self.embedding = embedding
        self.activation = activation
        self.dropout = dropout
    }
}

/// The time-conditioned MLP of BENCHMARK.md §1 — the network F inside every toy consistency model:
///
///     h₀ = concat(x_in, emb(c))                       x_in = c_in(t)·x,  c = c_noise(t)
///     h_ℓ = act(h_{ℓ−1} W_ℓ + b_ℓ)   ℓ = 1…depth     (W₁: (D+E)×W, then W×W)
///     F = h_depth W_out + b_out                       (W_out: W×D)
///
/// with optional dropout after every hidden activation. Parameters are named
/// `layers.<i>.weight` / `layers.<i>.bias` (i = 0…depth) plus the embedding's, all in one store.
/// Input gradients are off by default (training never differentiates with respect to the data);
/// set ``computesInputGradient`` to get dF/dx_in from ``backward(_:)``.
public final class TimeConditionedMLP {
    public let configuration: TimeConditionedMLPConfiguration
    public let store: ParameterStore
    public let embedding: TimeEmbedding
    public let layers: [Linear]
    let dropouts: [Dropout]
    private let concatenated = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0])

    /// Whether ``backward(_:)`` returns dF/dx_in (otherwise it returns an empty tensor).
    public var computesInputGradient: Bool {
        didSet { layers[0].computesInputGradient = computesInputGradient }
    }

    /// Builds the network and registers its parameters in a new store seeded with `seed`.
    public convenience init(_ configuration: TimeConditionedMLPConfiguration, seed: UInt64) throws(TensorError) {
        try self.init(configuration, scope: ParameterStore(seed: seed).root)
    }

    /// Builds the network inside `scope` (so several networks can share one store). Throws for a
    /// non-positive dimension, width or depth, or a dropout probability outside [0, 1).
    public init(_ configuration: TimeConditionedMLPConfiguration, scope: ParameterScope) throws(TensorError) {
        let c = configuration
        guard c.dataDimension > 0, c.width > 0, c.depth > 0 else {
            throw .invalidArgument(operation: "TimeConditionedMLP",
                message: "dataDimension, width and depth must be > 0, got D = \(c.dataDimension), W = \(c.width), depth = \(c.depth)")
        }
        self.configuration = c
        self.store = scope.store
        self.embedding = try TimeEmbedding(c.embedding, scope: scope.child("embedding"))
        var layers: [Linear] = []
        var dropouts: [Dropout] = []
        let layerScope = scope.child("layers")
        var inputs = c.dataDimension + embedding.featureCount
        for index in 0..<c.depth {
            layers.append(try Linear(inputs, c.width, activation: c.activation, scope: layerScope.child(index)))
            if c.dropout > 0 {
                dropouts.append(try Dropout(probability: c.dropout, name: layerScope.child(index).qualified("dropout")))
            }
            inputs = c.width
        }
        layers.append(try Linear(c.width, c.dataDimension, scope: layerScope.child(c.depth)))
        self.layers = layers
        self.dropouts = dropouts
        self.computesInputGradient = false
        layers[0].computesInputGradient = false
    }

    /// F(x_in, c): `input` is [B, D] (already scaled by c_in), `noiseConditioning` holds B values of
    /// c_noise. Returns [B, D] (a buffer the network overwrites on its next forward).
    public func forward(_ input: Tensor, noiseConditioning: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        let d = configuration.dataDimension
        guard input.rank == 2, input.shape[1] == d else {
            throw .shapeMismatch(operation: "TimeConditionedMLP.forward", lhs: input.shape, rhs: [input.rows, d],
                                 expectation: "the input must be [batch, \(d)]")
        }
        guard noiseConditioning.count == input.rows else {
            throw .shapeMismatch(operation: "TimeConditionedMLP.forward (noise conditioning)", lhs: noiseConditioning.shape,
                                 rhs: input.shape, expectation: "one noise-conditioning value per input row")
        }
        let rows = input.rows, columns = d + embedding.featureCount
        try concatenated.resize(rows: rows, columns: columns)
        for row in 0..<rows {
            (concatenated.data + row * columns).update(from: input.data + row * d, count: d)
        }
        embedding.embed(noiseConditioning.data, rows: rows, into: concatenated.data, rowStride: columns, columnOffset: d)
        var hidden = concatenated
        for index in 0..<configuration.depth {
            hidden = try layers[index].forward(hidden, context: context)
            if !dropouts.isEmpty { hidden = try dropouts[index].forward(hidden, context: context) }
        }
        return try layers[configuration.depth].forward(hidden, context: context)
    }

    /// Accumulates dL/dθ for the leading b rows of the last forward, given dL/dF ([b, D]); returns
    /// dL/dx_in ([b, D]) when ``computesInputGradient`` is on.
    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        var gradient = try layers[configuration.depth].backward(outputGradient)
        for index in stride(from: configuration.depth - 1, through: 0, by: -1) {
            if !dropouts.isEmpty { gradient = try dropouts[index].backward(gradient) }
            gradient = try layers[index].backward(gradient)
        }
        guard computesInputGradient else { return gradient }
        let rows = gradient.rows, d = configuration.dataDimension, columns = d + embedding.featureCount
        try inputGradient.resize(rows: rows, columns: d)
        for row in 0..<rows {
            (inputGradient.data + row * d).update(from: gradient.data + row * columns, count: d)
        }
        return inputGradient
    }

    /// Number of scalar parameters.
    public var parameterCount: Int { store.count }
}
