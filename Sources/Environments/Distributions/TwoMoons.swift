import Foundation
import Tensors

/// The two-moons toy distribution in 2-D (sampling only), scikit-learn's `make_moons` recipe.
///
/// Each point picks a moon with probability ½ (one uniform; the moon is the label, class count 2),
/// an angle θ ~ U[0, π) (one uniform) and Gaussian noise ε ~ N(0, noise² I) (two normals):
///
///     moon 0: (cos θ, sin θ) + ε            moon 1: (1 − cos θ, ½ − sin θ) + ε
///
/// then the whole picture is scaled by `scale` (default 1). Default noise 0.1.
public struct TwoMoons: DataDistribution, Sendable, Equatable {
    public static let kind = "two-moons"
    public let noise: Double
    public let scale: Double
    public var dimension: Int { 2 }
    public var classCount: Int? { 2 }

    public init(noise: Double = 0.1, scale: Double = 1) throws(DistributionSpecError) {
        try ParameterValidation.finite(noise, kind: Self.kind, field: "noise")
        guard noise >= 0 else { throw .invalidValue(kind: Self.kind, field: "noise", reason: "must be ≥ 0, got \(noise)") }
        try ParameterValidation.positive(scale, kind: Self.kind, field: "scale")
        self.noise = noise
        self.scale = scale
    }

    public func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        for n in 0 ..< count {
            let moon = stream.nextUniform() < 0.5 ? 0 : 1
            let angle = Double.pi * stream.nextUniform()
            var x = Foundation.cos(angle), y = Foundation.sin(angle)
            if moon == 1 { x = 1 - x; y = 0.5 - y }
            points[2 * n] = scale * (x + noise * stream.nextNormal())
            points[2 * n + 1] = scale * (y + noise * stream.nextNormal())
            labels?[n] = Int32(moon)
        }
    }
}
