import Tensors

/// e^x for log-weights x ≤ 0, lane by lane, with lanes below −87 set to exactly 0 (their weight
/// e^x < 1.7·10⁻³⁸ is below Float's normal range): the Cephes single-precision polynomial of
/// ``fastExp(_:)`` (x = n ln 2 + r, e^x = 2ⁿ P(r), relative error below 2 ulp), with its clamp written
/// as `replacing(with:where:)`. `fastExp` clamps through the standard library's `pointwiseMin` /
/// `pointwiseMax`, which are not inlined into another module and then cost more than the polynomial
/// (measured in the score-identity benchmark); this form compiles to straight-line AVX-512 code.
@inline(__always)
func weightExponential(_ logits: FloatVector) -> FloatVector {
    let x = logits.replacing(with: -87.3, where: logits .< -87.3)
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = FloatVector(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    let exponentBits = (unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- magic.bitPattern &+ 127) &<< 23
    return (p * unsafeBitCast(exponentBits, to: FloatVector.self)).replacing(with: 0, where: logits .< -87)
}
