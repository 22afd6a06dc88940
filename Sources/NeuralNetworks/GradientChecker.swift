import Tensors

/// The result of comparing analytic gradients with central finite differences.
public struct GradientCheckReport: CustomStringConvertible, Sendable {
    /// How many scalars were perturbed.
    public let checkedCount: Int
    /// `‖g_fd − g‖₂ / max(‖g_fd‖₂, ‖g‖₂)` over the checked scalars (0 when both are zero).
    public let relativeError: Double
    /// The largest `|g_fd − g|` and where it occurred ("blocks.0.weight[17]").
    public let maximumAbsoluteError: Double
    public let worstLocation: String
    /// Norm of the finite-difference gradient over the checked scalars (to judge the scale).
    public let finiteDifferenceNorm: Double

    public var description: String {
        "gradient check over \(checkedCount) scalars: relative error \(relativeError), "
            + "max |error| \(maximumAbsoluteError) at \(worstLocation), ‖g_fd‖ = \(finiteDifferenceNorm)"
    }
}

/// A linear probe loss `L(y) = Σᵢ wᵢ yᵢ` with fixed random weights, so `dL/dy = w` exactly; a layer's
/// gradient check differentiates `L(layer(x))`. The loss is accumulated in Double.
public struct ProbeLoss {
    /// `dL/dy` as a tensor, to hand to `backward`.
    public let gradient: Tensor

    /// Weights drawn from `N(0, 1)` with the stream `(seed, "probe-loss")`.
    public init(shape: [Int], seed: UInt64 = 0) throws(TensorError) {
        gradient = try Tensor(zeros: shape)
        var stream = RandomStream(seed: seed, purpose: "probe-loss")
        stream.fillNormal(gradient)
    }

    /// `Σᵢ wᵢ yᵢ` in Double; throws when `output`'s shape differs from the probe's.
    public func value(of output: Tensor) throws(TensorError) -> Double {
        guard output.shape == gradient.shape else {
            throw .shapeMismatch(operation: "ProbeLoss", lhs: output.shape, rhs: gradient.shape,
                                 expectation: "the probe was built for the output shape \(formatShape(gradient.shape))")
        }
        var total = 0.0  // every product and sum in Double: the finite differences need all the digits
        for i in 0..<output.count { total += Double(output.data[i]) * Double(gradient.data[i]) }
        return total
    }
}

/// Central finite differences against analytic gradients — the check every layer, loss and network
/// passes (DESIGN.md §3).
///
///     g_fd,i = (L(θ + h eᵢ) − L(θ − h eᵢ)) / ((θᵢ + h) − (θᵢ − h))
///
/// The networks compute in `Float`; the checker evaluates the loss in `Double`, divides by the
/// perturbation that was actually stored (the difference of the two rounded `Float` values, not the
/// nominal 2h) and compares whole gradient vectors by relative error, which is what separates a
/// correct gradient (relative error ~1e−4 in Float) from a wrong one (~1).
public enum GradientChecker {
    /// Checks the gradient of `loss` with respect to the parameters in `store`.
    ///
    /// - Parameters:
    ///   - loss: runs the forward pass and returns the scalar loss.
    ///   - accumulateGradient: runs forward and backward once, accumulating dL/dθ into
    ///     `store.gradients` (the checker zeroes them first).
    ///   - step: the perturbation h.
    ///   - maximumPerParameter: at most this many scalars per named parameter are perturbed (chosen at
    ///     random from `(seed, "gradient-check")`); nil checks every scalar.
    public static func checkParameters(
        of store: ParameterStore, step: Float = 1e-2, maximumPerParameter: Int? = 48, seed: UInt64 = 0,
        loss: () throws -> Double, accumulateGradient: () throws -> Void
    ) throws -> GradientCheckReport {
        store.zeroGradients()
        try accumulateGradient()
        let analytic = store.snapshotGradients()
        var stream = RandomStream(seed: seed, purpose: "gradient-check")
        var comparison = Comparison()
        for entry in store.entries where entry.trainable {
            for index in chooseIndices(count: entry.count, maximum: maximumPerParameter, stream: &stream) {
                let position = entry.offset + index
                let fd = try centralDifference(at: store.values + position, step: step, loss: loss)
                comparison.add(finiteDifference: fd, analytic: Double(analytic[position]), location: "\(entry.name)[\(index)]")
            }
        }
        return comparison.report
    }

    /// Checks `analyticGradient` (dL/dx, same shape as `input`) against finite differences of `loss`
    /// with respect to the elements of `input`.
    public static func checkInput(
        _ input: Tensor, analyticGradient: Tensor, step: Float = 1e-2, maximumCount: Int? = 256, seed: UInt64 = 0,
        loss: () throws -> Double
    ) throws -> GradientCheckReport {
        guard analyticGradient.shape == input.shape else {
            throw TensorError.shapeMismatch(operation: "GradientChecker.checkInput", lhs: analyticGradient.shape, rhs: input.shape,
                                            expectation: "the analytic input gradient must have the input's shape")
        }
        let analytic = analyticGradient.scalars
        var stream = RandomStream(seed: seed, purpose: "gradient-check-input")
        var comparison = Comparison()
        for index in chooseIndices(count: input.count, maximum: maximumCount, stream: &stream) {
            let fd = try centralDifference(at: input.data + index, step: step, loss: loss)
            comparison.add(finiteDifference: fd, analytic: Double(analytic[index]), location: "input[\(index)]")
        }
        return comparison.report
    }

    private static func centralDifference(
        at pointer: UnsafeMutablePointer<Float>, step: Float, loss: () throws -> Double
    ) throws -> Double {
        let original = pointer.pointee
        let h = step * max(1, abs(original))
        pointer.pointee = original + h
        let plusValue = pointer.pointee
        let plus = try loss()
        pointer.pointee = original - h
        let minusValue = pointer.pointee
        let minus = try loss()
        pointer.pointee = original
        return (plus - minus) / (Double(plusValue) - Double(minusValue))
    }

    private static func chooseIndices(count: Int, maximum: Int?, stream: inout RandomStream) -> [Int] {
        guard let maximum, count > maximum else { return Array(0..<count) }
        var chosen = Set<Int>()
        while chosen.count < maximum { chosen.insert(Int(stream.nextWord()) % count) }
        return chosen.sorted()
    }

    private struct Comparison {
        var differenceSquares = 0.0, finiteSquares = 0.0, analyticSquares = 0.0
        var maximumAbsoluteError = 0.0, worstLocation = "-", count = 0

        mutating func add(finiteDifference fd: Double, analytic: Double, location: String) {
            let error = abs(fd - analytic)
            differenceSquares += (fd - analytic) * (fd - analytic)
            finiteSquares += fd * fd
            analyticSquares += analytic * analytic
            count += 1
            if !(error <= maximumAbsoluteError) {
                maximumAbsoluteError = error
                worstLocation = location
            }
        }

        var report: GradientCheckReport {
            let scale = max(finiteSquares, analyticSquares).squareRoot()
            let relative = scale == 0 ? (differenceSquares == 0 ? 0 : .infinity) : differenceSquares.squareRoot() / scale
            return GradientCheckReport(checkedCount: count, relativeError: relative, maximumAbsoluteError: maximumAbsoluteError,
                                       worstLocation: worstLocation, finiteDifferenceNorm: finiteSquares.squareRoot())
        }
    }
}
