import Synchronization
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
    /// Normalisation of every hidden pre-activation (after the Linear, before the activation).
    public var normalization: Normalization

    /// Which normalisation follows every hidden Linear layer.
    public enum Normalization: String, Sendable, CaseIterable {
        /// None: `h_ℓ = act(h_{ℓ−1} W_ℓ + b_ℓ)` (the reference network).
        case none
        /// LayerNorm with gain and bias (Ba, Kiros & Hinton 2016): `h_ℓ = act(γ_ℓ ⊙ LN(z_ℓ) + β_ℓ)`.
        case layerNorm
        /// sLCT's non-scaling LayerNorm (Dao et al. 2025; METHODS.md §6): no learnable gain, bias kept,
        /// `h_ℓ = act(LN(z_ℓ) + β_ℓ)`.
        case layerNormWithoutScale
    }

    public init(
        dataDimension: Int, width: Int = 256, depth: Int = 4, embedding: TimeEmbeddingKind = .reference,
        activation: Activation = .silu, dropout: Float = 0, normalization: Normalization = .none
    ) {
        self.dataDimension = dataDimension
        self.width = width
        self.depth = depth
        self.embedding = embedding
        self.activation = activation
        self.dropout = dropout
        self.normalization = normalization
    }
}

/// The time-conditioned MLP of BENCHMARK.md §1 — the network F inside every toy consistency model:
///
///     h₀ = concat(x_in, emb(c))                       x_in = c_in(t)·x,  c = c_noise(t)
///     h_ℓ = act(h_{ℓ−1} W_ℓ + b_ℓ)   ℓ = 1…depth     (W₁: (D+E)×W, then W×W)
///     F = h_depth W_out + b_out                       (W_out: W×D)
///
/// with optional dropout after every hidden activation. With a ``TimeConditionedMLPConfiguration/normalization``
/// other than `.none`, every hidden layer normalises its pre-activation before the activation:
///
///     z_ℓ = h_{ℓ−1} W_ℓ + b_ℓ,   h_ℓ = act(LN_ℓ(z_ℓ))   (LN_ℓ: ``LayerNorm``, `.affine` or `.nonScaling`)
///
/// (the hidden Linears then carry no fused activation; b_ℓ is kept, although LN removes its mean over the
/// features, so that parameter names do not depend on the normalisation). Parameters are named
/// `layers.<i>.weight` / `layers.<i>.bias` (i = 0…depth), `norms.<i>.gain` / `norms.<i>.bias`
/// (i = 0…depth−1, gain only for `.layerNorm`) plus the embedding's, all in one store; the norms are
/// registered after the layers, so the layers' offsets are those of the network without them.
/// Input gradients are off by default (training never differentiates with respect to the data);
/// set ``computesInputGradient`` to get dF/dx_in from ``backward(_:)``.
public final class TimeConditionedMLP {
    public let configuration: TimeConditionedMLPConfiguration
    public let store: ParameterStore
    public let embedding: TimeEmbedding
    public let layers: [Linear]
    /// One LayerNorm per hidden layer (empty without normalisation).
    public let norms: [LayerNorm]
    /// The standalone activation after each LayerNorm (empty without normalisation or for `.identity`).
    let activations: [any Layer]
    let dropouts: [Dropout]
    private let concatenated = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0])

    /// When set (with more than one lane), forward and backward split their rows and columns across
    /// the lanes (see ``ParallelLanes``); run OpenBLAS single-threaded meanwhile. Networks with dropout
    /// or normalisation run on one lane.
    public var lanes: ParallelLanes?
    private lazy var laneJob = MLPLaneJob(network: self)

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
        // width² × depth weights, their gradients and optimizer moments: refuse impossible sizes up front.
        try MemoryBudget.check("width × width × depth", [c.width, c.width, c.depth], operation: "TimeConditionedMLP")
        self.configuration = c
        self.store = scope.store
        self.embedding = try TimeEmbedding(c.embedding, scope: scope.child("embedding"))
        var layers: [Linear] = []
        var dropouts: [Dropout] = []
        let layerScope = scope.child("layers")
        var inputs = c.dataDimension + embedding.featureCount
        let fusedActivation = c.normalization == .none ? c.activation : .identity
        for index in 0..<c.depth {
            layers.append(try Linear(inputs, c.width, activation: fusedActivation, scope: layerScope.child(index)))
            if c.dropout > 0 {
                dropouts.append(try Dropout(probability: c.dropout, name: layerScope.child(index).qualified("dropout")))
            }
            inputs = c.width
        }
        layers.append(try Linear(c.width, c.dataDimension, scope: layerScope.child(c.depth)))
        var norms: [LayerNorm] = []
        var activations: [any Layer] = []
        if let mode = c.normalization.layerNormMode {
            let normScope = scope.child("norms")
            for index in 0..<c.depth {
                norms.append(try LayerNorm(features: c.width, mode: mode, scope: normScope.child(index)))
                switch c.activation {
                case .identity: break
                case .silu: activations.append(SiLU())
                case .gelu: activations.append(GELU())
                }
            }
        }
        self.layers = layers
        self.norms = norms
        self.activations = activations
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
        if let lanes, lanes.laneCount > 1, runsOnLanes {
            var layerInput = concatenated
            for layer in layers {
                try layer.prepareForward(layerInput, context: context)
                layerInput = layer.output
            }
            laneJob.start(.forward(input: input, conditioning: noiseConditioning))
            lanes.run(laneJob)
            try laneJob.finish()
            return layers[configuration.depth].output
        }
        concatenate(input, noiseConditioning, rows: 0..<rows)
        var hidden = concatenated
        for index in 0..<configuration.depth {
            hidden = try layers[index].forward(hidden, context: context)
            if !norms.isEmpty { hidden = try norms[index].forward(hidden, context: context) }
            if !activations.isEmpty { hidden = try activations[index].forward(hidden, context: context) }
            if !dropouts.isEmpty { hidden = try dropouts[index].forward(hidden, context: context) }
        }
        return try layers[configuration.depth].forward(hidden, context: context)
    }

    /// Accumulates dL/dθ for the leading b rows of the last forward, given dL/dF ([b, D]); returns
    /// dL/dx_in ([b, D]) when ``computesInputGradient`` is on.
    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        var gradient: Tensor
        if let lanes, lanes.laneCount > 1, runsOnLanes {
            var layerGradient = outputGradient
            for layer in layers.reversed() {
                _ = try layer.prepareBackward(layerGradient)
                layerGradient = layer.lastInputGradient
            }
            laneJob.start(.backward(rows: outputGradient.rows))
            lanes.run(laneJob)
            try laneJob.finish()
            gradient = layers[0].lastInputGradient
            return try copyInputGradient(gradient)
        }
        gradient = try layers[configuration.depth].backward(outputGradient)
        for index in stride(from: configuration.depth - 1, through: 0, by: -1) {
            if !dropouts.isEmpty { gradient = try dropouts[index].backward(gradient) }
            if !activations.isEmpty { gradient = try activations[index].backward(gradient) }
            if !norms.isEmpty { gradient = try norms[index].backward(gradient) }
            gradient = try layers[index].backward(gradient)
        }
        return try copyInputGradient(gradient)
    }

    /// Whether forward and backward may split across ``lanes``: only plain Linear stacks do.
    private var runsOnLanes: Bool { dropouts.isEmpty && norms.isEmpty }

    /// Writes rows `rows` of concat(x_in, emb(c)).
    func concatenate(_ input: Tensor, _ noiseConditioning: Tensor, rows: Range<Int>) {
        let d = configuration.dataDimension, columns = d + embedding.featureCount
        for row in rows {
            (concatenated.data + row * columns).update(from: input.data + row * d, count: d)
        }
        embedding.embed(noiseConditioning.data + rows.lowerBound, rows: rows.count,
                        into: concatenated.data + rows.lowerBound * columns, rowStride: columns, columnOffset: d)
    }

    /// dL/dx_in: the first D columns of the first layer's input gradient (or the empty tensor).
    private func copyInputGradient(_ gradient: Tensor) throws(TensorError) -> Tensor {
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

extension TimeConditionedMLPConfiguration.Normalization {
    /// The ``LayerNorm`` mode this normalisation uses (nil for `.none`).
    var layerNormMode: LayerNorm.Mode? {
        switch self {
        case .none: return nil
        case .layerNorm: return .affine
        case .layerNormWithoutScale: return .nonScaling
        }
    }
}

/// The lanes' share of a forward or backward of a ``TimeConditionedMLP``:
/// - forward: each lane embeds its rows and runs them through every layer (rows are independent, so
///   no barrier is needed);
/// - backward, per layer from the last: each lane computes dz for its rows, all lanes meet at a
///   barrier, then each accumulates dW and db for its columns and dx for its rows (the next layer's
///   dz for those rows needs only that lane's dx, so no second barrier).
final class MLPLaneJob: LaneWork {
    enum Phase {
        case idle
        case forward(input: Tensor, conditioning: Tensor)
        case backward(rows: Int)
    }

    unowned let network: TimeConditionedMLP
    private var phase = Phase.idle
    private let firstError = Mutex<TensorError?>(nil)

    init(network: TimeConditionedMLP) { self.network = network }

    func start(_ phase: Phase) { self.phase = phase }

    /// Ends the dispatch: rethrows the first error any lane met.
    func finish() throws(TensorError) {
        phase = .idle
        let error = firstError.withLock { error in
            defer { error = nil }
            return error
        }
        if let error { throw error }
    }

    func run(lane: Int, of laneCount: Int) {
        switch phase {
        case .idle:
            return
        case let .forward(input, conditioning):
            let rows = ParallelLanes.share(of: input.rows, lane: lane, of: laneCount)
            network.concatenate(input, conditioning, rows: rows)
            for layer in network.layers { record { () throws(TensorError) in try layer.forwardRows(rows) } }
        case let .backward(gradientRows):
            let rows = ParallelLanes.share(of: gradientRows, lane: lane, of: laneCount)
            for layer in network.layers.reversed() {
                layer.backwardActivation(rows: rows, accumulateBias: false)
                network.lanes?.barrier()
                let columns = ParallelLanes.share(of: layer.outputCount, lane: lane, of: laneCount)
                record { () throws(TensorError) in try layer.backwardParameters(columns: columns, includeBias: true) }
                if layer.computesInputGradient {
                    record { () throws(TensorError) in try layer.backwardInput(rows: rows) }
                }
            }
        }
    }

    /// Runs `body`, keeping the first error instead of leaving the lane early (which would leave the
    /// other lanes waiting at a barrier forever).
    private func record(_ body: () throws(TensorError) -> Void) {
        do { try body() } catch {
            firstError.withLock { stored in if stored == nil { stored = error } }
        }
    }
}

extension TimeConditionedMLP: TimeConditionedNetwork {
    /// D, the data dimension.
    public var dataDimension: Int { configuration.dataDimension }
    /// 0: the MLP is unconditional.
    public var classCount: Int { 0 }
    /// `.mlp(configuration)`.
    public var architecture: TimeConditionedNetworkArchitecture { .mlp(configuration) }

    /// F(x_in, c) through the network protocol; the MLP takes no labels (passing any is an error).
    public func forward(_ input: Tensor, noiseConditioning: Tensor, labels: UnsafeBufferPointer<Int32>?,
                        context: ForwardContext) throws(TensorError) -> Tensor {
        guard labels == nil else {
            throw .invalidArgument(operation: "TimeConditionedMLP.forward",
                                   message: "the MLP is unconditional and takes no class labels; use a TimeConditionedUNet with classCount > 0 for class conditioning")
        }
        return try forward(input, noiseConditioning: noiseConditioning, context: context)
    }
}
