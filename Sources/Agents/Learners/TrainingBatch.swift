import Environments
import Tensors

/// The random draws of one training iteration, each from its own stream keyed by (seed, purpose,
/// iteration) so an iteration depends only on the seed and its index (DESIGN.md §4): data x₀ ("data"),
/// noise z ("noise"), pairs ("time") and, for the score identity, extra references ("reference").
struct TrainingDraws {
    var data: [Double]
    var labels: [Int32]?
    var noise: [Double]
    var pairs: [TimePair]

    init(distribution: any DataDistribution, count: Int, sampler: any TimePairSampler, iteration: Int, seed: UInt64) {
        let d = distribution.dimension, index = UInt64(iteration)
        let names = TrainingStreamNames.consistency
        var dataStream = RandomStream(seed: seed, purpose: names.data, index: index)
        var noiseStream = RandomStream(seed: seed, purpose: names.noise, index: index)
        var timeStream = RandomStream(seed: seed, purpose: names.time, index: index)
        (data, labels) = Self.sample(distribution, count: count, stream: &dataStream)
        noise = [Double](repeating: 0, count: count * d)
        noise.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: $0.count) }
        pairs = sampler.samplePairs(count: count, iteration: iteration, stream: &timeStream)
    }

    /// `count` points (and labels when the data have classes) from `stream`.
    static func sample(_ distribution: any DataDistribution, count: Int, stream: inout RandomStream) -> ([Double], [Int32]?) {
        var points = [Double](repeating: 0, count: count * distribution.dimension)
        var labels: [Int32]? = distribution.classCount == nil ? nil : [Int32](repeating: 0, count: count)
        points.withUnsafeMutableBufferPointer { p in
            if labels != nil {
                labels!.withUnsafeMutableBufferPointer { distribution.sample(count: count, into: p.baseAddress!, labels: $0.baseAddress, stream: &stream) }
            } else {
                distribution.sample(count: count, into: p.baseAddress!, labels: nil, stream: &stream)
            }
        }
        return (points, labels)
    }

    /// σ_d measured from the data: the RMS over dimensions of the per-dimension standard deviations of
    /// 16 384 draws from (seed 0, "sigma-data") — the same for every run on the same data.
    static func measuredStandardDeviation(of distribution: any DataDistribution) -> Double {
        let count = 16_384, d = distribution.dimension
        var stream = RandomStream(seed: 0, purpose: "sigma-data", index: 0)
        let (points, _) = sample(distribution, count: count, stream: &stream)
        var total = 0.0
        for j in 0..<d {
            var mean = 0.0
            for i in 0..<count { mean += points[i * d + j] }
            mean /= Double(count)
            var variance = 0.0
            for i in 0..<count { let e = points[i * d + j] - mean; variance += e * e }
            total += variance / Double(count - 1)
        }
        return (total / Double(d)).squareRoot()
    }
}
