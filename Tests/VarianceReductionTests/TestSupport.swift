import Foundation
import Tensors

/// `count` standard normal values from a named stream.
func normals(_ count: Int, seed: UInt64, purpose: String) -> [Double] {
    var stream = RandomStream(seed: seed, purpose: purpose)
    var values = [Double](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: count) }
    return values
}

/// `count` uniform values in [lower, upper) from a named stream.
func uniforms(_ count: Int, in range: Range<Double>, seed: UInt64, purpose: String) -> [Double] {
    var stream = RandomStream(seed: seed, purpose: purpose)
    return (0..<count).map { _ in stream.nextUniform(in: range) }
}

/// The brute-force score-identity estimate for one query: log-weights, log-sum-exp, weighted mean.
func bruteForceDenoise(_ x: ArraySlice<Double>, time t: Double, references: [[Double]]) -> [Double] {
    let logWeights = references.map { reference in
        -zip(x, reference).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / (2 * t * t)
    }
    let normaliser = DoubleMath.logSumExp(logWeights)
    var result = [Double](repeating: 0, count: x.count)
    for (reference, logWeight) in zip(references, logWeights) {
        let w = Foundation.exp(logWeight - normaliser)
        for k in result.indices { result[k] += w * reference[k] }
    }
    return result
}

/// The rows of a flat row-major array.
func rows(_ values: [Double], dimension: Int) -> [[Double]] {
    stride(from: 0, to: values.count, by: dimension).map { Array(values[$0..<($0 + dimension)]) }
}

