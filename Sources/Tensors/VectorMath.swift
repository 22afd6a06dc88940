/// Vectorised transcendental functions on 16 lanes of `Float` (one AVX-512 register).
///
/// The standard library's `exp` is a scalar library call that blocks vectorisation; these are the
/// Cephes single-precision polynomials with the range reduction done by bit manipulation, so a loop
/// over them compiles to straight-line vector code. Maximum relative error of ``fastExp(_:)`` is below
/// 2 ulp over its whole range (checked against `Foundation.exp` in the tests).
public typealias FloatVector = SIMD16<Float>

/// `e^x`, lane by lane. Inputs are clamped to [−87.3, 88.37], where the result is a normal, finite
/// `Float` (e^88.37 ≈ 2.4·10³⁸; the largest Float is 3.4·10³⁸).
///
///     x = n·ln 2 + r,  |r| ≤ ln2/2,   e^x = 2ⁿ · P(r)
@inlinable @inline(__always)
public func fastExp(_ input: FloatVector) -> FloatVector {
    let x = pointwiseMin(pointwiseMax(input, FloatVector(repeating: -87.3)), FloatVector(repeating: 88.37))
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

/// `tanh(x) = 2σ(2x) − 1`, lane by lane (absolute error below 3e−7).
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

/// `(sin x, cos x)`, lane by lane: Cody–Waite reduction by π/2 in three parts, then the Cephes
/// minimax polynomials on |r| ≤ π/4 and a quadrant swap. Absolute error below 1e−6 for |x| ≤ 10⁴
/// (time embeddings reach |x| ≈ 1.6·10³).
@inlinable @inline(__always)
public func fastSinCos(_ x: FloatVector) -> (sin: FloatVector, cos: FloatVector) {
    let magic: Float = 12_582_912
    let shifted = x * 0.636_619_77 + magic  // x · 2/π, rounded to the nearest integer q
    let q = shifted - magic
    var r = x - q * 1.570_312_5
    r = r - q * 4.837_512_969_970_703_1e-4
    r = r - q * 7.549_789_954_891_882_1e-8
    let r2 = r * r
    var sinPolynomial = FloatVector(repeating: -1.951_529_589_1e-4)
    sinPolynomial = sinPolynomial * r2 + 8.332_160_873_6e-3
    sinPolynomial = sinPolynomial * r2 - 1.666_665_461_1e-1
    let sinR = r + r * r2 * sinPolynomial
    var cosPolynomial = FloatVector(repeating: 2.443_315_711_809_948e-5)
    cosPolynomial = cosPolynomial * r2 - 1.388_731_625_493_765e-3
    cosPolynomial = cosPolynomial * r2 + 4.166_664_568_298_827e-2
    let cosR = 1 - 0.5 * r2 + r2 * r2 * cosPolynomial
    let quadrant = shifted.bitPattern &- magic.bitPattern
    let swap = SIMD16<UInt32>(repeating: 0) &- (quadrant & 1)  // all ones in odd quadrants
    let sinBits = (sinR.bitPattern & ~swap) | (cosR.bitPattern & swap)
    let cosBits = (cosR.bitPattern & ~swap) | (sinR.bitPattern & swap)
    let sinSign = (quadrant & 2) &<< 30
    let cosSign = ((quadrant &+ 1) & 2) &<< 30
    return (FloatVector(bitPattern: sinBits ^ sinSign), FloatVector(bitPattern: cosBits ^ cosSign))
}

/// Natural logarithm of positive, normal inputs, lane by lane (Cephes `logf`): with x = m·2ᵉ,
/// m ∈ [√½, √2), `ln x = e·ln 2 + ln m` and ln m from a degree-9 polynomial in m − 1. Relative error
/// below 2e−7 (zero and negative inputs are not handled: callers pass values in (0, ∞)).
@inlinable @inline(__always)
public func fastLog(_ input: FloatVector) -> FloatVector {
    let bits = input.bitPattern
    var exponent = FloatVector(bitPattern: ((bits &>> 23) & 0xFF) | 0x4B00_0000) - (8_388_608 + 126)
    var mantissa = FloatVector(bitPattern: (bits & 0x807F_FFFF) | 0x3F00_0000)  // in [0.5, 1)
    // Below √½, use 2m and one less in the exponent, so the polynomial's argument stays in [√½ − 1, √2 − 1).
    let isSmall = unsafeBitCast(mantissa .< 0.707_106_77, to: SIMD16<UInt32>.self)  // all ones where true
    exponent = exponent - FloatVector(bitPattern: isSmall & FloatVector(repeating: 1).bitPattern)
    mantissa = mantissa + FloatVector(bitPattern: isSmall & mantissa.bitPattern)
    let x = mantissa - 1
    let z = x * x
    var p = FloatVector(repeating: 7.037_683_629_2e-2)
    p = p * x - 1.151_461_031_0e-1
    p = p * x + 1.167_699_874_0e-1
    p = p * x - 1.242_014_084_6e-1
    p = p * x + 1.424_932_278_7e-1
    p = p * x - 1.666_805_766_5e-1
    p = p * x + 2.000_071_476_5e-1
    p = p * x - 2.499_999_399_3e-1
    p = p * x + 3.333_333_117_4e-1
    var y = x * z * p
    y = y - 2.121_944_4e-4 * exponent
    y = y - 0.5 * z
    return x + y + 0.693_359_375 * exponent
}
