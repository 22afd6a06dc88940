import Foundation
import Tensors

extension TDErrorMetric {
    /// m(Δ) for one `Float` row of `dimension` values, writing `gradientScale · ∂m/∂Δ` into `gradient`
    /// (the formulas of ``TDErrorMetric``). Returns m in Double.
    ///
    /// `gradient` may be `delta` itself (each element is read before it is written), so a caller can
    /// form Δ = f − G in the gradient buffer and turn it into dL/df in place. Allocation-free: ‖Δ‖² is
    /// ``Kernels/sumOfSquares(_:count:)`` (16 `Float` lanes folded into a Double), the gradient one
    /// scaling pass, and the element-wise metrics (L1, element-wise pseudo-Huber) 16-lane loops.
    /// Non-finite input propagates to the loss (see ``NonFinitePolicy``).
    public func lossAndGradient(
        _ delta: UnsafePointer<Float>, dimension: Int, gradient: UnsafeMutablePointer<Float>, gradientScale: Float = 1
    ) -> Double {
        switch self {
        case .squaredL2:
            let s = Kernels.sumOfSquares(delta, count: dimension)
            TDErrorMetric.scale(delta, by: 2 * gradientScale, into: gradient, count: dimension)
            return s
        case .meanSquared:
            let s = Kernels.sumOfSquares(delta, count: dimension)
            TDErrorMetric.scale(delta, by: Float(2 * Double(gradientScale) / Double(dimension)), into: gradient, count: dimension)
            return s / Double(dimension)
        case let .pseudoHuber(c):
            let s = Kernels.sumOfSquares(delta, count: dimension)
            let root = (s + c * c).squareRoot()
            TDErrorMetric.scale(delta, by: root > 0 ? Float(Double(gradientScale) / root) : 0, into: gradient, count: dimension)
            return s == 0 ? 0 : s / (root + c)
        case let .cauchy(c):
            let s = Kernels.sumOfSquares(delta, count: dimension)
            let twoCSquared = 2 * c * c
            TDErrorMetric.scale(delta, by: Float(2 * Double(gradientScale) / (twoCSquared + s)), into: gradient, count: dimension)
            return Foundation.log1p(s / twoCSquared)
        case .l1:
            return TDErrorMetric.absoluteSumAndSign(delta, count: dimension, scale: gradientScale, gradient: gradient)
        case let .pseudoHuberElementwise(c):
            return TDErrorMetric.elementwisePseudoHuber(delta, count: dimension, c: Float(c), scale: gradientScale, gradient: gradient)
        }
    }

    /// `gradient[i] = α · delta[i]` (alias-safe).
    @inline(__always)
    static func scale(_ delta: UnsafePointer<Float>, by alpha: Float, into gradient: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { gradient[i] = alpha * delta[i] }
    }

    /// Σ_i |Δ_i| in Double, writing `gradient[i] = scale · sign Δ_i` (sign 0 = 0).
    static func absoluteSumAndSign(
        _ delta: UnsafePointer<Float>, count: Int, scale: Float, gradient: UnsafeMutablePointer<Float>
    ) -> Double {
        let zero = FloatVector(repeating: 0), plus = FloatVector(repeating: scale), minus = FloatVector(repeating: -scale)
        return sixteenLaneSum(count: count, delta: delta, gradient: gradient) { v in
            let magnitude = v.replacing(with: -v, where: v .< zero)
            let sign = zero.replacing(with: plus, where: v .> zero).replacing(with: minus, where: v .< zero)
            return (magnitude, sign)
        }
    }

    /// Σ_i (√(Δ_i² + c²) − c) in Double, evaluated as Δ_i² / (√(Δ_i² + c²) + c), writing
    /// `gradient[i] = scale · Δ_i / √(Δ_i² + c²)` (0 where Δ_i = c = 0).
    static func elementwisePseudoHuber(
        _ delta: UnsafePointer<Float>, count: Int, c: Float, scale: Float, gradient: UnsafeMutablePointer<Float>
    ) -> Double {
        let zero = FloatVector(repeating: 0), one = FloatVector(repeating: 1)
        let cVector = FloatVector(repeating: c), cSquared = FloatVector(repeating: c * c)
        return sixteenLaneSum(count: count, delta: delta, gradient: gradient) { v in
            let squares = v * v
            let root = (squares + cSquared).squareRoot()
            let lossDenominator = root + cVector
            let safeLossDenominator = lossDenominator.replacing(with: one, where: lossDenominator .== zero)
            let safeRoot = root.replacing(with: one, where: root .== zero)
            return (squares / safeLossDenominator, scale * v / safeRoot)
        }
    }

    /// Runs `term` over `delta` sixteen elements at a time (the tail zero-padded), storing each
    /// vector's gradient part and summing its loss part: `Float` lanes folded into a Double every
    /// ``Kernels/reductionRun`` elements, as ``Kernels/sum(_:count:)`` does. Terms must map 0 to
    /// loss 0 (the padding).
    @inline(__always)
    static func sixteenLaneSum(
        count: Int, delta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
        term: (FloatVector) -> (loss: FloatVector, gradient: FloatVector)
    ) -> Double {
        var total = 0.0
        var index = 0
        while index < count {
            let end = min(index + Kernels.reductionRun, count)
            var lanes = FloatVector()
            while index + 16 <= end {
                let (loss, slope) = term(loadVector(delta, index))
                storeVector(slope, gradient, index)
                lanes += loss
                index += 16
            }
            if index < end {
                let remaining = end - index
                let (loss, slope) = term(loadPartialVector(delta, index, count: remaining))
                storePartialVector(slope, gradient, index, count: remaining)
                lanes += loss
                index = end
            }
            total += Double(lanes.sum())
        }
        return total
    }
}
