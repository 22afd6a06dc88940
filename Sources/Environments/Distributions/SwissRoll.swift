import Foundation
import Tensors

/// The 2-D Swiss roll (sampling only): scikit-learn's `make_swiss_roll` projected on its (x, z)
/// plane, as used in diffusion-model tutorials.
///
///     θ = 1.5π (1 + 2u),  u ~ U[0, 1)         (one uniform; θ ∈ [1.5π, 4.5π))
///     x₀ = scale · (θ cos θ, θ sin θ) + noise · ε,   ε ~ N(0, I)   (two normals)
///
/// Defaults: scale 0.2 (so the roll fits in about [−2.8, 2.8]²), noise 0.05.
public struct SwissRoll: DataDistribution, Sendable, Equatable {
    public static let kind = "swiss-roll"
    public let scale: Double
    public let noise: Double
    public var dimension: Int { 2 }

    public init(scale: Double = 0.2, noise: Double = 0.05) throws(DistributionSpecError) {
        try ParameterValidation.positive(scale, kind: Self.kind, field: "scale")
        try ParameterValidation.finite(noise, kind: Self.kind, field: "noise")
        guard noise >= 0 else { throw .invalidValue(kind: Self.kind, field: "noise", reason: "must be ≥ 0, got \(noise)") }
        self.scale = scale
        self.noise = noise
    }

    public func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        for n in 0 ..< count {
            let angle = 1.5 * Double.pi * (1 + 2 * stream.nextUniform())
            points[2 * n] = scale * angle * Foundation.cos(angle) + noise * stream.nextNormal()
            points[2 * n + 1] = scale * angle * Foundation.sin(angle) + noise * stream.nextNormal()
        }
    }
}
