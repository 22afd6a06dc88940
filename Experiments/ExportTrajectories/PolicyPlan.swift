import Agents
import Environments

/// One exported policy: its name (the file and dataset name), a description, its transition policy
/// and the Karras grid of K + 1 times it follows.
struct PolicyPlan {
    let name: String
    let description: String
    let policy: any TransitionPolicy
    let steps: Int
    let minimumTime: Double
    let maximumTime: Double

    /// The exact policy (Dormand–Prince, tolerance 1e−9, closed-form denoiser) on `exactSteps` steps,
    /// the closed-form teacher's Euler and Heun at each of `teacherSteps`, and the consistency model's
    /// multistep sampler (CM noise injection) at each of `samplerSteps` over the model's [t_min, T].
    static func all(mixture: GaussianMixture, exactSteps: Int, teacherSteps: [Int], model: PreconditionedNetwork?,
                    modelMaximumTime: Double, samplerSteps: [Int], seed: UInt64) -> [PolicyPlan] {
        var plans = [PolicyPlan(name: "exact", description: "exact PF-ODE (Dormand–Prince, closed-form denoiser)",
                                policy: SolverPolicy(solver: DormandPrinceSolver(), denoiser: mixture), steps: exactSteps,
                                minimumTime: 0.002, maximumTime: 80)]
        for steps in teacherSteps {
            plans.append(PolicyPlan(name: "euler-\(steps)", description: "teacher Euler, \(steps) steps (closed-form denoiser)",
                                    policy: SolverPolicy(solver: EulerSolver(), denoiser: mixture), steps: steps,
                                    minimumTime: 0.002, maximumTime: 80))
            plans.append(PolicyPlan(name: "heun-\(steps)", description: "teacher Heun, \(steps) steps (closed-form denoiser)",
                                    policy: SolverPolicy(solver: HeunSolver(), denoiser: mixture), steps: steps,
                                    minimumTime: 0.002, maximumTime: 80))
        }
        if let model {
            for steps in samplerSteps {
                plans.append(PolicyPlan(name: "consistency-\(steps)", description: "consistency model, \(steps)-step sampler (CM noise)",
                                        policy: ConsistencyModelPolicy(model: model, noiseInjection: .consistencyModels, seed: seed),
                                        steps: steps, minimumTime: model.minimumTime, maximumTime: modelMaximumTime))
            }
        }
        return plans
    }
}
