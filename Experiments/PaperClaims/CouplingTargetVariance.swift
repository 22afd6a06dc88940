import Environments
import Tensors
import VarianceReduction

/// sLCT's claim that minibatch OT coupling lowers the variance of TD targets (Dao et al. 2025), measured
/// exactly — no network: the bootstrap is the exact consistency function f* (``ExactValue``). For
/// minibatches of B data points x₀ and noises z (independent, or z permuted to the exact minibatch OT
/// assignment to x₀, ``OptimalTransportCoupling``), at fixed (t, r):
///
///     x_t = x₀ + t z,   x̂_r = x₀ + r z,   G = f*(x̂_r, r)          (the conditional TD(0) target)
///     spread = (1 / (N D)) Σ_i ‖G_i − f*(x_{t,i}, t)‖²            (N = batches · B)
///
/// f*(x_t, t) is the target's exact expected value up to the O(Δt²) bias of the conditional step, so
/// the spread is the targets' variance about the true value (plus that small bias²).
struct CouplingTargetVariance {
    static let time = 1.0
    static let targetTime = 0.5

    let data: GaussianMixture
    let batches: Int
    let batchSize: Int

    /// (independent, OT-coupled) spreads of one seed, on common data and noise draws.
    func measure(seed: UInt64) throws -> (independent: Double, coupled: Double) {
        let exact = try ExactValue(distribution: data)
        let d = data.dimension, count = batchSize * d
        var independent = 0.0, coupled = 0.0
        for b in 0..<batches {
            var dataStream = RandomStream(seed: seed, purpose: "experiments.paper-claims.ot-variance.data", index: UInt64(b))
            var noiseStream = RandomStream(seed: seed, purpose: "experiments.paper-claims.ot-variance.noise", index: UInt64(b))
            let x0 = data.sample(count: batchSize, stream: &dataStream)
            var z = [Double](repeating: 0, count: count)
            z.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: count) }
            independent += try spread(x0, z, exact)
            try OptimalTransportCoupling.coupleNoise(&z, to: x0, dimension: d)
            coupled += try spread(x0, z, exact)
        }
        let total = Double(batches * batchSize * d)
        return (independent / total, coupled / total)
    }

    /// Σ_i ‖f*(x₀ + r z, r) − f*(x₀ + t z, t)‖² over one minibatch.
    func spread(_ x0: [Double], _ z: [Double], _ exact: ExactValue<GaussianMixture>) throws -> Double {
        let t = Self.time, r = Self.targetTime
        let target = try exact.consistency(x0.indices.map { x0[$0] + r * z[$0] }, time: r)
        let value = try exact.consistency(x0.indices.map { x0[$0] + t * z[$0] }, time: t)
        return zip(target, value).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
}
