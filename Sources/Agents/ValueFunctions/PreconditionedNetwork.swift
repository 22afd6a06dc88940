import Environments
import NeuralNetworks
import Tensors

/// A network F wrapped in the preconditioning of METHODS.md §1 — the consistency model f_θ or the EDM
/// denoiser D_φ of the toolkit:
///
///     out(x, t) = c_skip(t)·x + c_out(t)·F(c_in(t)·x, c_noise(t))
///
/// With the `.consistency` parameterisation `out` is the consistency function f_θ (the value view is
/// V_θ = f_θ − x, zero at t_min exactly); with `.edmDenoiser` it is a denoiser D_φ. Either way it
/// implements the environments' ``Denoiser`` protocol (a consistency model's one-step denoiser estimate
/// is f_θ itself), so a trained network can act as a teacher, and ``ConsistencyFunction``.
///
/// Training passes run in Float32 over rows with per-row times: ``forward(_:times:rows:labels:context:)``
/// keeps c_skip and c_out of every row so ``backward(_:)`` can turn dL/d(out) into dL/dF = c_out·dL/d(out).
///
/// F is any ``TimeConditionedNetwork``: the toy ``TimeConditionedMLP`` or the image
/// ``TimeConditionedUNet`` (rows of C·H·W pixels). A class-conditional F takes one label per row
/// (`labels`); without labels it sees its null class (unconditional).
public final class PreconditionedNetwork {
    public let network: any TimeConditionedNetwork
    public var preconditioning: Preconditioning
    public var store: ParameterStore { network.store }
    public var dimension: Int { network.dataDimension }
    public var minimumTime: Double { preconditioning.minimumTime }
    /// The settings that rebuild F (recorded in checkpoints).
    public var architecture: TimeConditionedNetworkArchitecture { network.architecture }
    /// K for a class-conditional F, 0 otherwise.
    public var classCount: Int { network.classCount }

    private let scaledInput: Tensor
    private let conditioning: Tensor
    private let result: Tensor
    private let networkGradient: Tensor
    private var outputScales: [Float] = []

    /// Wraps F (an MLP converts implicitly, as before the network protocol existed).
    public init(network: any TimeConditionedNetwork, preconditioning: Preconditioning) throws {
        self.network = network
        self.preconditioning = preconditioning
        scaledInput = try Tensor(zeros: [0, network.dataDimension])
        conditioning = try Tensor(zeros: [0])
        result = try Tensor(zeros: [0, network.dataDimension])
        networkGradient = try Tensor(zeros: [0, network.dataDimension])
    }

    /// Builds F from `architecture` with parameters initialised from `seed` and wraps it.
    public convenience init(architecture: TimeConditionedNetworkArchitecture, seed: UInt64, preconditioning: Preconditioning) throws {
        try self.init(network: architecture.makeNetwork(seed: seed), preconditioning: preconditioning)
    }

    /// A network of the same architecture and preconditioning holding a copy of the current parameters.
    public func copy() throws -> PreconditionedNetwork {
        let copy = try PreconditionedNetwork(architecture: architecture, seed: store.seed, preconditioning: preconditioning)
        try copy.store.loadValues(store.snapshotValues())
        return copy
    }

