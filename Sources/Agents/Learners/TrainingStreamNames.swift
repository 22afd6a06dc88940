/// The purposes of the random streams `(seed, purpose, iteration)` one training phase draws from
/// (DESIGN.md §4): data x₀, noise z, times, dropout masks and label dropout.
///
/// EDM pretraining and the consistency learners tuned from its network (CD's teacher, ECT and SCT's
/// initial network) usually run with the same seed, so they must not share names: with shared names
/// iteration k of the tuning run redrew exactly the x₀, z and ξ of pretraining iteration k — for a
/// finite data set the same rows in the same order — and the two phases were not independent.
struct TrainingStreamNames: Equatable, Sendable {
    let data: String
    let noise: String
    let time: String
    let dropout: String
    let labelDropout: String

    /// CD, CT, iCT, ECT and SCT: "data", "noise", "time", "dropout", "label-dropout". Two lower modules,
    /// which cannot see this type, spell the same names: Environments' `ConditionalTrainingBatch`
    /// (data, noise, time) and NeuralNetworks' `ForwardContext.training` (dropout); keep them in step.
    static let consistency = TrainingStreamNames(
        data: "data", noise: "noise", time: "time", dropout: "dropout", labelDropout: "label-dropout")

    /// EDM diffusion pretraining: the consistency names under "pretraining.".
    static let pretraining = TrainingStreamNames(
        data: "pretraining.data", noise: "pretraining.noise", time: "pretraining.time",
        dropout: "pretraining.dropout", labelDropout: "pretraining.label-dropout")

    var all: [String] { [data, noise, time, dropout, labelDropout] }
}
