/// How big a run is. `--quick` and the full size are presets; every field can be overridden.
struct ClaimSize: Equatable, CustomStringConvertible {
    /// Seeds (≥ 3 for a standard error worth reading).
    var seeds: Int
    /// Training iterations of every trained arm (equal steps for every comparison).
    var steps: Int
    /// EDM diffusion pretraining iterations (the ECT/SCT starting point, once per seed).
    var pretrainingSteps: Int
    var batchSize: Int
    var width: Int
    var depth: Int
    /// Learning-curve points after step 0.
    var evaluations: Int
    /// Samples per evaluation (and held-out data points).
    var samples: Int
    /// Minibatches of the OT target-variance measurement (per seed) and their size.
    var couplingBatches: Int
    var couplingBatchSize: Int

    static let full = ClaimSize(seeds: 3, steps: 2000, pretrainingSteps: 4000, batchSize: 128, width: 128, depth: 3, evaluations: 4,
                                samples: 2000, couplingBatches: 32, couplingBatchSize: 256)
    static let quick = ClaimSize(seeds: 3, steps: 300, pretrainingSteps: 3000, batchSize: 64, width: 64, depth: 2, evaluations: 3,
                                 samples: 500, couplingBatches: 8, couplingBatchSize: 128)

    func validate() throws {
        for (name, value, minimum) in [("--seeds", seeds, 2), ("--steps", steps, 1), ("--pretraining-steps", pretrainingSteps, 1),
                                       ("--batch", batchSize, 1), ("--width", width, 1), ("--depth", depth, 1),
                                       ("--evaluations", evaluations, 1), ("--samples", samples, 2),
                                       ("--coupling-batches", couplingBatches, 1), ("--coupling-batch", couplingBatchSize, 2)]
            where value < minimum {
            throw ClaimError("\(name) \(value): expected an integer ≥ \(minimum)\(name == "--seeds" ? " (a standard error needs 2 seeds; use ≥ 3)" : "")")
        }
        guard evaluations <= steps else { throw ClaimError("--evaluations \(evaluations): expected at most --steps (\(steps)) points") }
        guard couplingBatchSize <= 1024 else { throw ClaimError("--coupling-batch \(couplingBatchSize): expected ≤ 1024 (exact OT assignment)") }
    }

    /// 0, then `evaluations` evenly spaced iterations ending at `steps`.
    var evaluationSteps: [Int] { [0] + (1...evaluations).map { steps * $0 / evaluations } }

    var description: String {
        "\(seeds) seeds, \(steps) steps (batch \(batchSize)), diffusion \(pretrainingSteps) steps, MLP \(width)×\(depth), "
            + "\(evaluations + 1) curve points, \(samples) samples, OT variance \(couplingBatches)×\(couplingBatchSize)"
    }
}

/// A setting the user can fix: the message says what was wrong and what is expected.
struct ClaimError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
