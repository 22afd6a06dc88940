import NeuralNetworks
import Tensors
import Testing

@Suite("Conv2D")
struct Conv2DTests {
    /// The definition, one output at a time:
    /// y[b,o,u,v] = bias[o] + Σ_{c,i,j} W[o, (c·k+i)·k+j] · x[b, c, u·s−p+i, v·s−p+j] (0 outside).
    static func directConvolution(
        _ input: Tensor, weights: [Float], bias: [Float]?, outputChannels: Int, kernelSize k: Int, stride s: Int, padding p: Int
    ) -> (shape: [Int], values: [Float]) {
        let batch = input.shape[0], channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        let outputHeight = (height + 2 * p - k) / s + 1, outputWidth = (width + 2 * p - k) / s + 1
        var values: [Float] = []
        for b in 0..<batch {
            for o in 0..<outputChannels {
                for u in 0..<outputHeight {
                    for v in 0..<outputWidth {
                        var total = Double(bias?[o] ?? 0)
                        for c in 0..<channels {
                            for i in 0..<k {
                                for j in 0..<k {
                                    let y = u * s - p + i, x = v * s - p + j
                                    guard y >= 0, y < height, x >= 0, x < width else { continue }
                                    let pixel = input.data[((b * channels + c) * height + y) * width + x]
                                    total += Double(weights[o * channels * k * k + (c * k + i) * k + j]) * Double(pixel)
                                }
                            }
                        }
                        values.append(Float(total))
                    }
                }
            }
        }
        return ([batch, outputChannels, outputHeight, outputWidth], values)
    }

