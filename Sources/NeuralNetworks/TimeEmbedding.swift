import Foundation
import Tensors

/// How the noise level enters a network: features of `c_noise(t) = ln(t)/4` (METHODS.md §1).
public enum TimeEmbeddingKind: Equatable, Sendable {
    /// Positional: `[sin(c·f₁) … sin(c·f_K), cos(c·f₁) … cos(c·f_K)]` with K = features/2 geometric
    /// frequencies `f_k = exp(ln(maxFrequency)·(k−1)/(K−1))` from 1 to `maxFrequency` (the reference
    /// step uses 64 features and maxFrequency 1000).
    case positional(features: Int, maxFrequency: Float)
    /// Random Fourier features (Tancik et al. 2020, as in NCSN++ / the CM code):
    /// `[sin(2π f_k c), cos(2π f_k c)]`, f_k ~ N(0, scale²) drawn once from the parameter stream and
    /// stored as a frozen parameter ("<scope>.frequencies") so checkpoints carry them.
    case fourier(features: Int, scale: Float)

    /// The number of output features.
    public var featureCount: Int {
        switch self {
        case .positional(let features, _), .fourier(let features, _): return features
        }
    }

    /// The reference step's embedding: 64 positional features up to frequency 1000.
    public static let reference = TimeEmbeddingKind.positional(features: 64, maxFrequency: 1000)
}

/// Embeds a batch of noise conditioning values `c` (one per row) into `featureCount` features.
/// It has no trainable parameters and its input (the noise level) is not differentiated.
public final class TimeEmbedding {
    public let kind: TimeEmbeddingKind
    /// The positional embedding's angular frequencies ω_k = f_k: `sin(ω_k·c)`, `cos(ω_k·c)`.
    private let frequencies: UnsafeMutablePointer<Float>
    private let frequencyCount: Int
    /// Fourier features: the store and handle of the frozen f_k, read on every call (ω_k = 2π f_k), so
    /// values loaded into the store later (a checkpoint, another seed's network) take effect.
    private let fourierFrequencies: (store: ParameterStore, handle: ParameterHandle)?

    /// Throws for an odd or non-positive feature count, a max frequency ≤ 0 or a scale ≤ 0.
    public init(_ kind: TimeEmbeddingKind, scope: ParameterScope) throws(TensorError) {
        let features = kind.featureCount
        guard features >= 2, features % 2 == 0 else {
            throw .invalidArgument(operation: "TimeEmbedding", message: "the feature count must be even and ≥ 2, got \(features)")
        }
        self.kind = kind
        self.frequencyCount = features / 2
        self.frequencies = .allocate(capacity: frequencyCount)
        switch kind {
        case .positional(_, let maxFrequency):
            guard maxFrequency > 0, maxFrequency.isFinite else {
                throw .invalidArgument(operation: "TimeEmbedding", message: "maxFrequency must be finite and > 0, got \(maxFrequency)")
            }
            let logMax = Foundation.log(Double(maxFrequency))
            for k in 0..<frequencyCount {
                let fraction = frequencyCount == 1 ? 0 : Double(k) / Double(frequencyCount - 1)
                frequencies[k] = Float(Foundation.exp(logMax * fraction))
            }
        case .fourier(_, let scale):
            guard scale > 0, scale.isFinite else {
                throw .invalidArgument(operation: "TimeEmbedding", message: "the Fourier scale must be finite and > 0, got \(scale)")
            }
            let handle = try scope.register("frequencies", shape: [frequencyCount],
                                            initializer: .normal(standardDeviation: scale), decays: false, trainable: false)
            fourierFrequencies = (scope.store, handle)
            return
        }
        fourierFrequencies = nil
    }

    deinit {
        frequencies.deallocate()
    }

    public var featureCount: Int { 2 * frequencyCount }

    /// Writes the features of `conditioning[r]` into row r of `destination` (rows `rowStride` apart,
    /// starting `columnOffset` into each row): sines first, then cosines. Safe to call from several
    /// threads on disjoint rows (it keeps no scratch state).
    public func embed(
        _ conditioning: UnsafePointer<Float>, rows: Int,
        into destination: UnsafeMutablePointer<Float>, rowStride: Int, columnOffset: Int
    ) {
        // Positional: ω_k = f_k from the table. Fourier: ω_k = 2π f_k with f_k read from the store now.
        let base = fourierFrequencies.map { UnsafePointer($0.store.values + $0.handle.offset) } ?? UnsafePointer(frequencies)
        let scale = FloatVector(repeating: fourierFrequencies == nil ? 1 : 2 * Float.pi)
        for row in 0..<rows {
            let c = FloatVector(repeating: conditioning[row])
            let target = destination + row * rowStride + columnOffset
            var k = 0
            while k < frequencyCount {
                let lanes = min(16, frequencyCount - k)
                let a = c * (scale * (lanes == 16 ? loadVector(base, k) : loadPartialVector(base, k, count: lanes)))
                let (s, c) = fastSinCos(a)
                if lanes == 16 {
                    storeVector(s, target, k)
                    storeVector(c, target, frequencyCount + k)
                } else {
                    storePartialVector(s, target, k, count: lanes)
                    storePartialVector(c, target, frequencyCount + k, count: lanes)
                }
                k += 16
            }
        }
    }
}
