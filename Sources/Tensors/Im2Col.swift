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

/// Unfolds `images` consecutive images (each `geometry.imageSize` floats) into one
/// `patchSize × images·outputPositions` column matrix, image b in columns b·P′ ..< (b+1)·P′
/// (P′ = outputPositions), so a whole block of a batch is one matrix product:
///
///     columns[(c·k + i)·k + j, b·P′ + y·outW + x] = image_b[c, y·s − p + i, x·s − p + j]   (0 outside the image)
///
/// and the convolution is `weights (outChannels × patchSize) · columns`. The matrix is written row by
/// row (every image's segment of a row before the next row), so it streams through memory. For each
/// kernel offset (i, j) the output rows y and columns x whose source lies inside the image form two
/// intervals, computed once; rows outside are zero-filled in one run. When output rows line up with
/// input rows (stride 1 and `outputWidth == width`: a 3×3 kernel with padding 1, or 1×1) the valid rows
/// of a segment are one shifted copy of the image plane, after which only the wrapped entries at the
/// row ends (at most |j − p| per row) are zeroed; otherwise each line is copied.
@inlinable
public func im2col(_ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>,
                   images: Int = 1) {
    let k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth, outputHeight = g.outputHeight
    let positions = g.outputPositions, rowLength = images * positions, planeSize = g.height * g.width
    let alignedRows = s == 1 && outputWidth == g.width
    for i in 0..<k {
        let (firstY, endY) = validOutputIndices(extent: g.height, outputExtent: outputHeight, stride: s, padding: g.padding,
                                                kernelOffset: i)
        let validRows = endY - firstY
        for j in 0..<k {
            let (start, end) = validOutputIndices(extent: g.width, outputExtent: outputWidth, stride: s, padding: g.padding,
                                                  kernelOffset: j)
            let shift = j - g.padding
            for c in 0..<g.channels {
                let row = columns + ((c * k + i) * k + j) * rowLength
                for b in 0..<images {
                    let segment = row + b * positions
                    let plane = image + b * g.imageSize + c * planeSize
                    if firstY > 0 { segment.update(repeating: 0, count: firstY * outputWidth) }
                    if endY < outputHeight {
                        (segment + endY * outputWidth).update(repeating: 0, count: (outputHeight - endY) * outputWidth)
                    }
                    guard validRows > 0 else { continue }
                    let target = segment + firstY * outputWidth
                    if alignedRows {
                        // Entry t of the valid rows is plane[(firstY − p + i)·W + t + (j − p)]; entries whose x
                        // lies outside [start, end) read the neighbouring row (or nothing) and are zeroed after.
                        let sourceStart = (firstY - g.padding + i) * g.width + shift
                        let count = validRows * outputWidth
                        let low = max(0, -shift), high = count - max(0, shift)
                        if low < high { (target + low).update(from: plane + (sourceStart + low), count: high - low) }
                        // Column by column down the rows: strided stores, a handful per row.
                        for x in 0..<start {
                            for y in 0..<validRows { target[y * outputWidth + x] = 0 }
                        }
                        for x in end..<outputWidth {
                            for y in 0..<validRows { target[y * outputWidth + x] = 0 }
                        }
                    } else {
                        for y in 0..<validRows {
                            let line = target + y * outputWidth
                            // plane[sourceOffset + x·s] is image_b[c, y·s − p + i, x·s − p + j].
                            let sourceOffset = ((firstY + y) * s - g.padding + i) * g.width + shift
                            if start > 0 { line.update(repeating: 0, count: start) }
                            if s == 1 {
                                if start < end { (line + start).update(from: plane + (sourceOffset + start), count: end - start) }
                            } else {
                                for x in start..<end { line[x] = plane[sourceOffset + x * s] }
                            }
                            if end < outputWidth { (line + end).update(repeating: 0, count: outputWidth - end) }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:geometry:columns:images:)``: adds each column entry back to the pixel of
/// the image it came from (the `images` consecutive images are accumulated into, not overwritten —
/// clear them first for a plain fold). Each pixel receives its entries in the order of the kernel
/// offsets (c, i, j), whatever `images` is, so folding a block equals folding each image's own column
/// matrix bit for bit. Reads the matrix row by row; a row segment whose entries all land inside the
/// image (stride 1, aligned rows, j = p) is added as one contiguous run.
@inlinable
public func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, image: UnsafeMutablePointer<Float>,
                   images: Int = 1) {
    let k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth
    let positions = g.outputPositions, rowLength = images * positions, planeSize = g.height * g.width
    let alignedRows = s == 1 && outputWidth == g.width
    for c in 0..<g.channels {
        for i in 0..<k {
            let (firstY, endY) = validOutputIndices(extent: g.height, outputExtent: g.outputHeight, stride: s, padding: g.padding,
                                                    kernelOffset: i)
            guard firstY < endY else { continue }
            for j in 0..<k {
                let (start, end) = validOutputIndices(extent: g.width, outputExtent: outputWidth, stride: s, padding: g.padding,
                                                      kernelOffset: j)
                guard start < end else { continue }
                let row = columns + ((c * k + i) * k + j) * rowLength
                let shift = j - g.padding
                for b in 0..<images {
                    let segment = row + b * positions
                    let plane = image + b * g.imageSize + c * planeSize
                    if alignedRows && start == 0 && end == outputWidth {
                        // shift = 0 here: the valid rows map to a contiguous run of the plane.
                        let source = segment + firstY * outputWidth
                        let target = plane + (firstY - g.padding + i) * g.width + shift
                        for t in 0..<((endY - firstY) * outputWidth) { target[t] += source[t] }
                        continue
                    }
                    for y in firstY..<endY {
                        let line = segment + y * outputWidth
                        // target[x·s] is image_b[c, y·s − p + i, x·s − p + j].
                        let target = plane + ((y * s - g.padding + i) * g.width + shift)
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
}

/// The output indices u with `0 ≤ u·s − p + offset < extent`, as a half-open interval (empty when none).
@usableFromInline
func validOutputIndices(extent: Int, outputExtent: Int, stride s: Int, padding p: Int, kernelOffset j: Int) -> (start: Int, end: Int) {
    let lowNumerator = p - j
    let start = lowNumerator <= 0 ? 0 : (lowNumerator + s - 1) / s
    let highNumerator = extent - 1 + p - j
    let end = highNumerator < 0 ? 0 : min(outputExtent, highNumerator / s + 1)
    return (min(start, end), end)
}
