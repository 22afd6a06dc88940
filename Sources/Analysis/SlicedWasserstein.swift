import Tensors

extension SampleDistance {
    /// The squared sliced Wasserstein-2 distance between two equal-size point sets (METHODS.md §9;
    /// Rabin, Peyré, Delon, Bernot 2011; Bonneel et al. 2015):
    ///
    ///     SW₂²(P, Q) ≈ (1/L) Σ_l W₂²(θ_l·P, θ_l·Q),     W₂²(a, b) = (1/n) Σ_i (a_(i) − b_(i))²
    ///
    /// with L directions θ_l uniform on the unit sphere (normalised Gaussian vectors from `stream`) and
    /// a_(i), b_(i) the sorted projections (the 1-D optimal coupling pairs order statistics). For a set
    /// and its copy shifted by μ, SW₂² = ‖μ‖²/D in expectation over θ (exactly μ² in 1-D); 0 for
    /// identical sets. At least 256 projections (METHODS.md §9).
    public static func squaredSlicedWasserstein2(_ samples: [Double], _ reference: [Double], dimension: Int,
                                                 projections: Int = 256, stream: inout RandomStream) throws(SampleQualityError) -> Double {
        let count = try checkedCount(samples, reference, dimension: dimension, minimumCount: 1)
        guard projections >= 256 else { throw .invalidSetting("\(projections) projections; expected at least 256 (METHODS.md §9)") }
        var direction = [Double](repeating: 0, count: dimension)
        var a = [Double](repeating: 0, count: count), b = [Double](repeating: 0, count: count)
        var total = 0.0
        for _ in 0..<projections {
            var norm = 0.0
            repeat {
                direction.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: dimension) }
                norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            } while !(norm > 1e-12)
            for k in 0..<dimension { direction[k] /= norm }
            for i in 0..<count {
                var p = 0.0, q = 0.0
                for k in 0..<dimension {
                    p += samples[i * dimension + k] * direction[k]
                    q += reference[i * dimension + k] * direction[k]
                }
                a[i] = p; b[i] = q
            }
            a.sort(); b.sort()
            var sum = 0.0
            for i in 0..<count { sum += (a[i] - b[i]) * (a[i] - b[i]) }
            total += sum / Double(count)
        }
        return total / Double(projections)
    }
}
