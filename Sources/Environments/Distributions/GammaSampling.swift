import Foundation
import Tensors

/// Gamma and chi-squared draws on the toolkit's own streams (never the standard library's random).
extension RandomStream {
    /// Gamma(shape a, scale 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma
    /// variables": for a ≥ 1, with d = a − ⅓ and c = 1/√(9d), draw z ~ N(0, 1) and u ~ U(0, 1),
    /// v = (1 + c z)³, and accept d·v when v > 0 and log u < z²/2 + d − d v + d log v.
    /// For a < 1 it uses Gamma(a) = Gamma(a + 1) · u^{1/a}.
    mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma shape must be a positive finite number, got \(shape)")
        if shape < 1 {
            let boosted = nextGamma(shape: shape + 1)
            let u = 1 - nextUniform()   // (0, 1]
            return boosted * Foundation.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let z = nextNormal()
            let base = 1 + c * z
            guard base > 0 else { continue }
            let v = base * base * base
            let u = 1 - nextUniform()   // (0, 1], so log u is finite
            if Foundation.log(u) < 0.5 * z * z + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }

    /// χ²_ν: for integer ν ≤ 64 the sum of ν squared standard normals; otherwise 2 · Gamma(ν/2, 1).
    mutating func nextChiSquared(degreesOfFreedom nu: Double) -> Double {
        if nu == nu.rounded(), nu >= 1, nu <= 64 {
            var total = 0.0
            for _ in 0 ..< Int(nu) {
                let z = nextNormal()
                total += z * z
            }
            return total
        }
        return 2 * nextGamma(shape: nu / 2)
    }
}
