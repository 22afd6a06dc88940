import Environments

/// A consistency function f(x, t): maps a point of a PF-ODE trajectory at time t to the trajectory's
/// end point at t_min (METHODS.md §0–§1). Its value view is V(x, t) = f(x, t) − x (DESIGN.md §1).
///
/// Conformers: a trained network (``ConsistencyNetwork`` with the consistency parameterisation) and
/// the exact f* of a closed-form distribution (``ExactValue``), so samplers, TD targets and
/// diagnostics run unchanged on the ground truth.
public protocol ConsistencyFunction {
    /// D, the dimension of a point.
    var dimension: Int { get }
    /// t_min: f(x, t_min) = x (the boundary condition).
    var minimumTime: Double { get }
    /// f(x_i, t) for `count` points given at one time t (count × dimension, row-major).
    func consistency(_ points: [Double], time t: Double) throws -> [Double]
}

extension ExactValue: ConsistencyFunction {
    public var dimension: Int { distribution.dimension }
}
