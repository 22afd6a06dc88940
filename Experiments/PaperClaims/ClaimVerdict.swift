import Analysis

/// Whether a measured effect supports a claim. The effect is oriented so that a positive value is what
/// the paper claims (for a lower-is-better metric: metric of the arm the paper says is worse − metric
/// of the arm it says is better, per seed, paired). With the mean d̄ and standard error SE over seeds:
///
///     d̄ > 2 SE  → reproduces;   d̄ < −2 SE → does not reproduce (the opposite effect);   otherwise inconclusive.
enum ClaimVerdict: String, Equatable {
    case reproduces = "reproduces"
    case doesNotReproduce = "does not reproduce"
    case inconclusive = "inconclusive (within 2 SE)"

    init(effect: MonteCarloEstimate) {
        if effect.mean > 2 * effect.standardError, effect.mean > 0 {
            self = .reproduces
        } else if effect.mean < -2 * effect.standardError, effect.mean < 0 {
            self = .doesNotReproduce
        } else {
            self = .inconclusive
        }
    }
}

/// A claim's measurement: per-seed metric values of the two arms and the paired, oriented effect.
struct ClaimMeasurement {
    let claim: Claim
    /// The metric of the arm the paper says is better, one value per seed.
    let better: [Double]
    /// The metric of the arm the paper says is worse, one value per seed.
    let worse: [Double]

    /// Per-seed effect, oriented so that positive supports the claim (all metrics are lower-is-better).
    var perSeedEffect: [Double] { zip(worse, better).map { $0 - $1 } }
    var effect: MonteCarloEstimate { MonteCarloEstimate(values: perSeedEffect) }
    var verdict: ClaimVerdict { ClaimVerdict(effect: effect) }
}
