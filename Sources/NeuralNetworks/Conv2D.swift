import Tensors

/// 2-D convolution (cross-correlation, as in every deep-learning library) with a square kernel,
/// stride s and symmetric zero padding p:
///
///     y[b, o, u, v] = bias[o] + Σ_{c,i,j} W[o, (c·k + i)·k + j] · x[b, c, u·s − p + i, v·s − p + j]
///
/// with x read as 0 outside the image; `[B, C, H, W] → [B, O, H′, W′]`,
/// `H′ = ⌊(H + 2p − k)/s⌋ + 1` (likewise W′).
///
/// Per image it is one matrix product on the im2col unfolding X_col (`C·k² × H′W′`, see ``im2col``):
///
///     Y_b = W · X_col,b + bias 1ᵀ                     W: O × C·k²
///
/// Backward, for the leading b ≤ B images (the rest have zero gradient):
///
///     dW += Σ_b dY_b · X_col,bᵀ,   dbias += Σ_b dY_b 1,   dx_b = col2im(Wᵀ · dY_b)
///
/// The column buffer holds one image and is rebuilt in the backward pass (unfolding costs one write per
/// column entry against 2·O flops of the product per entry). A 1×1 kernel with stride 1 and no
/// padding skips unfolding and folding: its column matrix is the image itself.
///
/// Parameters: `<scope>.weight` `[O, C·k²]` (PyTorch's `U(−1/√(C·k²), 1/√(C·k²))` by default,
/// decayed) and `<scope>.bias` `[O]` (zeros, not decayed). Set ``computesInputGradient`` to false on
/// a network's first layer to skip dx; `backward` then returns an empty tensor.
public final class Conv2D: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: ParameterHandle
    public let bias: ParameterHandle?
    public var computesInputGradient = true
    let store: ParameterStore
    /// 1×1, stride 1, no padding: the image is its own column matrix.
    private let isPointwise: Bool

    private var input: Tensor?
    private var geometry: ConvolutionGeometry?
    private let output = try! Tensor(zeros: [0, 0, 0, 0])
    private let columns = try! Tensor(zeros: [0, 0])
    private let columnGradient = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0, 0, 0])
    private let emptyGradient = try! Tensor(zeros: [0])

    /// Throws for a channel count or kernel size below 1, a stride below 1 or a negative padding.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, weightInitializer: ParameterInitializer? = nil, scope: ParameterScope
    ) throws(TensorError) {
        let operation = "Conv2D(\(scope.prefix))"
        guard inputChannels > 0, outputChannels > 0 else {
            throw .invalidArgument(operation: operation,
                                   message: "channel counts must be > 0, got \(inputChannels) → \(outputChannels)")
        }
        guard kernelSize > 0 else { throw .invalidArgument(operation: operation, message: "the kernel size must be > 0, got \(kernelSize)") }
        guard stride > 0 else { throw .invalidArgument(operation: operation, message: "the stride must be > 0, got \(stride)") }
        guard padding >= 0 else { throw .invalidArgument(operation: operation, message: "the padding must be ≥ 0, got \(padding)") }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.isPointwise = kernelSize == 1 && stride == 1 && padding == 0
        self.store = scope.store
        let fanIn = inputChannels * kernelSize * kernelSize
        self.weight = try scope.register("weight", shape: [outputChannels, fanIn],
                                         initializer: weightInitializer ?? .fanInUniform(fanIn: fanIn))
        self.bias = bias ? try scope.register("bias", shape: [outputChannels], initializer: .zeros, decays: false) : nil
    }

    /// The output shape for an input of `[batch, inputChannels, height, width]`; throws when the kernel
    /// does not fit the padded image.
    public func outputShape(batch: Int, height: Int, width: Int) throws(TensorError) -> [Int] {
        let g = try ConvolutionGeometry(channels: inputChannels, height: height, width: width,
                                        kernelSize: kernelSize, stride: stride, padding: padding)
        return [batch, outputChannels, g.outputHeight, g.outputWidth]
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard input.rank == 4 else {
            throw .invalidShape(operation: "Conv2D.forward", shape: input.shape,
                                expectation: "the input must be [batch, \(inputChannels), height, width]")
        }
        guard input.shape[1] == inputChannels else {
            throw .shapeMismatch(operation: "Conv2D.forward", lhs: input.shape,
                                 rhs: [input.shape[0], inputChannels, input.shape[2], input.shape[3]],
                                 expectation: "the input must have \(inputChannels) channels for a \(inputChannels) → \(outputChannels) convolution")
        }
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let g = try currentGeometry(height: height, width: width)
        self.input = input
        let positions = g.outputPositions, patch = g.patchSize
        try output.resize(batch: batch, channels: outputChannels, height: g.outputHeight, width: g.outputWidth)
        if !isPointwise { try columns.resize(rows: patch, columns: positions) }
        let weights = MatrixView(base: store.values + weight.offset, rows: outputChannels, columns: patch)
        let biasPointer = bias.map { UnsafePointer(store.values + $0.offset) }
        for image in 0..<batch {
            let unfolded = unfold(input.data + image * g.imageSize, geometry: g)
            let target = output.data + image * outputChannels * positions
            try gemm(weights, MatrixView(base: unfolded, rows: patch, columns: positions),
                     into: MatrixView(base: target, rows: outputChannels, columns: positions))
            if let biasPointer {
                Kernels.addChannelBias(biasPointer, to: target, channels: outputChannels, positions: positions)
            }
        }
        return output
    }

    /// The column matrix of one image: the image itself for a pointwise (1×1, stride 1, no padding)
    /// kernel, else its im2col unfolding in the reused ``columns`` buffer.
    private func unfold(_ image: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) -> UnsafeMutablePointer<Float> {
        if isPointwise { return image }
        im2col(image, geometry: g, columns: columns.data)
        return columns.data
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        guard let input, let g = geometry else {
            throw .invalidArgument(operation: "Conv2D.backward", message: "backward was called before forward")
        }
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "Conv2D")
        let positions = g.outputPositions, patch = g.patchSize
        let weights = MatrixView(base: store.values + weight.offset, rows: outputChannels, columns: patch)
        let weightGradient = MatrixView(base: store.gradients + weight.offset, rows: outputChannels, columns: patch)
        let biasGradient = bias.map { store.gradients + $0.offset }
        if computesInputGradient {
            try inputGradient.resize(like: input.shape, rows: rows)
            if !isPointwise { try columnGradient.resize(rows: patch, columns: positions) }
        }
        for image in 0..<rows {
            let unfolded = unfold(input.data + image * g.imageSize, geometry: g)
            let imageGradient = MatrixView(base: outputGradient.data + image * outputChannels * positions,
                                           rows: outputChannels, columns: positions)
            // dW += dY_b · X_col,bᵀ
            try gemm(imageGradient, MatrixView(base: unfolded, rows: patch, columns: positions), transposeB: true,
                     into: weightGradient, beta: 1)
            if let biasGradient {
                Kernels.accumulateChannelSums(imageGradient.base, channels: outputChannels, positions: positions,
                                              into: biasGradient)
            }
            guard computesInputGradient else { continue }
            let target = inputGradient.data + image * g.imageSize
            if isPointwise {
                try gemm(weights, transposeA: true, imageGradient,
                         into: MatrixView(base: target, rows: inputChannels, columns: positions))
            } else {
                try gemm(weights, transposeA: true, imageGradient, into: MatrixView(columnGradient))
                target.update(repeating: 0, count: g.imageSize)
                col2im(columnGradient.data, geometry: g, image: target)
            }
        }
        return computesInputGradient ? inputGradient : emptyGradient
    }

    /// The geometry for this image size, rebuilt only when the size changes.
    private func currentGeometry(height: Int, width: Int) throws(TensorError) -> ConvolutionGeometry {
        if let geometry, geometry.height == height, geometry.width == width { return geometry }
        let g = try ConvolutionGeometry(channels: inputChannels, height: height, width: width,
                                        kernelSize: kernelSize, stride: stride, padding: padding)
        geometry = g
        return g
    }
}
