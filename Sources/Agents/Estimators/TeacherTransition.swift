import Environments

/// A denoiser evaluated at one time per row — what a teacher must provide. ``PreconditionedNetwork``
/// does so natively; ``ClosedFormTeacher`` adapts any environment ``Denoiser`` (one time per call).
///
/// A class-conditional teacher (``classCount`` K > 0) also gives D(x_i, t_i | y_i) for one label per row
/// (label K: the unconditional D of a teacher trained with label dropout), the teacher of
/// class-conditional distillation.
public protocol RowTimeDenoiser {
    var dimension: Int { get }
    /// K for a class-conditional teacher (labels 0…K−1, K the null class), 0 for an unconditional one.
    var classCount: Int { get }
    /// D(x_i, t_i) for rows × D points at per-row times t_i > 0.
    func denoise(_ points: [Double], times: [Double]) throws -> [Double]
    /// D(x_i, t_i | y_i) with one label per row (nil: unconditional).
    func denoise(_ points: [Double], times: [Double], labels: [Int32]?) throws -> [Double]
}

extension RowTimeDenoiser {
    /// Unconditional by default.
    public var classCount: Int { 0 }

    /// Without labels, ``denoise(_:times:)``; an unconditional teacher given labels throws, because its
    /// D would silently ignore the class the student is asked to learn.
    public func denoise(_ points: [Double], times: [Double], labels: [Int32]?) throws -> [Double] {
        guard labels == nil else {
            throw AgentError.incompatible("the teacher \(type(of: self)) is unconditional and cannot denoise given class labels; a class-conditional student needs a class-conditional teacher (a diffusion network with classCount = K)")
        }
        return try denoise(points, times: times)
    }
}

extension PreconditionedNetwork: RowTimeDenoiser {
    public func denoise(_ points: [Double], times: [Double]) throws -> [Double] {
        try evaluate(points, times: times)
    }

    public func denoise(_ points: [Double], times: [Double], labels: [Int32]?) throws -> [Double] {
        try evaluate(points, times: times, labels: labels)
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
/// with a diffusion network or a closed-form denoiser. At r = 0 both give D_φ(x_t, t). With `labels`
/// (one per row) both evaluations are class-conditional, D_φ(·, · | y_i): the teacher of a
/// class-conditional student.
public struct TeacherTransition: TransitionEstimating {
    public let teacher: any RowTimeDenoiser
    public let solver: TeacherSolver
    /// One class label per row handed to a class-conditional teacher (nil: unconditional).
    public let labels: [Int32]?

    public init(teacher: any RowTimeDenoiser, solver: TeacherSolver, labels: [Int32]? = nil) {
        self.teacher = teacher
        self.solver = solver
        self.labels = labels
    }

    public func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let d = teacher.dimension
        let rows = try TransitionValidation.rows(points, times: times, targetTimes: targetTimes, dimension: d)
        if let labels, labels.count != rows {
            throw AgentError.shapeMismatch("the teacher transition has \(labels.count) class labels for \(rows) rows; expected one per row")
        }
        let moving = (0..<rows).filter { targetTimes[$0] != times[$0] }
        guard !moving.isEmpty else { return points }
        func gather(_ values: [Double], _ rows: [Int]) -> [Double] {
            rows.flatMap { values[($0 * d)..<(($0 + 1) * d)] }
        }
        let x = gather(points, moving)
        let t = moving.map { times[$0] }, r = moving.map { targetTimes[$0] }
        let denoised = try teacher.denoise(x, times: t, labels: labels.map { y in moving.map { y[$0] } })
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
                let secondLabels = labels.map { y in second.map { y[moving[$0]] } }
                let secondDenoised = try teacher.denoise(gather(euler, second), times: second.map { r[$0] }, labels: secondLabels)
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
