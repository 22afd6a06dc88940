import NeuralNetworks
import Tensors
import Testing

/// Shared helpers of the layer tests: random inputs, finite-difference checks of a layer's parameters
/// and input (allocation counting lives in AllocationTestSupport.swift).
enum LayerTestSupport {
    /// A tensor of standard normals times `scale` from the stream `(seed, "test-input")`.
    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) throws -> Tensor {
        let tensor = try Tensor(zeros: shape)
        var stream = RandomStream(seed: seed, purpose: "test-input")
        stream.fillNormal(tensor)
        Kernels.scale(tensor.data, by: scale, count: tensor.count)
        return tensor
    }

    /// Overwrites every parameter in `store` with normals of standard deviation `scale` (so gains and
    /// biases are not at their special initial values when gradients are checked).
    static func randomizeParameters(_ store: ParameterStore, seed: UInt64, scale: Float = 0.5) {
        var stream = RandomStream(seed: seed, purpose: "test-parameters")
        stream.fillNormal(store.values, count: store.count, standardDeviation: scale)
    }

    /// Finite-difference reports for the parameters and the input of `layer` under a probe loss.
    static func gradientReports(
        of layer: any Layer, store: ParameterStore?, input: Tensor, context: ForwardContext = .evaluation,
        maximumPerParameter: Int? = 48, maximumInputs: Int? = 128
    ) throws -> (parameters: GradientCheckReport?, input: GradientCheckReport) {
        let probe = try ProbeLoss(shape: layer.forward(input, context: context).shape, seed: 11)
        let loss = { () throws -> Double in try probe.value(of: layer.forward(input, context: context)) }
        var parameterReport: GradientCheckReport?
        if let store {
            parameterReport = try GradientChecker.checkParameters(
                of: store, maximumPerParameter: maximumPerParameter, loss: loss,
                accumulateGradient: {
                    _ = try layer.forward(input, context: context)
                    _ = try layer.backward(probe.gradient)
                })
        }
        _ = try layer.forward(input, context: context)
        let analytic = try layer.backward(probe.gradient).copy()
        let inputReport = try GradientChecker.checkInput(input, analyticGradient: analytic, maximumCount: maximumInputs, loss: loss)
        return (parameterReport, inputReport)
    }

    /// Finite-difference reports for a conditioned layer: parameters, input and condition.
    static func gradientReports(
        of layer: any ConditionedLayer, store: ParameterStore, input: Tensor, condition: Tensor,
        context: ForwardContext = .evaluation, maximumPerParameter: Int? = 48, maximumInputs: Int? = 128
    ) throws -> (parameters: GradientCheckReport, input: GradientCheckReport, condition: GradientCheckReport) {
        let probe = try ProbeLoss(shape: layer.forward(input, condition: condition, context: context).shape, seed: 13)
        let loss = { () throws -> Double in
            try probe.value(of: layer.forward(input, condition: condition, context: context))
        }
        let parameterReport = try GradientChecker.checkParameters(
            of: store, maximumPerParameter: maximumPerParameter, loss: loss,
            accumulateGradient: {
                _ = try layer.forward(input, condition: condition, context: context)
                _ = try layer.backward(probe.gradient)
            })
        _ = try layer.forward(input, condition: condition, context: context)
        let gradients = try layer.backward(probe.gradient)
        let inputGradient = gradients.input.copy(), conditionGradient = gradients.condition.copy()
        let inputReport = try GradientChecker.checkInput(input, analyticGradient: inputGradient,
                                                         maximumCount: maximumInputs, loss: loss)
        let conditionReport = try GradientChecker.checkInput(condition, analyticGradient: conditionGradient,
                                                             maximumCount: maximumInputs, loss: loss)
        return (parameterReport, inputReport, conditionReport)
    }

    /// The first `rows` samples of `tensor` as a new tensor.
    static func leadingRows(_ tensor: Tensor, _ rows: Int) throws -> Tensor {
        var shape = tensor.shape
        shape[0] = rows
        let result = try Tensor(zeros: shape)
        result.data.update(from: tensor.data, count: result.count)
        return result
    }

    /// `max |a − b| / max(1, max |b|)` over two equally long arrays (∞ when the lengths differ).
    static func maximumRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        var difference: Float = 0, scale: Float = 1
        for i in a.indices {
            difference = max(difference, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return difference / scale
    }
}
