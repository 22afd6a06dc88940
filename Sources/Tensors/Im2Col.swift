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
/// so the convolution becomes `weights (outChannels × patchSize) · columns`. For each kernel offset
/// (i, j) the output columns x whose source `x·s − p + j` lies inside the image form one interval,
/// computed once; it is copied without per-element bounds checks (a `memcpy` at stride 1) and only
/// its two ends are zero-filled.
@inlinable
public func im2col(_ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>) {
    let positions = g.outputPositions, k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth
    for c in 0..<g.channels {
        for i in 0..<k {
            for j in 0..<k {
                let row = columns + ((c * k + i) * k + j) * positions
                let (start, end) = validOutputColumns(g, kernelColumn: j)
                for y in 0..<g.outputHeight {
                    let sourceY = y * s - g.padding + i
                    let line = row + y * outputWidth
                    guard sourceY >= 0, sourceY < g.height else {
                        line.update(repeating: 0, count: outputWidth)
                        continue
                    }
                    // source[x·s] is image[c, sourceY, x·s − p + j].
                    let source = image + (c * g.height + sourceY) * g.width + (j - g.padding)
                    if start > 0 { line.update(repeating: 0, count: start) }
                    if s == 1 {
                        (line + start).update(from: source + start, count: end - start)
                    } else {
                        for x in start..<end { line[x] = source[x * s] }
                    }
                    if end < outputWidth { (line + end).update(repeating: 0, count: outputWidth - end) }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:geometry:columns:)``: adds each column entry back to the image pixel it
/// came from (`image` is accumulated into, not overwritten — clear it first for a plain fold).
@inlinable
public func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, image: UnsafeMutablePointer<Float>) {
    let positions = g.outputPositions, k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth
    for c in 0..<g.channels {
        for i in 0..<k {
            for j in 0..<k {
                let row = columns + ((c * k + i) * k + j) * positions
                let (start, end) = validOutputColumns(g, kernelColumn: j)
                for y in 0..<g.outputHeight {
                    let targetY = y * s - g.padding + i
                    guard targetY >= 0, targetY < g.height else { continue }
                    let line = row + y * outputWidth
                    let target = image + (c * g.height + targetY) * g.width + (j - g.padding)
                    if s == 1 {
                        for x in start..<end { target[x] += line[x] }
                    } else {
                        for x in start..<end { target[x * s] += line[x] }
                    }
                }
            }
        }
    }
}

/// The output columns x with `0 ≤ x·s − p + j < W`, as a half-open interval (empty when none).
@usableFromInline
func validOutputColumns(_ g: ConvolutionGeometry, kernelColumn j: Int) -> (start: Int, end: Int) {
    let lowNumerator = g.padding - j
    let start = lowNumerator <= 0 ? 0 : (lowNumerator + g.stride - 1) / g.stride
    let highNumerator = g.width - 1 + g.padding - j
    let end = highNumerator < 0 ? 0 : min(g.outputWidth, highNumerator / g.stride + 1)
    return (min(start, end), end)
}