    /// out(x_i, t_i) for `rows` points (rows × D, Float) at per-row times, with one class label per row
    /// for a class-conditional F (nil: the null class). Returns a buffer the network overwrites on its
    /// next forward.
    public func forward(_ points: UnsafePointer<Float>, times: UnsafePointer<Double>, rows: Int,
                        labels: UnsafePointer<Int32>? = nil, context: ForwardContext) throws -> Tensor {
        let d = dimension
        try scaledInput.resize(rows: rows, columns: d)
        try conditioning.resize(to: [rows])
        try result.resize(rows: rows, columns: d)
        if outputScales.count < rows { outputScales = [Float](repeating: 0, count: rows) }
        for row in 0..<rows {
            let t = times[row]
            guard t.isFinite, t > 0 else {
                throw AgentError.invalidSetting("time t = \(t) at row \(row)", expected: "a finite time t > 0")
            }
            let s = preconditioning.scalings(at: t)
            conditioning[row] = Float(s.noise)
            let cIn = Float(s.input)
            let x = points + row * d, scaled = scaledInput.data + row * d
            for j in 0..<d { scaled[j] = cIn * x[j] }
        }
        let output = try network.forward(scaledInput, noiseConditioning: conditioning,
                                         labels: labels.map { UnsafeBufferPointer(start: $0, count: rows) }, context: context)
        for row in 0..<rows {
            let s = preconditioning.scalings(at: times[row])
            let skip = Float(s.skip), out = Float(s.output)
            outputScales[row] = out
            let x = points + row * d, f = output.data + row * d, y = result.data + row * d
            for j in 0..<d { y[j] = skip * x[j] + out * f[j] }
        }
        return result
    }

    /// Accumulates dL/dθ for the leading b rows of the last forward given dL/d(out) ([b, D]).
    public func backward(_ outputGradient: Tensor) throws {
        let rows = outputGradient.rows, d = dimension
        try networkGradient.resize(rows: rows, columns: d)
        for row in 0..<rows {
            let scale = outputScales[row]
            let g = outputGradient.data + row * d, h = networkGradient.data + row * d
            for j in 0..<d { h[j] = scale * g[j] }
        }
        _ = try network.backward(networkGradient)
    }

    /// out(x_i, t_i) in evaluation mode (no dropout) for points (count × D, Double) at per-row times,
    /// with one class label per row for a class-conditional F (nil: the null class).
    public func evaluate(_ points: [Double], times: [Double], labels: [Int32]? = nil) throws -> [Double] {
        let d = dimension
        guard points.count == times.count * d else {
            throw AgentError.shapeMismatch("\(points.count) values for \(times.count) times of dimension \(d); expected \(times.count * d)")
        }
        let rows = times.count
        if let labels, labels.count != rows {
            throw AgentError.shapeMismatch("\(labels.count) class labels for \(rows) points; expected one label per point")
        }
        guard rows > 0 else { return [] }
        let floats = points.map { Float($0) }
        let output = try floats.withUnsafeBufferPointer { x in
            try times.withUnsafeBufferPointer { t in
                if let labels {
                    return try labels.withUnsafeBufferPointer { y in
                        try forward(x.baseAddress!, times: t.baseAddress!, rows: rows, labels: y.baseAddress!, context: .evaluation)
                    }
                }
                return try forward(x.baseAddress!, times: t.baseAddress!, rows: rows, context: .evaluation)
            }
        }
        return (0..<(rows * d)).map { Double(output.data[$0]) }
    }

    /// out(x_i, t) for points (count × D) at one time t.
    public func evaluate(_ points: [Double], time t: Double) throws -> [Double] {
        try evaluate(points, times: [Double](repeating: t, count: points.count / max(dimension, 1)))
    }

    /// The value view V(x, t) = f(x, t) − x (meaningful with the consistency parameterisation).
    public func value(_ points: [Double], times: [Double]) throws -> [Double] {
        var f = try evaluate(points, times: times)
        for i in f.indices { f[i] -= points[i] }
        return f
    }
}

extension PreconditionedNetwork: ConsistencyFunction {
    /// f(x, t) at one time (the network's output, whatever the parameterisation).
    public func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        try evaluate(points, time: t)
    }
}

extension PreconditionedNetwork: Denoiser {
    /// D(x, t) ≈ out(x, t): the EDM denoiser, or a consistency model's one-step estimate of x₀.
    public func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        let values = try evaluate(Array(UnsafeBufferPointer(start: points, count: count * dimension)), time: t)
        output.update(from: values, count: values.count)
    }
}
