// Consistency models on the 8×8 digits with a time-conditioned U-Net: diffusion pretraining, then ECT,
// SCT (unconditional and class-conditional) and iCT, scored by the Fréchet distance in the committed
// classifier's features and by the classifier's accuracy on class-conditional samples, with PNG
// sample grids: `swift run -c release DigitsConsistency --help`.
DigitsConsistencyCommand.main()