    @Test("forward equals the direct convolution loop",
          arguments: [(3, 1, 0), (3, 1, 1), (3, 2, 0), (3, 2, 1), (1, 1, 0), (1, 2, 0), (2, 2, 1), (3, 3, 2)])
    func forwardMatchesDirectLoop(kernelSize: Int, stride: Int, padding: Int) throws {
        let store = ParameterStore(seed: 1)
        let conv = try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: kernelSize, stride: stride, padding: padding,
                              scope: store.root.child("conv"))
        LayerTestSupport.randomizeParameters(store, seed: 2)  // a non-zero bias too
        let input = try LayerTestSupport.randomTensor([2, 3, 7, 6], seed: 3)
        let output = try conv(input)
        let expected = Self.directConvolution(input, weights: Array(store.values(of: conv.weight)),
                                              bias: Array(store.values(of: conv.bias!)), outputChannels: 4,
                                              kernelSize: kernelSize, stride: stride, padding: padding)
        #expect(output.shape == expected.shape)
        #expect(try conv.outputShape(batch: 2, height: 7, width: 6) == expected.shape)
        #expect(LayerTestSupport.maximumRelativeDifference(output.scalars, expected.values) < 1e-5)
    }

    @Test("im2col and col2im equal their element-by-element definitions, bit for bit",
          arguments: [(3, 1, 1, 8, 8), (3, 2, 1, 8, 7), (3, 1, 0, 7, 6), (2, 2, 1, 7, 6), (3, 3, 2, 7, 6),
                      (1, 2, 0, 5, 5), (5, 1, 4, 3, 3), (4, 3, 0, 9, 4), (1, 1, 0, 3, 4)])
    func unfoldingMatchesDefinition(kernelSize: Int, stride: Int, padding: Int, height: Int, width: Int) throws {
        let g = try ConvolutionGeometry(channels: 3, height: height, width: width, kernelSize: kernelSize,
                                        stride: stride, padding: padding)
        let image = try LayerTestSupport.randomTensor([g.imageSize], seed: 30)
        let columns = try Tensor(zeros: [g.patchSize * g.outputPositions])
        columns.fill(-3)  // every entry must be written
        im2col(image.data, geometry: g, columns: columns.data)
        let upstream = try LayerTestSupport.randomTensor([g.patchSize * g.outputPositions], seed: 31)
        let folded = try LayerTestSupport.randomTensor([g.imageSize], seed: 32)  // accumulated into
        var expectedFolded = folded.scalars
        col2im(upstream.data, geometry: g, image: folded.data)
        // The definition: column ((c·k + i)·k + j, y·W′ + x) holds pixel (c, y·s − p + i, x·s − p + j) or 0,
        // and the fold adds each column entry back to that pixel.
        let k = kernelSize
        for c in 0..<3 { for i in 0..<k { for j in 0..<k { for y in 0..<g.outputHeight { for x in 0..<g.outputWidth {
            let row = (c * k + i) * k + j, column = y * g.outputWidth + x
            let sourceY = y * stride - padding + i, sourceX = x * stride - padding + j
            let inside = (0..<height).contains(sourceY) && (0..<width).contains(sourceX)
            let pixel = (c * height + sourceY) * width + sourceX
            #expect(columns[row * g.outputPositions + column] == (inside ? image[pixel] : 0))
            if inside { expectedFolded[pixel] += upstream[row * g.outputPositions + column] }
        } } } } }
        #expect(LayerTestSupport.maximumRelativeDifference(folded.scalars, expectedFolded) < 1e-6)
    }

    @Test("parameter and input gradients match finite differences",
          arguments: [(3, 1, 1), (3, 2, 1), (3, 2, 0), (1, 1, 0), (2, 1, 0)])
    func gradientsMatchFiniteDifferences(kernelSize: Int, stride: Int, padding: Int) throws {
        let store = ParameterStore(seed: 4)
        let conv = try Conv2D(inputChannels: 3, outputChannels: 5, kernelSize: kernelSize, stride: stride, padding: padding,
                              scope: store.root.child("conv"))
        LayerTestSupport.randomizeParameters(store, seed: 5)
        let input = try LayerTestSupport.randomTensor([2, 3, 6, 5], seed: 6)
        let reports = try LayerTestSupport.gradientReports(of: conv, store: store, input: input)
        #expect(reports.parameters!.relativeError < 1e-4, "\(reports.parameters!)")
        #expect(reports.input.relativeError < 1e-4, "\(reports.input)")
    }

    @Test("backward over the leading rows equals the backward of a forward on those rows only",
          arguments: [3, 1])
    func leadingRowsBackward(kernelSize: Int) throws {
        let store = ParameterStore(seed: 7)
        let conv = try Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: kernelSize, stride: 1,
                              padding: kernelSize / 2, scope: store.root.child("conv"))
        let input = try LayerTestSupport.randomTensor([5, 2, 6, 6], seed: 8)
        let outputGradient = try LayerTestSupport.randomTensor([2, 3, 6, 6], seed: 9)

        store.zeroGradients()
        _ = try conv(input)
        let partial = try conv.backward(outputGradient).copy()
        let partialParameters = store.snapshotGradients()

        store.zeroGradients()
        _ = try conv(LayerTestSupport.leadingRows(input, 2))
        let direct = try conv.backward(outputGradient).copy()
        let directParameters = store.snapshotGradients()

        #expect(partial.shape == [2, 2, 6, 6])
        #expect(LayerTestSupport.maximumRelativeDifference(partial.scalars, direct.scalars) < 1e-6)
        #expect(LayerTestSupport.maximumRelativeDifference(partialParameters, directParameters) < 1e-6)
    }

    @Test("without input gradients, backward returns an empty tensor and still accumulates dW")
    func inputGradientCanBeSkipped() throws {
        let store = ParameterStore(seed: 10)
        let conv = try Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, scope: store.root.child("conv"))
        conv.computesInputGradient = false
        let input = try LayerTestSupport.randomTensor([2, 2, 4, 4], seed: 11)
        let output = try conv(input)
        let gradient = try conv.backward(LayerTestSupport.randomTensor(output.shape, seed: 12))
        #expect(gradient.count == 0)
        #expect(store.gradientNorm() > 0)
    }

    @Test("parameters are named, shaped and decayed as documented")
    func parameterLayout() throws {
        let store = ParameterStore(seed: 13)
        _ = try Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: 3, scope: store.root.child("down"))
        #expect(store.entries.map(\.name) == ["down.weight", "down.bias"])
        #expect(store.entries.map(\.shape) == [[8, 27], [8]])
        #expect(store.entries.map(\.decays) == [true, false])
        let bound = 1 / Float(27).squareRoot()
        #expect(store.values(of: store.entries[0].handle).allSatisfy { abs($0) <= bound })
    }

    @Test("invalid settings throw at construction")
    func invalidSettingsThrow() {
        let scope = ParameterStore(seed: 14).root
        #expect(throws: TensorError.self) { try Conv2D(inputChannels: 0, outputChannels: 4, kernelSize: 3, scope: scope.child("a")) }
        #expect(throws: TensorError.self) { try Conv2D(inputChannels: 3, outputChannels: 0, kernelSize: 3, scope: scope.child("b")) }
        #expect(throws: TensorError.self) { try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 0, scope: scope.child("c")) }
        #expect(throws: TensorError.self) { try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 0, scope: scope.child("d")) }
        #expect(throws: TensorError.self) { try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: -1, scope: scope.child("e")) }
    }

    @Test("a shape mismatch names both shapes")
    func shapeMismatchNamesBothShapes() throws {
        let conv = try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 3, scope: ParameterStore(seed: 15).root)
        let wrong = try Tensor(zeros: [2, 4, 8, 8])
        let error = #expect(throws: TensorError.self) { try conv(wrong) }
        #expect(error?.description.contains("[2, 4, 8, 8]") == true)
        #expect(error?.description.contains("[2, 3, 8, 8]") == true, "\(String(describing: error))")
        // The wrong rank, a kernel larger than the padded image, and gradients of the wrong shape.
        #expect(throws: TensorError.self) { try conv(Tensor(zeros: [2, 3])) }
        #expect(throws: TensorError.self) { try conv(Tensor(zeros: [1, 3, 2, 2])) }
        _ = try conv(Tensor(zeros: [2, 3, 8, 8]))
        #expect(throws: TensorError.self) { try conv.backward(Tensor(zeros: [2, 4, 5, 6])) }
        #expect(throws: TensorError.self) { try conv.backward(Tensor(zeros: [3, 4, 6, 6])) }
    }

    @Test("a repeated forward and backward allocates nothing", arguments: [3, 1])
    func steadyStateAllocatesNothing(kernelSize: Int) throws {
        let store = ParameterStore(seed: 16)
        let conv = try Conv2D(inputChannels: 4, outputChannels: 8, kernelSize: kernelSize, stride: 1,
                              padding: kernelSize / 2, scope: store.root.child("conv"))
        let input = try LayerTestSupport.randomTensor([4, 4, 8, 8], seed: 17)
        let outputGradient = try LayerTestSupport.randomTensor([3, 8, 8, 8], seed: 18)
        _ = try conv.forward(input, context: .evaluation)
        _ = try conv.backward(outputGradient)
        let count = try LayerTestSupport.toolkitAllocations {
            _ = try conv.forward(input, context: .evaluation)
            _ = try conv.backward(outputGradient)
        }
        #expect(count == 0)
    }
}
