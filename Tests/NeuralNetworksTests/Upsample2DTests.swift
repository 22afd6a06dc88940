import NeuralNetworks
import Tensors
import Testing

@Suite("Upsample2D")
struct Upsample2DTests {
    @Test("nearest-neighbour upsampling repeats each pixel in a factor × factor block")
    func forwardHandValues() throws {
        let upsample = try Upsample2D()
        let input = try Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let output = try upsample(input)
        #expect(output.shape == [1, 2, 4, 4])
        #expect(output.scalars == [
            1, 1, 2, 2,
            1, 1, 2, 2,
            3, 3, 4, 4,
            3, 3, 4, 4,
            5, 5, 6, 6,
            5, 5, 6, 6,
            7, 7, 8, 8,
            7, 7, 8, 8,
        ])
        let tripled = try Upsample2D(factor: 3)(Tensor(shape: [1, 1, 1, 2], values: [1, 2]))
        #expect(tripled.shape == [1, 1, 3, 6])
        #expect(tripled.scalars == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
    }

    @Test("backward sums each factor × factor block")
    func backwardHandValues() throws {
        let upsample = try Upsample2D()
        _ = try upsample(Tensor(zeros: [1, 1, 2, 2]))
        let outputGradient = try Tensor(shape: [1, 1, 4, 4], values: [
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16,
        ])
        let gradient = try upsample.backward(outputGradient)
        #expect(gradient.shape == [1, 1, 2, 2])
        let blockSums: [Float] = [14, 22, 46, 54]  // 1+2+5+6, 3+4+7+8, 9+10+13+14, 11+12+15+16
        #expect(gradient.scalars == blockSums)
    }

    @Test("input gradient matches finite differences", arguments: [1, 2, 3])
    func inputGradientMatchesFiniteDifferences(factor: Int) throws {
        let upsample = try Upsample2D(factor: factor)
        let input = try LayerTestSupport.randomTensor([2, 3, 3, 4], seed: 1)
        let reports = try LayerTestSupport.gradientReports(of: upsample, store: nil, input: input)
        #expect(reports.input.relativeError < 1e-6, "\(reports.input)")
    }

    @Test("backward over the leading rows equals the backward of a forward on those rows only")
    func leadingRowsBackward() throws {
        let upsample = try Upsample2D()
        let input = try LayerTestSupport.randomTensor([4, 2, 3, 3], seed: 2)
        let outputGradient = try LayerTestSupport.randomTensor([3, 2, 6, 6], seed: 3)
        _ = try upsample(input)
        let partial = try upsample.backward(outputGradient).copy()
        _ = try upsample(LayerTestSupport.leadingRows(input, 3))
        let direct = try upsample.backward(outputGradient)
        #expect(partial.shape == [3, 2, 3, 3])
        #expect(partial.scalars == direct.scalars)
    }

    @Test("invalid settings and shapes throw")
    func invalidInputsThrow() throws {
        #expect(throws: TensorError.self) { try Upsample2D(factor: 0) }
        let upsample = try Upsample2D()
        #expect(throws: TensorError.self) { try upsample(Tensor(zeros: [2, 3])) }
        _ = try upsample(Tensor(zeros: [2, 1, 2, 2]))
        #expect(throws: TensorError.self) { try upsample.backward(Tensor(zeros: [2, 1, 2, 2])) }
    }

    @Test("a repeated forward and backward allocates nothing")
    func steadyStateAllocatesNothing() throws {
        let upsample = try Upsample2D()
        let input = try LayerTestSupport.randomTensor([2, 3, 4, 4], seed: 4)
        let outputGradient = try LayerTestSupport.randomTensor([2, 3, 8, 8], seed: 5)
        _ = try upsample(input)
        _ = try upsample.backward(outputGradient)
        let count = try LayerTestSupport.toolkitAllocations {
            _ = try upsample.forward(input, context: .evaluation)
            _ = try upsample.backward(outputGradient)
        }
        #expect(count == 0)
    }
}
