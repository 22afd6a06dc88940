/// The geometry of a 2-D convolution over one image: `channels × height × width` input, square
/// `kernelSize` window, `stride`, symmetric zero `padding`.
///
///     outputHeight = ⌊(height + 2·padding − kernelSize) / stride⌋ + 1      (likewise the width)
public struct ConvolutionGeometry: Equatable, Sendable {
    public let channels: Int, height: Int, width: Int
    public let kernelSize: Int, stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int

    /// Throws when an extent is not positive, the stride is 0, the padding is negative, or the window
    /// does not fit in the padded image.
    public init(channels: Int, height: Int, width: Int, kernelSize: Int, stride: Int, padding: Int) throws(TensorError) {
        let operation = "ConvolutionGeometry"
        guard channels > 0, height > 0, width > 0 else {
            throw .invalidShape(operation: operation, shape: [channels, height, width], expectation: "channels, height and width must be > 0")
        }
        guard kernelSize > 0 else { throw .invalidArgument(operation: operation, message: "kernel size must be > 0, got \(kernelSize)") }
        guard stride > 0 else { throw .invalidArgument(operation: operation, message: "stride must be > 0, got \(stride)") }
        guard padding >= 0 else { throw .invalidArgument(operation: operation, message: "padding must be ≥ 0, got \(padding)") }
        guard height + 2 * padding >= kernelSize, width + 2 * padding >= kernelSize else {
            throw .invalidArgument(operation: operation,
                message: "a \(kernelSize)×\(kernelSize) kernel does not fit a \(height)×\(width) image with padding \(padding)")
        }
        self.channels = channels; self.height = height; self.width = width
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        self.outputHeight = (height + 2 * padding - kernelSize) / stride + 1
        self.outputWidth = (width + 2 * padding - kernelSize) / stride + 1
    }

    /// Rows of the column matrix: `channels · kernelSize²`.
    public var patchSize: Int { channels * kernelSize * kernelSize }
    /// Columns of the column matrix: output positions `outputHeight · outputWidth`.
    public var outputPositions: Int { outputHeight * outputWidth }
    /// Elements of one input image.
    public var imageSize: Int { channels * height * width }
}

/// Unfolds one image into a `patchSize × outputPositions` column matrix:
///
///     columns[(c·k + i)·k + j, y·outW + x] = image[c, y·s − p + i, x·s − p + j]   (0 outside the image)
///
/// so the convolution becomes `weights (outChannels × patchSize) · columns`.
public func im2col(_ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>) {
    let positions = g.outputPositions
    for c in 0..<g.channels {
        for i in 0..<g.kernelSize {
            for j in 0..<g.kernelSize {
                let row = columns + ((c * g.kernelSize + i) * g.kernelSize + j) * positions
                for y in 0..<g.outputHeight {
                    let sourceY = y * g.stride - g.padding + i
                    let line = row + y * g.outputWidth
                    if sourceY < 0 || sourceY >= g.height {
                        line.update(repeating: 0, count: g.outputWidth)
                        continue
                    }
                    let source = image + (c * g.height + sourceY) * g.width
                    for x in 0..<g.outputWidth {
                        let sourceX = x * g.stride - g.padding + j
                        line[x] = (sourceX >= 0 && sourceX < g.width) ? source[sourceX] : 0
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:geometry:columns:)``: adds each column entry back to the image pixel it
/// came from (`image` is accumulated into, not overwritten — clear it first for a plain fold).
public func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, image: UnsafeMutablePointer<Float>) {
    let positions = g.outputPositions
    for c in 0..<g.channels {
        for i in 0..<g.kernelSize {
            for j in 0..<g.kernelSize {
                let row = columns + ((c * g.kernelSize + i) * g.kernelSize + j) * positions
                for y in 0..<g.outputHeight {
                    let targetY = y * g.stride - g.padding + i
                    if targetY < 0 || targetY >= g.height { continue }
                    let line = row + y * g.outputWidth
                    let target = image + (c * g.height + targetY) * g.width
                    for x in 0..<g.outputWidth {
                        let targetX = x * g.stride - g.padding + j
                        if targetX >= 0 && targetX < g.width { target[targetX] += line[x] }
                    }
                }
            }
        }
    }
}
