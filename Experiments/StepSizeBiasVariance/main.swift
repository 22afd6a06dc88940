// Bias and variance of every transition estimator across step sizes Δt = t − r at several t, with the
// exact value f* and with a trained consistency network as bootstrap: `swift run -c release
// StepSizeBiasVariance --help`.
StepSizeBiasVarianceCommand.main()
