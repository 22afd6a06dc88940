import Replay

/// What one policy's episodes show, per episode averaged over the N episodes (with standard errors):
///
/// - endpoint error ‖x_{τ_K} − f*(x_{τ_0}, τ_0)‖₂: how far the policy's endpoint is from the exact ODE's
///   endpoint from the same initial noise (0 up to the solver tolerance for the exact policy);
/// - TD error (1/K) Σ_k ‖f*(x_{τ_{k+1}}, τ_{k+1}) − f*(x_{τ_k}, τ_k)‖₂: the temporal difference of the
///   exact value along the policy's own transitions (METHODS.md §4 with reward 0 in f-space), 0 for
///   the exact policy;
/// - target error (1/K) Σ_k ‖G_k − f*(x_{τ_k}, τ_k)‖₂ of the attached TD(0) target G (exact transition,
///   network bootstrap): the bootstrap network's error on the states the policy visits.
struct PolicySummary: Equatable {
    let name: String
    let episodes: Int
    let steps: Int
    let endpointError: Double
    let endpointErrorStandardError: Double
    let tdError: Double
    let tdErrorStandardError: Double
    let targetError: Double
    let targetErrorStandardError: Double

    /// The summary of `episodes` (all of one policy) with values under `valueName` and TD(0) targets
    /// under `targetName` (target error NaN when absent).
    init(name: String, episodes: [Episode], valueName: String = "exact", targetName: String = "td0") throws {
        guard let first = episodes.first else { throw ExperimentFailure("policy \(name) has no episodes") }
        let d = first.dimension, k = first.stepCount
        var endpoint: [Double] = [], td: [Double] = [], target: [Double] = []
        for episode in episodes {
            guard let values = episode.values[valueName] else { throw ExperimentFailure("policy \(name): episodes have no values/\(valueName)") }
            endpoint.append(Self.distance(episode.observations, row: k, values, row: 0, dimension: d))
            var total = 0.0
            for step in 0..<k { total += Self.distance(values, row: step + 1, values, row: step, dimension: d) }
            td.append(total / Double(k))
            if let targets = episode.targets[targetName] {
                var sum = 0.0
                for step in 0..<k { sum += Self.distance(targets, row: step, values, row: step, dimension: d) }
                target.append(sum / Double(k))
            }
        }
        self.name = name
        self.episodes = episodes.count
        steps = k
        (endpointError, endpointErrorStandardError) = Self.meanAndError(endpoint)
        (tdError, tdErrorStandardError) = Self.meanAndError(td)
        (targetError, targetErrorStandardError) = target.isEmpty ? (.nan, .nan) : Self.meanAndError(target)
    }

    /// ‖a_i − b_j‖₂ for rows of D Float32 values.
    static func distance(_ a: [Float], row i: Int, _ b: [Float], row j: Int, dimension d: Int) -> Double {
        var sum = 0.0
        for c in 0..<d {
            let difference = Double(a[i * d + c]) - Double(b[j * d + c])
            sum += difference * difference
        }
        return sum.squareRoot()
    }

    /// The mean and its standard error s/√n (ddof = 1; 0 for one value).
    static func meanAndError(_ values: [Double]) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / (n - 1)).squareRoot() / n.squareRoot())
    }
}
