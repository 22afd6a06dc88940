import Foundation
import NeuralNetworks
import Tensors

/// One consistency-training step of an MLP consistency model, exactly as BENCHMARK.md §1 defines it —
/// the unit of work of every ablation:
///
///     t = clamp(exp(−1.1 + 2.0 ξ), 0.002, 80),  r = 0.9 t,  z ~ N(0, I)
///     f(x, s) = c_skip(s)·x + c_out(s)·F(c_in(s)·x, c_noise(s))            (σ_d = 0.5, METHODS.md §1)
///     L = mean_b (1/(t − r)) · (√(‖f_θ(x + t z, t) − sg f_θ(x + r z, r)‖² + c²) − c),  c = 0.00054·√D
///
/// followed by an Adam update. The online and the stop-gradient target pass share weights, so they run
/// as ONE forward over 2B stacked rows (online first); the backward then covers the leading B rows
/// only. Everything is preallocated: after the first call a step allocates nothing.
final class ConsistencyTrainingStep {
    static let sigmaData: Float = 0.5
    static let timeMinimum: Float = 0.002
    static let timeMaximum: Float = 80

    let network: TimeConditionedMLP
    let optimizer: Adam
    /// With more than one thread the step runs on ``ParallelLanes`` (OpenBLAS single-threaded).
    let parallelStep: ParallelOptimizerStep?
    let data: Tensor
    let batchSize: Int
    let dimension: Int
    let seed: UInt64
    let huberConstant: Float
    private(set) var step: UInt64 = 0
    private(set) var lastLoss: Double = .nan

    private let noise: Tensor           // z, [B, D]
    private let times: Tensor           // ξ then t, [B]
    private let stackedInput: Tensor    // c_in·x_s for s = t (rows 0..<B) and s = r (rows B..<2B)
    private let conditioning: Tensor    // c_noise for the 2B rows
    private let outputGradient: Tensor  // dL/dF for the online rows, [B, D]
    private let noisyPoints: Tensor     // x + s z for the 2B rows (needed for c_skip·x)
    private let noisePurpose = RandomStream.purposeHash("noise")
    private let timePurpose = RandomStream.purposeHash("time")

    init(data: Tensor, width: Int, seed: UInt64, threads: Int) throws {
        self.data = data
        self.batchSize = data.rows
        self.dimension = data.elementsPerRow
        self.seed = seed
        self.huberConstant = 0.00054 * Float(dimension).squareRoot()
        network = try TimeConditionedMLP(
            TimeConditionedMLPConfiguration(dataDimension: dimension, width: width, depth: 4), seed: seed)
        optimizer = try Adam()
        if threads > 1 {
            let lanes = ParallelLanes(laneCount: threads)
            network.lanes = lanes
            parallelStep = ParallelOptimizerStep(optimizer: optimizer, store: network.store, lanes: lanes)
        } else {
            parallelStep = nil
        }
        noise = try Tensor(zeros: [batchSize, dimension])
        times = try Tensor(zeros: [batchSize])
        stackedInput = try Tensor(zeros: [2 * batchSize, dimension])
        conditioning = try Tensor(zeros: [2 * batchSize])
        outputGradient = try Tensor(zeros: [batchSize, dimension])
        noisyPoints = try Tensor(zeros: [2 * batchSize, dimension])
    }

    /// Runs one training step and returns its loss.
    @discardableResult
    func run() throws -> Double {
        let b = batchSize, d = dimension
        var noiseStream = RandomStream(seed: seed, purposeHash: noisePurpose, index: step)
        var timeStream = RandomStream(seed: seed, purposeHash: timePurpose, index: step)
        noiseStream.fillNormal(noise)
        timeStream.fillNormal(times)
        let sigmaData2 = Self.sigmaData * Self.sigmaData
        for row in 0..<b {
            let t = min(max(Foundation.exp(-1.1 + 2.0 * times[row]), Self.timeMinimum), Self.timeMaximum)
            times[row] = t
            for half in 0..<2 {
                let s = half == 0 ? t : 0.9 * t
                let stackedRow = half * b + row
                let cIn = 1 / (s * s + sigmaData2).squareRoot()
                conditioning[stackedRow] = Foundation.log(s) / 4
                let x = data.data + row * d, z = noise.data + row * d
                let noisy = noisyPoints.data + stackedRow * d, scaled = stackedInput.data + stackedRow * d
                for j in 0..<d {
                    noisy[j] = x[j] + s * z[j]
                    scaled[j] = cIn * noisy[j]
                }
            }
        }
        let context = ForwardContext(isTraining: true, dropoutStream: nil, maskPeriod: b, gradientRows: b)
        let output = try network.forward(stackedInput, noiseConditioning: conditioning, context: context)
        // f = c_skip·x_s + c_out·F for both halves; Δ = f_online − f_target; dL/dF = dL/df · c_out(t).
        let c2 = huberConstant * huberConstant
        var loss = 0.0
        for row in 0..<b {
            let t = times[row], r = 0.9 * t
            let (skipT, outT) = Self.consistencyScalings(t)
            let (skipR, outR) = Self.consistencyScalings(r)
            let online = output.data + row * d, target = output.data + (b + row) * d
            let xT = noisyPoints.data + row * d, xR = noisyPoints.data + (b + row) * d
            let gradient = outputGradient.data + row * d
            var squared: Float = 0
            for j in 0..<d {
                let difference = (skipT * xT[j] + outT * online[j]) - (skipR * xR[j] + outR * target[j])
                gradient[j] = difference
                squared += difference * difference
            }
            let weight = 1 / (t - r)
            let root = (squared + c2).squareRoot()
            loss += Double(weight * (root - huberConstant))
            let scale = weight / root / Float(b) * outT
            for j in 0..<d { gradient[j] *= scale }
        }
        if let parallelStep { parallelStep.zeroGradients() } else { network.store.zeroGradients() }
        _ = try network.backward(outputGradient)
        if let parallelStep {
            try parallelStep.step(learningRate: 1e-4)
        } else {
            try optimizer.step(network.store, learningRate: 1e-4)
        }
        step += 1
        lastLoss = loss / Double(b)
        return lastLoss
    }

    /// The consistency scalings (METHODS.md §1): c_skip = σ_d² / ((s − s_min)² + σ_d²),
    /// c_out = σ_d (s − s_min) / √(σ_d² + s²).
    @inline(__always)
    static func consistencyScalings(_ s: Float) -> (skip: Float, out: Float) {
        let sd2 = sigmaData * sigmaData, shifted = s - timeMinimum
        return (sd2 / (shifted * shifted + sd2), sigmaData * shifted / (sd2 + s * s).squareRoot())
    }

    /// The shapes of the step's matrix products, in the order the step issues them.
    func matrixProducts() -> [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool)] {
        let b = batchSize
        let sizes = network.layers.map { ($0.inputCount, $0.outputCount) }
        var products: [(Int, Int, Int, Bool, Bool)] = sizes.map { (2 * b, $0.1, $0.0, false, false) }  // forward, 2B rows
        for (index, size) in sizes.enumerated().reversed() {
            products.append((size.0, size.1, b, true, false))                 // dW = xᵀ dz
            if index > 0 { products.append((b, size.0, size.1, false, true)) } // dx = dz Wᵀ
        }
        return products
    }
}
