/// The provenance a classifier checkpoint carries: how it was trained and how well it classifies.
/// Stored as root attributes of the checkpoint (``ImageClassifierCheckpoint``).
public struct ImageClassifierTrainingRecord: Equatable, Sendable {
    /// The training settings (seed, steps, batch, learning rate, augmentation).
    public var settings: ImageClassifierTrainingSettings
    /// Fraction of the training part classified correctly (unaugmented) after training.
    public var trainAccuracy: Double
    /// Fraction of the test part classified correctly after training.
    public var testAccuracy: Double
    /// Mean cross-entropy over the last 10 % of the steps.
    public var finalLoss: Double
    /// SHA-256 of the dataset file trained on ("" when not from a file).
    public var datasetSHA256: String
    /// The toolkit version that trained it.
    public var toolkitVersion: String

    public init(settings: ImageClassifierTrainingSettings, trainAccuracy: Double, testAccuracy: Double, finalLoss: Double,
                datasetSHA256: String, toolkitVersion: String) {
        self.settings = settings
        self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy
        self.finalLoss = finalLoss
        self.datasetSHA256 = datasetSHA256
        self.toolkitVersion = toolkitVersion
    }
}
