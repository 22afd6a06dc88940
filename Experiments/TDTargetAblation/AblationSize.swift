/// How big a run is. `--quick` and the full size are presets; every field can be overridden on the
/// command line.
struct AblationSize: Equatable, CustomStringConvertible {
    /// Run seeds (base seed, base seed + 1, …).
    var seeds: Int
    /// Consistency-tuning iterations per configuration.
    var steps: Int
    /// EDM diffusion pretraining iterations (once per environment and seed; the teacher and the
    /// initial network of every configuration).
    var pretrainingSteps: Int
    var batchSize: Int
    /// Learning-curve points after step 0 (evenly spaced; the last is the final model).
    var evaluations: Int
    /// Samples per evaluation (and held-out data points for SW₂²).
    var samples: Int
    var width: Int
    var depth: Int

    /// The documented full size (3 seeds).
    static let full = AblationSize(seeds: 3, steps: 2000, pretrainingSteps: 4000, batchSize: 128, evaluations: 4, samples: 2000,
                                   width: 128, depth: 3)
    /// `--quick`: the same grid, 2 seeds, few steps and a small batch.
    static let quick = AblationSize(seeds: 2, steps: 150, pretrainingSteps: 3000, batchSize: 64, evaluations: 3, samples: 500,
                                    width: 64, depth: 2)

    /// Checks every field, naming the bad one and what is expected.
    func validate() throws {
        for (name, value, minimum) in [("--seeds", seeds, 1), ("--steps", steps, 1), ("--pretraining-steps", pretrainingSteps, 1),
                                       ("--batch", batchSize, 1), ("--evaluations", evaluations, 1), ("--samples", samples, 2),
                                       ("--width", width, 1), ("--depth", depth, 1)] where value < minimum {
            throw AblationError("\(name) \(value): expected an integer ≥ \(minimum)")
        }
        guard evaluations <= steps else { throw AblationError("--evaluations \(evaluations): expected at most --steps (\(steps)) points") }
    }

    /// The iterations after which the learning curve is evaluated: 0, then `evaluations` evenly spaced
    /// points ending at `steps`.
    var evaluationSteps: [Int] { [0] + (1...evaluations).map { steps * $0 / evaluations } }

    var description: String {
        "\(seeds) seeds, \(steps) steps (batch \(batchSize)), diffusion \(pretrainingSteps) steps, MLP \(width)×\(depth), "
            + "\(evaluations + 1) curve points, \(samples) samples"
    }
}

/// A setting the user can fix: the message says what was wrong and what is expected.
struct AblationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
