import ArgumentParser

/// Which parameters of a checkpoint `sample` and `evaluate` use: the evaluation average (EMA, what
/// CM, iCT and ECT report; the online parameters when the checkpoint has none) or the online ones.
enum ParameterChoice: String, CaseIterable, ExpressibleByArgument {
    case ema, online

    static let help: ArgumentHelp = "Parameters to use: ema (the evaluation average, online when the checkpoint has none) or online."
}
