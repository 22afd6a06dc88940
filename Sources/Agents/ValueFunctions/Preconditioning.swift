import Foundation

/// How a network output F becomes a consistency function or a denoiser (METHODS.md §1):
///
///     out(x, t) = c_skip(t)·x + c_out(t)·F(c_in(t)·x, c_noise(t))
///
/// - `.consistency` (CM, Song et al. 2023): c_skip = σ_d² / ((t − t_min)² + σ_d²),
///   c_out = σ_d (t − t_min) / √(σ_d² + t²), so out(x, t_min) = x exactly (the boundary condition
///   V(x, t_min) = 0 of the value view).
/// - `.edmDenoiser` (EDM, Karras et al. 2022): c_skip = σ_d² / (t² + σ_d²), c_out = t σ_d / √(t² + σ_d²).
///
/// Both use c_in = 1 / √(σ_d² + t²) and c_noise = ln(t) / 4. The two agree up to the t_min shift; ECT's
/// public code keeps the EDM scalings during tuning and applies the shift only at evaluation, while the
/// toolkit switches to the consistency scalings for the whole of tuning (documented difference).
public enum Parameterisation: String, Equatable, Sendable, CaseIterable {
    case consistency
    case edmDenoiser = "edm-denoiser"
}

/// The scalings of one time t (see ``Parameterisation``).
public struct Scalings: Equatable, Sendable {
    public var skip: Double
    public var output: Double
    public var input: Double
    public var noise: Double
}

/// The preconditioning of a network: parameterisation, σ_d and t_min.
public struct Preconditioning: Equatable, Sendable {
    public var parameterisation: Parameterisation
    /// σ_d: 0.5 for images in [−1, 1]; for toy data the data's own standard deviation (METHODS.md §0).
    public var dataStandardDeviation: Double
    /// t_min, where the consistency parameterisation is the identity.
    public var minimumTime: Double

    public init(_ parameterisation: Parameterisation, dataStandardDeviation: Double, minimumTime: Double = 0.002) throws {
        guard dataStandardDeviation.isFinite, dataStandardDeviation > 0 else {
            throw AgentError.invalidSetting("σ_d (data standard deviation) = \(dataStandardDeviation)", expected: "a finite value > 0")
        }
        guard minimumTime.isFinite, minimumTime > 0 else {
            throw AgentError.invalidSetting("t_min = \(minimumTime)", expected: "a finite value > 0")
        }
        self.parameterisation = parameterisation
        self.dataStandardDeviation = dataStandardDeviation
        self.minimumTime = minimumTime
    }

    /// c_skip, c_out, c_in and c_noise at time t > 0.
    @inline(__always)
    public func scalings(at t: Double) -> Scalings {
        let sd = dataStandardDeviation, sd2 = sd * sd
        let input = 1 / (sd2 + t * t).squareRoot()
        let noise = Foundation.log(t) / 4
        switch parameterisation {
        case .consistency:
            let shifted = t - minimumTime
            return Scalings(skip: sd2 / (shifted * shifted + sd2), output: sd * shifted * input, input: input, noise: noise)
        case .edmDenoiser:
            return Scalings(skip: sd2 / (t * t + sd2), output: t * sd * input, input: input, noise: noise)
        }
    }

    /// The same preconditioning with another parameterisation (ECT/SCT switch a pretrained denoiser to
    /// the consistency scalings).
    public func with(_ parameterisation: Parameterisation) -> Preconditioning {
        var copy = self
        copy.parameterisation = parameterisation
        return copy
    }
}
