/// Vectorised transcendental functions on 16 lanes of `Float` (one AVX-512 register).
///
/// The standard library's `exp` is a scalar library call that blocks vectorisation; these are the
/// Cephes single-precision polynomials with the range reduction done by bit manipulation, so a loop
/// over them compiles to straight-line vector code. Maximum relative error of ``fastExp(_:)`` is below
/// 2 ulp over its whole range (checked against `Foundation.exp` in the tests).
public typealias FloatVector = SIMD16<Float>

/// `e^x`, lane by lane. Inputs are clamped to [−87.3, 88.7] (the finite, normal range of `Float`).
///
///     x = n·ln 2 + r,  |r| ≤ ln2/2,   e^x = 2ⁿ · P(r)
@inlinable @inline(__always)
public func fastExp(_ input: FloatVector) -> FloatVector {
    let x = pointwiseMin(pointwiseMax(input, FloatVector(repeating: -87.3)), FloatVector(repeating: 88.7))
    // n = round(x / ln 2) via the 1.5·2²³ trick: the integer lands in the low mantissa bits.
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
    let exponentBits = (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23
    return p * FloatVector(bitPattern: exponentBits)
}

/// The logistic function `σ(x) = 1 / (1 + e^(−x))`, lane by lane.
@inlinable @inline(__always)
public func fastSigmoid(_ x: FloatVector) -> FloatVector {
    1 / (1 + fastExp(-x))
}

/// `tanh(x) = 2σ(2x) − 1`, lane by lane (absolute error below 1e−7).
@inlinable @inline(__always)
public func fastTanh(_ x: FloatVector) -> FloatVector {
    2 * fastSigmoid(2 * x) - 1
}

extension SIMD16 where Scalar == Float {
    @inlinable @inline(__always)
    init(bitPattern bits: SIMD16<UInt32>) {
        self = unsafeBitCast(bits, to: SIMD16<Float>.self)
    }

    @inlinable @inline(__always)
    var bitPattern: SIMD16<UInt32> { unsafeBitCast(self, to: SIMD16<UInt32>.self) }
}

/// Loads 16 floats from `pointer + offset` (no alignment needed).
@inlinable @inline(__always)
public func loadVector(_ pointer: UnsafePointer<Float>, _ offset: Int) -> FloatVector {
    UnsafeRawPointer(pointer + offset).loadUnaligned(as: FloatVector.self)
}

/// Stores 16 floats at `pointer + offset` (no alignment needed).
@inlinable @inline(__always)
public func storeVector(_ value: FloatVector, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(pointer + offset).storeBytes(of: value, as: FloatVector.self)
}

/// Loads up to 16 floats (`count` of them, the rest zero): the tail of a loop.
@inlinable @inline(__always)
public func loadPartialVector(_ pointer: UnsafePointer<Float>, _ offset: Int, count: Int) -> FloatVector {
    var vector = FloatVector()
    for lane in 0..<count { vector[lane] = pointer[offset + lane] }
    return vector
}

/// Stores the first `count` lanes of `value` at `pointer + offset`.
@inlinable @inline(__always)
public func storePartialVector(_ value: FloatVector, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int, count: Int) {
    for lane in 0..<count { pointer[offset + lane] = value[lane] }
}

/// Applies `body` to every element of `input`, 16 lanes at a time, writing `output` (which may be
/// `input`). The tail is padded with zeros and stored partially.
@inlinable @inline(__always)
public func mapVectors(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int,
    _ body: (FloatVector) -> FloatVector
) {
    var index = 0
    while index + 16 <= count {
        storeVector(body(loadVector(input, index)), output, index)
        index += 16
    }
    if index < count {
        let rest = count - index
        storePartialVector(body(loadPartialVector(input, index, count: rest)), output, index, count: rest)
    }
}
