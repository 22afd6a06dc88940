// ConsistencyTD — the umbrella module (DESIGN.md §2): `import ConsistencyTD` gives a script every
// public type of the toolkit at once.
//
//     import ConsistencyTD
//
//     let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
//     let configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: 4000, dimension: 2)
//     let learner = try ConsistencyLearner(configuration: configuration, distribution: ring)
//     let summary = try Trainer(learner: learner, runFolder: "runs/ict",
//                               configuration: TrainerConfiguration(steps: 4000)).run()
//
@_exported import Agents
@_exported import Analysis
@_exported import Environments
@_exported import ExperimentKit
@_exported import HDF5
@_exported import NeuralNetworks
@_exported import Replay
@_exported import Tensors
@_exported import VarianceReduction
