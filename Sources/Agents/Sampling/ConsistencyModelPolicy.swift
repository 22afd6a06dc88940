import Environments
import Tensors

/// A trained consistency model's multistep sampler as a policy of the denoising MDP, so a replay buffer
/// or a trajectory dataset can hold its rollouts (Song et al. 2023, Algorithm 1; METHODS.md §8):
///
///     x_r = f_θ(x_t, t) + s(r) · z,   z ~ N(0, I),   s(r) = √(r² − t_min²) (CM) or r (ECT)
///
/// (``NoiseInjection``). A step to t_min with CM injection adds no noise, so an episode ends on the
/// model's clean estimate. The noise of a row comes from the stream (seed, "consistency-policy",
/// h) with h a 64-bit FNV-1a hash of the row's coordinates and of t and r (their IEEE bits): a row's
/// noise depends on that row alone, and rerunning episodes from their seeds in the same batches repeats
/// them bit for bit. Episodes are the same however they are batched only when the model's output for a
/// row is bitwise independent of the other rows: a network's matrix products may round differently for
/// another batch size, and then the state after the first step differs in its last bits and every later
/// step draws other noise (a differently batched rerun is another sample of the same sampler).
public struct ConsistencyModelPolicy<Model: ConsistencyFunction>: TransitionPolicy {
    public let model: Model
    public let noiseInjection: NoiseInjection
    public let seed: UInt64

    public init(model: Model, noiseInjection: NoiseInjection = .consistencyModels, seed: UInt64 = 0) {
        self.model = model
        self.noiseInjection = noiseInjection
        self.seed = seed
    }

    public func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                        into output: UnsafeMutablePointer<Double>) throws {
        guard dimension == model.dimension else {
            throw AgentError.shapeMismatch("a consistency-model policy of D = \(model.dimension) was asked to move points of D = \(dimension)")
        }
        guard t.isFinite, r.isFinite, r < t, r >= model.minimumTime * (1 - 1e-12) else {
            throw AgentError.invalidSetting("policy step t = \(t) → r = \(r)", expected: "t_min ≤ r < t")
        }
        let input = Array(UnsafeBufferPointer(start: points, count: count * dimension))
        let estimate = try model.consistency(input, time: t)
        let scale = noiseInjection.noiseScale(nextTime: r, minimumTime: model.minimumTime)
        var noise = [Double](repeating: 0, count: dimension)
        for row in 0..<count {
            var stream = RandomStream(seed: seed, purpose: "consistency-policy",
                                      index: Self.rowHash(input[(row * dimension)..<((row + 1) * dimension)], t: t, r: r))
            noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: dimension) }
            for j in 0..<dimension { output[row * dimension + j] = estimate[row * dimension + j] + scale * noise[j] }
        }
    }

    /// FNV-1a over the bytes of the row's coordinates, then t and r.
    static func rowHash(_ row: ArraySlice<Double>, t: Double, r: Double) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: Double) {
            var bits = value.bitPattern
            for _ in 0..<8 { hash = (hash ^ (bits & 0xff)) &* 0x0000_0100_0000_01b3; bits >>= 8 }
        }
        for value in row { mix(value) }
        mix(t); mix(r)
        return hash
    }
}
