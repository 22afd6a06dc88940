import Environments
import Tensors

extension GaussianMixture {
    /// The data's own mean negative log-likelihood, E_{x ~ p₀}[−log p₀(x)] = H(p₀) (the differential
    /// entropy of the mixture; METHODS.md §9), estimated by Monte Carlo: `sampleCount` fresh points
    /// x_i ~ p₀ drawn from `stream`, each scored exactly with ``logDensity(_:count:time:into:)`` at
    /// t = 0. The entropy of a Gaussian mixture has no closed form; this is the reference the NLL of
    /// generated samples is compared with (a perfect sampler matches it up to the standard errors).
    public func dataNegativeLogLikelihood(sampleCount: Int, stream: inout RandomStream) throws(SampleQualityError)
        -> MonteCarloEstimate
    {
        guard sampleCount > 0 else { throw .invalidSampleCount(sampleCount) }
        let points = sample(count: sampleCount, stream: &stream)
        return MonteCarloEstimate(values: negativeLogLikelihoods(points, count: sampleCount))
    }

    /// −log p₀(x_i) for `count` points (count × D, all finite).
    func negativeLogLikelihoods(_ points: [Double], count: Int) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        points.withUnsafeBufferPointer { input in
            values.withUnsafeMutableBufferPointer { output in
                logDensity(input.baseAddress!, count: count, time: 0, into: output.baseAddress!)
            }
        }
        for i in values.indices { values[i] = -values[i] }
        return values
    }
}
