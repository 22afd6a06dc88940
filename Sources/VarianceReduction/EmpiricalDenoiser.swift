import Environments

/// The "empirical exact" estimator (SCT's limit; METHODS.md §3.5): the exact denoiser of the empirical
/// distribution p₀ = (1/N) Σ_j δ(x − x^(j)) of a finite dataset, i.e. the score identity over the
/// whole dataset with a fixed reference set:
///
///     D(x, t) = Σ_j softmax_j(−‖x − x^(j)‖² / 2t²) x^(j)
///
/// It conforms to ``Denoiser``, so the PF-ODE solvers (`EulerSolver`, `HeunSolver`,
/// `DormandPrinceSolver`) can integrate the empirical PF-ODE with it. Computed in Double by
/// ``ScoreIdentityDenoiser`` (direct differences, row maximum subtracted). With `labels` and
/// ``classConditional(label:)`` it is the class-conditional empirical denoiser.
public struct EmpiricalDenoiser: Denoiser, Sendable {
    /// The dataset as a shared reference set.
    public let references: ScoreIdentityReferences<Double>
    /// When set, only points with this label take part (class-conditional denoiser).
    public let label: Int32?
    /// D, the dimension of a point.
    public var dimension: Int { references.dimension }

    /// The empirical denoiser of `points` (N × dimension, row-major, finite, N ≥ 1).
    public init(points: [Double], labels: [Int32]? = nil, dimension: Int) throws(ScoreIdentityError) {
        references = try .shared(points: points, labels: labels, dimension: dimension)
        label = nil
    }

    private init(references: ScoreIdentityReferences<Double>, label: Int32?) {
        self.references = references
        self.label = label
    }

    /// The denoiser of the empirical distribution of the points labelled `label` only. Throws when
    /// the dataset has no labels or no point carries `label`.
    public func classConditional(label: Int32) throws(ScoreIdentityError) -> EmpiricalDenoiser {
        guard let labels = references.labels else { throw .labelsMissing(what: "the empirical dataset") }
        guard labels.contains(label) else { throw .noReferenceWithLabel(row: 0, label: label) }
        return EmpiricalDenoiser(references: references, label: label)
    }

    /// D(x, t) for `count` points at one time t > 0 (count × dimension in and out).
    public func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                        into output: UnsafeMutablePointer<Double>) throws {
        guard count > 0 else { return }
        var failure: ScoreIdentityError?
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { times in
            times.initialize(repeating: t)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: count) { labels in
                labels.initialize(repeating: label ?? 0)
                do throws(ScoreIdentityError) {
                    try ScoreIdentityDenoiser().estimate(points, count: count, times: times.baseAddress!,
                                                         queryLabels: label == nil ? nil : UnsafePointer(labels.baseAddress!),
                                                         references: references, into: output)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }
}
