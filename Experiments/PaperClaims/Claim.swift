/// One claim of a seed paper, as two arms compared on one lower-is-better metric.
struct Claim: Equatable {
    /// A short key (HDF5 group name).
    let key: String
    /// The paper.
    let paper: String
    /// The claim in words.
    let statement: String
    /// The arm the paper says is better, and the other.
    let betterArm: String
    let worseArm: String
    /// What is compared (lower is better).
    let metric: String

    static let all: [Claim] = [
        Claim(key: "ict_no_ema_teacher", paper: "iCT (Song & Dhariwal 2023)",
              statement: "no EMA teacher (stop-gradient) beats an EMA teacher (μ = 0.99)",
              betterArm: "ict", worseArm: "ict-ema-teacher", metric: "1-step NLL gap, ring of 8"),
        Claim(key: "ict_pseudo_huber", paper: "iCT (Song & Dhariwal 2023)",
              statement: "pseudo-Huber beats squared L2",
              betterArm: "ict", worseArm: "ict-squared-l2", metric: "1-step NLL gap, ring of 8"),
        Claim(key: "ect_tuning", paper: "ECT (Geng et al. 2024)",
              statement: "tuning from a diffusion model beats training from scratch at equal steps",
              betterArm: "ect", worseArm: "ect-from-scratch", metric: "1-step NLL gap, ring of 8"),
        Claim(key: "sct_faster_early", paper: "SCT (stable targets)",
              statement: "score-identity targets converge faster than conditional ones (early; ECT recipe, estimator only)",
              betterArm: "sct", worseArm: "ect", metric: "1-step NLL gap at the first curve point, ring of 8"),
        Claim(key: "sct_faster_auc", paper: "SCT (stable targets)",
              statement: "score-identity targets converge faster than conditional ones (whole curve)",
              betterArm: "sct", worseArm: "ect", metric: "mean 1-step NLL gap over the learning curve (area), ring of 8"),
        Claim(key: "slct_cauchy", paper: "sLCT (Dao et al. 2025)",
              statement: "on heavy-tailed data the Cauchy metric beats pseudo-Huber",
              betterArm: "slct", worseArm: "slct-pseudo-huber", metric: "1-step SW₂² to held-out data, Student-t ring (ν = 3)"),
        Claim(key: "slct_ot_variance", paper: "sLCT (Dao et al. 2025)",
              statement: "minibatch OT coupling lowers the variance of TD targets",
              betterArm: "ot-coupled", worseArm: "independent",
              metric: "E‖G − f*(x_t, t)‖²/D of the exact-bootstrap TD(0) target at fixed (t, r), ring of 8 (no training)"),
    ]
}
