// Trains the 8×8-digits classifier whose accuracy and penultimate features are the image benchmark's
// metrics, and writes its checkpoint with a `.sha256` beside it: `swift run -c release DigitsClassifier --help`.
DigitsClassifierCommand.main()
