import ConsistencyTD

/// Parses `constant`, `cosine:φ` or `linear:φ` (φ the final fraction of the learning rate, 0 ≤ φ ≤ 1)
/// into Agents' ``LearningRateDecay``.
enum LearningRateDecayArgument {
    static let help = "constant, cosine:φ or linear:φ (decay to φ × the learning rate)"

    static func parse(_ text: String) throws -> LearningRateDecay {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts == ["constant"] { return .constant }
        guard parts.count == 2, let phi = Float(parts[1]), phi.isFinite, phi >= 0, phi <= 1 else {
            throw CommandLineFailure("learning-rate decay '\(text)' is not valid; expected \(help) with 0 ≤ φ ≤ 1")
        }
        switch parts[0] {
        case "cosine": return .cosine(finalFraction: phi)
        case "linear": return .linear(finalFraction: phi)
        default: throw CommandLineFailure("learning-rate decay '\(text)' is not valid; expected \(help)")
        }
    }
}
