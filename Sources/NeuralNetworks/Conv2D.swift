import Tensors

/// 2-D convolution (cross-correlation, as in every deep-learning library) with a square kernel,
/// stride s and symmetric zero padding p:
///
///     y[b, o, u, v] = bias[o] + Σ_{c,i,j} W[o, (c·k + i)·k + j] · x[b, c, u·s − p + i, v·s − p + j]
///
/// with x read as 0 outside the image; `[B, C, H, W] → [B, O, H′, W′]`,
/// `H′ = ⌊(H + 2p − k)/s⌋ + 1` (likewise W′).
///
/// The batch is processed in blocks of n images (as many as fit a column budget of 1 MB, see
/// ``ConvolutionWorkspace``). A block is unfolded into one batch-wide im2col matrix
/// X_col = [X_col,b₁ … X_col,bₙ] (`C·k² × n·H′W′`, see ``im2col(_:geometry:columns:images:)``), so
/// each block is one matrix product instead of n products with only H′W′ columns (64 at 8×8, far too
/// few for BLAS to reach speed):
///
///     Y_col = W · X_col                W: O × C·k²,   Y_col: O × n·H′W′
///     y[b, o, ·] = Y_col[o, b-th H′W′ columns] + bias[o]
///
/// Backward, for the leading b ≤ B images (the rest have zero gradient), with dY_col the gradient
/// gathered into the same `O × n·H′W′` layout:
///
///     dW += dY_col · X_colᵀ,   dbias += dY_col 1,   dX_col = Wᵀ · dY_col,   dx_b = col2im(dX_col,b)
///
/// X_col is rebuilt in the backward pass (unfolding costs one write per column entry against 2·O
/// flops of the product per entry) and dX_col overwrites it. The column and product buffers live in a
/// workspace that a network shares across its convolutions.
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
    /// The column and product buffers; a network hands one shared workspace to all its convolutions.
    var workspace = ConvolutionWorkspace()

    private var input: Tensor?
    private var geometry: ConvolutionGeometry?
    private let output = try! Tensor(zeros: [0, 0, 0, 0])
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
        let blockImages = reserveWorkspace(batch: batch, geometry: g)
        let weights = MatrixView(base: store.values + weight.offset, rows: outputChannels, columns: patch)
        let biasPointer = bias.map { UnsafePointer(store.values + $0.offset) }
        var first = 0
        while first < batch {
            let images = min(blockImages, batch - first), columnCount = images * positions
            unfold(input, images: first..<(first + images), geometry: g)
            try gemm(weights, MatrixView(base: workspace.columns, rows: patch, columns: columnCount),
                     into: MatrixView(base: workspace.product, rows: outputChannels, columns: columnCount))
            // y[b, o, ·] = Y_col[o, b·P ..< (b+1)·P] + bias[o]
            Kernels.scatterChannelBlocks(workspace.product, images: images, channels: outputChannels, positions: positions,
                                         bias: biasPointer, into: output.data + first * outputChannels * positions)
            first += images
        }
        return output
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
        if computesInputGradient { try inputGradient.resize(like: input.shape, rows: rows) }
        let blockImages = reserveWorkspace(batch: rows, geometry: g)
        var first = 0
        while first < rows {
            let images = min(blockImages, rows - first), columnCount = images * positions
            let columns = MatrixView(base: workspace.columns, rows: patch, columns: columnCount)
            let gradientColumns = MatrixView(base: workspace.product, rows: outputChannels, columns: columnCount)
            // dY_col[o, b·P + p] = dy[b, o, p]
            Kernels.gatherChannelBlocks(outputGradient.data + first * outputChannels * positions, images: images,
                                        channels: outputChannels, positions: positions, into: workspace.product)
            if let biasGradient {
                Kernels.accumulateChannelSums(workspace.product, channels: outputChannels, positions: columnCount, into: biasGradient)
            }
            unfold(input, images: first..<(first + images), geometry: g)
            // dW += dY_col · X_colᵀ
            try gemm(gradientColumns, columns, transposeB: true, into: weightGradient, beta: 1)
            if computesInputGradient {
                // dX_col = Wᵀ · dY_col, over X_col's buffer; then each image's fold.
                try gemm(weights, transposeA: true, gradientColumns, into: columns)
                let target = inputGradient.data + first * g.imageSize
                target.update(repeating: 0, count: images * g.imageSize)
                col2im(workspace.columns, geometry: g, image: target, images: images)
            }
            first += images
        }
        return computesInputGradient ? inputGradient : emptyGradient
    }

    /// Grows the workspace for blocks of this layer and returns the images per block.
    private func reserveWorkspace(batch: Int, geometry g: ConvolutionGeometry) -> Int {
        let images = workspace.imagesPerBlock(batch: batch, patchSize: g.patchSize, positions: g.outputPositions)
        workspace.reserve(columns: images * g.patchSize * g.outputPositions,
                          product: images * outputChannels * g.outputPositions)
        return images
    }

    /// The batch-wide column matrix of `images` (image b of the block at column offset b·H′W′).
    private func unfold(_ input: Tensor, images: Range<Int>, geometry g: ConvolutionGeometry) {
        im2col(input.data + images.lowerBound * g.imageSize, geometry: g, columns: workspace.columns, images: images.count)
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
