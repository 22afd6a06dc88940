import Analysis

/// Turns the arms' per-seed results into each claim's per-seed metric values (lower is better).
enum ClaimMeasurements {
    /// The final one-step NLL gap (NaN when no sample was finite).
    static func finalGap(_ run: ArmResult) -> Double { run.final.negativeLogLikelihoodGap ?? .nan }
    /// The one-step NLL gap at the first curve point after step 0.
    static func earlyGap(_ run: ArmResult) -> Double { run.curve[1].negativeLogLikelihoodGap ?? .nan }
    /// The mean one-step NLL gap over the curve points after step 0: the area under the learning curve
    /// divided by its length (evenly spaced points).
    static func curveArea(_ run: ArmResult) -> Double {
        let gaps = run.curve.dropFirst().map { $0.negativeLogLikelihoodGap ?? .nan }
        return gaps.reduce(0, +) / Double(gaps.count)
    }

    static func all(arms: [ClaimArm: [ArmResult]], coupling: [(independent: Double, coupled: Double)]) -> [ClaimMeasurement] {
        Claim.all.map { claim in
            func values(_ name: String, _ metric: (ArmResult) -> Double) -> [Double] { arms[ClaimArm(rawValue: name)!]!.map(metric) }
            switch claim.key {
            case "ict_no_ema_teacher", "ict_pseudo_huber", "ect_tuning":
                return ClaimMeasurement(claim: claim, better: values(claim.betterArm, finalGap), worse: values(claim.worseArm, finalGap))
            case "sct_faster_early":
                return ClaimMeasurement(claim: claim, better: values(claim.betterArm, earlyGap), worse: values(claim.worseArm, earlyGap))
            case "sct_faster_auc":
                return ClaimMeasurement(claim: claim, better: values(claim.betterArm, curveArea), worse: values(claim.worseArm, curveArea))
            case "slct_cauchy":
                let sw: (ArmResult) -> Double = { $0.final.squaredSlicedWasserstein2 }
                return ClaimMeasurement(claim: claim, better: values(claim.betterArm, sw), worse: values(claim.worseArm, sw))
            default:
                return ClaimMeasurement(claim: claim, better: coupling.map(\.coupled), worse: coupling.map(\.independent))
            }
        }
    }

    /// The Markdown table: one row per claim.
    static func markdown(_ measurements: [ClaimMeasurement], seeds: Int) -> String {
        var lines = ["| claim | paper | metric (lower is better) | better arm | worse arm | effect ± SE | verdict |",
                     "|---|---|---|---:|---:|---:|---|"]
        for m in measurements {
            let better = MonteCarloEstimate(values: m.better), worse = MonteCarloEstimate(values: m.worse), effect = m.effect
            lines.append("| \(m.claim.statement) | \(m.claim.paper) | \(m.claim.metric) | \(m.claim.betterArm): \(number(better.mean)) "
                + "| \(m.claim.worseArm): \(number(worse.mean)) | \(number(effect.mean, signed: true)) ± \(number(effect.standardError)) | \(m.verdict.rawValue) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Four significant digits in fixed or scientific notation ("%.4g"), "+" for positive values when `signed`.
    static func number(_ value: Double, signed: Bool = false) -> String {
        String(format: signed ? "%+.4g" : "%.4g", value)
    }
}
