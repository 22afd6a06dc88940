// TD-target × estimator ablation on the ring of 8 and a 16-D random Gaussian mixture.
//
//     swift run -c release TDTargetAblation --quick
//     swift run -c release TDTargetAblation --help
//
// See TDTargetAblationCommand.swift for what runs and Experiments/README.md for sizes and run times.
TDTargetAblationCommand.main()
