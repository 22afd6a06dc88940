@testable import NeuralNetworks
import Tensors
import Testing

/// The batch-wide path of Conv2D: blocks of images unfolded into one column matrix and multiplied once.
/// A small column budget forces several blocks, including a last block shorter than the others.
@Suite("Conv2D batched blocks")
struct Conv2DBatchedTests {
    /// dW, dbias and dx by their definitions, accumulated in Double:
    /// dW[o, (c·k+i)·k+j] = Σ_{b,u,v} dy[b,o,u,v]·x[b,c,u·s−p+i,v·s−p+j],  dbias[o] = Σ dy[b,o,u,v],
    /// dx[b,c,y,x] = Σ_{o,i,j,u,v: u·s−p+i = y, v·s−p+j = x} W[o,(c·k+i)·k+j]·dy[b,o,u,v].
    static func directGradients(
        _ input: Tensor, weights: [Float], outputGradient dy: Tensor, kernelSize k: Int, stride s: Int, padding p: Int
    ) -> (weight: [Float], bias: [Float], input: [Float]) {
        let batch = dy.shape[0], outputChannels = dy.shape[1], outputHeight = dy.shape[2], outputWidth = dy.shape[3]
        let channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        var dW = [Double](repeating: 0, count: weights.count), db = [Double](repeating: 0, count: outputChannels)
        var dx = [Double](repeating: 0, count: batch * channels * height * width)
        for b in 0..<batch { for o in 0..<outputChannels { for u in 0..<outputHeight { for v in 0..<outputWidth {
            let g = Double(dy.data[((b * outputChannels + o) * outputHeight + u) * outputWidth + v])
            db[o] += g
            for c in 0..<channels { for i in 0..<k { for j in 0..<k {
                let y = u * s - p + i, x = v * s - p + j
                guard y >= 0, y < height, x >= 0, x < width else { continue }
                let pixel = ((b * channels + c) * height + y) * width + x
                let w = o * channels * k * k + (c * k + i) * k + j
                dW[w] += g * Double(input.data[pixel])
                dx[pixel] += g * Double(weights[w])
            } } }
        } } } }
        return (dW.map(Float.init), db.map(Float.init), dx.map(Float.init))
    }

    @Test("forward and backward over blocks equal the direct convolution and its gradients",
          arguments: [(3, 1, 1), (3, 1, 0), (3, 2, 1), (3, 2, 0), (1, 1, 0), (1, 2, 0), (5, 1, 2)], [1, 2, 5, 7])
    func blockedPassesMatchDefinitions(kernel: (Int, Int, Int), batch: Int) throws {
        let (k, s, p) = kernel
        let store = ParameterStore(seed: 20)
        let conv = try Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: k, stride: s, padding: p, scope: store.root.child("conv"))
        LayerTestSupport.randomizeParameters(store, seed: 21)
        // Two images per block: a batch of 5 or 7 ends in a block of one.
        let g = try ConvolutionGeometry(channels: 3, height: 6, width: 7, kernelSize: k, stride: s, padding: p)
        conv.workspace.columnBudget = 2 * g.patchSize * g.outputPositions
        let input = try LayerTestSupport.randomTensor([batch, 3, 6, 7], seed: 22)
        let output = try conv(input).copy()
        let weights = Array(store.values(of: conv.weight))
        let expected = Conv2DTests.directConvolution(input, weights: weights, bias: Array(store.values(of: conv.bias!)),
                                                     outputChannels: 4, kernelSize: k, stride: s, padding: p)
        #expect(output.shape == expected.shape)
        #expect(LayerTestSupport.maximumRelativeDifference(output.scalars, expected.values) < 1e-5)

        let outputGradient = try LayerTestSupport.randomTensor(output.shape, seed: 23)
        store.zeroGradients()
        let inputGradient = try conv.backward(outputGradient).copy()
        let direct = Self.directGradients(input, weights: weights, outputGradient: outputGradient, kernelSize: k, stride: s, padding: p)
        #expect(LayerTestSupport.maximumRelativeDifference(Array(store.gradients(of: conv.weight)), direct.weight) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(Array(store.gradients(of: conv.bias!)), direct.bias) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(inputGradient.scalars, direct.input) < 1e-5)
    }

    @Test("the block size changes results only by rounding, and equal settings repeat bit for bit", arguments: [1, 2, 3, 9])
    func blockSizeOnlyRounds(imagesPerBlock: Int) throws {
        func run(_ images: Int) throws -> (output: [Float], input: [Float], parameters: [Float]) {
            let store = ParameterStore(seed: 24)
            let conv = try Conv2D(inputChannels: 4, outputChannels: 6, kernelSize: 3, padding: 1, scope: store.root.child("conv"))
            conv.workspace.columnBudget = images * 4 * 9 * 64
            let input = try LayerTestSupport.randomTensor([9, 4, 8, 8], seed: 25)
            let output = try conv(input).copy()
            store.zeroGradients()
            let inputGradient = try conv.backward(LayerTestSupport.randomTensor([9, 6, 8, 8], seed: 26))
            return (output.scalars, inputGradient.scalars, store.snapshotGradients())
        }
        let whole = try run(9), blocked = try run(imagesPerBlock), again = try run(imagesPerBlock)
        #expect(LayerTestSupport.maximumRelativeDifference(blocked.output, whole.output) < 1e-6)
        #expect(LayerTestSupport.maximumRelativeDifference(blocked.parameters, whole.parameters) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(blocked.input, whole.input) < 1e-6)
        #expect(blocked.output == again.output && blocked.input == again.input && blocked.parameters == again.parameters)
    }

    @Test("unfolding and folding a block equal doing each image on its own, bit for bit",
          arguments: [(3, 1, 1, 8, 8), (3, 2, 1, 8, 7), (1, 1, 0, 4, 4), (5, 1, 2, 5, 6), (2, 2, 0, 7, 6)])
    func blockUnfoldingMatchesPerImage(kernelSize: Int, stride: Int, padding: Int, height: Int, width: Int) throws {
        let g = try ConvolutionGeometry(channels: 2, height: height, width: width, kernelSize: kernelSize, stride: stride, padding: padding)
        let images = 3, rowLength = images * g.outputPositions
        let batch = try LayerTestSupport.randomTensor([images * g.imageSize], seed: 27)
        let columns = try Tensor(zeros: [g.patchSize * rowLength])
        columns.fill(-5)
        im2col(batch.data, geometry: g, columns: columns.data, images: images)
        let single = try Tensor(zeros: [g.patchSize * g.outputPositions])
        let upstream = try LayerTestSupport.randomTensor([g.patchSize * rowLength], seed: 28)
        let folded = try LayerTestSupport.randomTensor([images * g.imageSize], seed: 29)
        let expectedFolded = folded.copy()
        col2im(upstream.data, geometry: g, image: folded.data, images: images)
        let upstreamSingle = try Tensor(zeros: [g.patchSize * g.outputPositions])
        for b in 0..<images {
            im2col(batch.data + b * g.imageSize, geometry: g, columns: single.data)
            for row in 0..<g.patchSize {
                for position in 0..<g.outputPositions {
                    #expect(columns[row * rowLength + b * g.outputPositions + position] == single[row * g.outputPositions + position])
                    upstreamSingle[row * g.outputPositions + position] = upstream[row * rowLength + b * g.outputPositions + position]
                }
            }
            col2im(upstreamSingle.data, geometry: g, image: expectedFolded.data + b * g.imageSize)
        }
        #expect(folded.scalars == expectedFolded.scalars)
    }
}
