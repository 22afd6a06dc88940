import Environments

/// A denoiser evaluated at one time per row — what a teacher must provide. ``PreconditionedNetwork``
/// does so natively; ``ClosedFormTeacher`` adapts any environment ``Denoiser`` (one time per call).
public protocol RowTimeDenoiser {
    var dimension: Int { get }
    /// D(x_i, t_i) for rows × D points at per-row times t_i > 0.
    func denoise(_ points: [Double], times: [Double]) throws -> [Double]
}

extension PreconditionedNetwork: RowTimeDenoiser {
    public func denoise(_ points: [Double], times: [Double]) throws -> [Double] {
        try evaluate(points, times: times)
    }
}

/// An environment ``Denoiser`` (a closed-form D, or any other) used as a per-row teacher: rows that
/// share a time are denoised in one call.
public struct ClosedFormTeacher<Model: Denoiser>: RowTimeDenoiser {
    public let model: Model
    public let dimension: Int

    public init(_ model: Model, dimension: Int) {
        self.model = model
        self.dimension = dimension
    }

    public func denoise(_ points: [Double], times: [Double]) throws -> [Double] {
        var result = [Double](repeating: 0, count: points.count)
        var groups: [Double: [Int]] = [:]
        for (row, t) in times.enumerated() { groups[t, default: []].append(row) }
        for (t, rows) in groups.sorted(by: { $0.key > $1.key }) {
            var gathered = [Double](); gathered.reserveCapacity(rows.count * dimension)
            for row in rows { gathered.append(contentsOf: points[(row * dimension)..<((row + 1) * dimension)]) }
            var output = [Double](repeating: 0, count: gathered.count)
            try gathered.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { y in
                    try model.denoise(x.baseAddress!, count: rows.count, time: t, into: y.baseAddress!)
                }
            }
            for (k, row) in rows.enumerated() {
                for j in 0..<dimension { result[row * dimension + j] = output[k * dimension + j] }
            }
        }
        return result
    }
}

/// The teacher's numerical step, Euler or Heun (METHODS.md §3.2).
public enum TeacherSolver: String, Equatable, Sendable, CaseIterable {
    case euler
    case heun
}

/// The teacher estimator of consistency distillation (CD; Song et al. 2023, METHODS.md §3.2):
///
///     ε̂ = (x_t − D_φ(x_t, t)) / t,       Euler: x̂_r = x_t + (r − t) ε̂
///     Heun (r > 0): x′ = Euler step, ε̂′ = (x′ − D_φ(x′, r)) / r, x̂_r = x_t + (r − t)(ε̂ + ε̂′)/2
///
/// with a diffusion network or a closed-form denoiser. At r = 0 both give D_φ(x_t, t).
public struct TeacherTransition: TransitionEstimating {
    public let teacher: any RowTimeDenoiser
    public let solver: TeacherSolver

    public init(teacher: any RowTimeDenoiser, solver: TeacherSolver) {
        self.teacher = teacher
        self.solver = solver
    }

    public func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let d = teacher.dimension
        let rows = try TransitionValidation.rows(points, times: times, targetTimes: targetTimes, dimension: d)
        let moving = (0..<rows).filter { targetTimes[$0] != times[$0] }
        guard !moving.isEmpty else { return points }
        func gather(_ values: [Double], _ rows: [Int]) -> [Double] {
            rows.flatMap { values[($0 * d)..<(($0 + 1) * d)] }
        }
        let x = gather(points, moving)
        let t = moving.map { times[$0] }, r = moving.map { targetTimes[$0] }
        let denoised = try teacher.denoise(x, times: t)
        var velocity = [Double](repeating: 0, count: x.count), euler = x
        for k in moving.indices {
            for j in (k * d)..<((k + 1) * d) {
                velocity[j] = (x[j] - denoised[j]) / t[k]
                euler[j] = r[k] == 0 ? denoised[j] : x[j] + (r[k] - t[k]) * velocity[j]
            }
        }
        var next = euler
        if solver == .heun {
            let second = moving.indices.filter { r[$0] > 0 }
            if !second.isEmpty {
                let secondDenoised = try teacher.denoise(gather(euler, second), times: second.map { r[$0] })
                for (m, k) in second.enumerated() {
                    for j in 0..<d {
                        let i = k * d + j
                        let secondVelocity = (euler[i] - secondDenoised[m * d + j]) / r[k]
                        next[i] = x[i] + (r[k] - t[k]) * 0.5 * (velocity[i] + secondVelocity)
                    }
                }
            }
        }
        var result = points
        for (k, row) in moving.enumerated() {
            for j in 0..<d { result[row * d + j] = next[k * d + j] }
        }
        return result
    }
}
