/// The policy of the denoising MDP: how a state (x_t, t) moves to the next time r < t — the action
/// a = φ(x_t, t → r) is the next point itself (DESIGN.md §1). ODE solvers with a denoiser (Euler,
/// Heun, Dormand–Prince) and, later, a trained consistency model's multistep sampler are policies.
public protocol TransitionPolicy {
    /// Writes x_r for each of `count` points x_t (count × dimension) from time t to time r < t.
    func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                 into output: UnsafeMutablePointer<Double>) throws
}
