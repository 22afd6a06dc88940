import Tensors

/// Label dropout for classifier-free guidance training (Ho & Salimans 2022, "Classifier-Free Diffusion
/// Guidance", §3.2): each row's class label is replaced by the null class K with probability p_uncond,
/// so one network learns both the conditional D(x, t | y) and the unconditional D(x, t | ∅):
///
///     ỹ_i = K   if u_i < p_uncond,   else y_i,        u_i ~ U[0, 1) from the stream (seed, purpose, k)
///
/// One uniform per row, in row order, from a stream keyed by the iteration k, so the dropped rows depend
/// only on (seed, k) — a resumed run drops the same rows — and the online and bootstrap passes of a row
/// see the same ỹ (the learner repeats the dropped labels over every bootstrap block). p_uncond = 0
/// draws nothing and returns the labels unchanged. The purpose is "label-dropout" for consistency
/// learners and "pretraining.label-dropout" for EDM pretraining (``TrainingStreamNames``).
struct LabelDropout: Equatable, Sendable {
    /// p_uncond ∈ [0, 1).
    let probability: Double

    /// Throws unless 0 ≤ p < 1 (p = 1 would never show the network a label).
    static func validate(_ probability: Double) throws {
        guard probability >= 0, probability < 1 else {
            throw AgentError.invalidSetting("label dropout probability p_uncond = \(probability)",
                                            expected: "0 ≤ p_uncond < 1 (0 = off; 0.1 is typical for classifier-free guidance)")
        }
    }

    /// The labels after dropout and the per-row mask of dropped rows (nil when p = 0 or there are no labels).
    /// The draws come from the stream (seed, `purpose`, k).
    func apply(_ labels: [Int32]?, nullClass: Int, seed: UInt64, iteration k: Int,
               purpose: String = TrainingStreamNames.consistency.labelDropout) -> (labels: [Int32]?, dropped: [Bool]?) {
        guard let labels, probability > 0 else { return (labels, nil) }
        var stream = RandomStream(seed: seed, purpose: purpose, index: UInt64(k))
        var result = labels, dropped = [Bool](repeating: false, count: labels.count)
        for row in labels.indices where stream.nextUniform() < probability {
            result[row] = Int32(nullClass)
            dropped[row] = true
        }
        return (result, dropped)
    }
}

/// The class information of one training batch's rows: the data's labels y (what the score identity
/// restricts references to), the labels ỹ the network sees after label dropout, and which rows were
/// dropped to the null class. All nil for an unconditional network.
struct RowConditioning {
    var queryLabels: [Int32]?
    var networkLabels: [Int32]?
    var dropped: [Bool]?

    static let none = RowConditioning()
}

extension ConsistencyLearner {
    /// The batch's ``RowConditioning`` at iteration k: labels only for a class-conditional network, with
    /// the configured label dropout applied.
    func rowConditioning(_ labels: [Int32]?, iteration k: Int) -> RowConditioning {
        guard online.classCount > 0, let labels else { return .none }
        let (network, dropped) = LabelDropout(probability: configuration.labelDropout)
            .apply(labels, nullClass: online.classCount, seed: configuration.seed, iteration: k)
        return RowConditioning(queryLabels: labels, networkLabels: network, dropped: dropped)
    }
}
