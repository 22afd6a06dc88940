/// Why an image classifier could not be trained, saved, loaded or evaluated. Every message names the
/// file or input and says what was expected.
public enum ImageClassifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No file at the checkpoint path.
    case checkpointNotFound(path: String)
    /// The file is not an image-classifier checkpoint (not HDF5, or another `format`).
    case notAClassifierCheckpoint(path: String, found: String)
    /// A checkpoint attribute or dataset is missing, of the wrong type or invalid.
    case malformedCheckpoint(path: String, object: String, problem: String)
    /// The checkpoint's architecture differs from the one the caller asked for.
    case architectureMismatch(path: String, found: String, expected: String)
    /// The file's SHA-256 differs from the recorded one.
    case checksumMismatch(path: String, found: String, expected: String)
    /// Writing the checkpoint failed (the previous file, if any, is left in place).
    case writeFailed(path: String, reason: String)
    /// Images whose value count is not a multiple of C·H·W, or an empty batch.
    case imageCountMismatch(values: Int, imageShape: [Int])
    /// Images containing NaN or infinity.
    case nonFiniteImages(index: Int)
    /// The classifier's logits for image `index` contain NaN (non-finite parameters, or an overflow).
    case nonFiniteLogits(index: Int)
    /// A label count different from the image count.
    case labelCountMismatch(labels: Int, images: Int)
    /// Label `label` of image `index` lies outside 0..<classCount.
    case labelOutOfRange(index: Int, label: Int32, classCount: Int)
    /// A training dataset that does not fit the classifier (shape, labels, classes).
    case datasetMismatch(reason: String)
    /// Invalid training settings.
    case invalidSettings(reason: String)

    public var description: String {
        switch self {
        case let .checkpointNotFound(path):
            return "image classifier: no checkpoint at \"\(path)\" (train one with `swift run -c release DigitsClassifier`)"
        case let .notAClassifierCheckpoint(path, found):
            return "image classifier: \"\(path)\" is not an image-classifier checkpoint (\(found)); expected an HDF5 file with format \"\(ImageClassifierCheckpoint.format)\""
        case let .malformedCheckpoint(path, object, problem):
            return "image classifier checkpoint \"\(path)\": \(object) \(problem)"
        case let .architectureMismatch(path, found, expected):
            return "image classifier checkpoint \"\(path)\": its architecture is \(found); expected \(expected)"
        case let .checksumMismatch(path, found, expected):
            return "image classifier checkpoint \"\(path)\": SHA-256 is \(found) but \(expected) was recorded; the file is damaged or was replaced"
        case let .writeFailed(path, reason):
            return "image classifier checkpoint \"\(path)\": could not be written (\(reason))"
        case let .imageCountMismatch(values, imageShape):
            let d = imageShape.reduce(1, *)
            return "image classifier: \(values) image values are not a whole number ≥ 1 of \(imageShape.map(String.init).joined(separator: "×")) images (expected a positive multiple of \(d))"
        case let .nonFiniteImages(index):
            return "image classifier: image \(index) contains NaN or infinity; expected finite pixel values"
        case let .nonFiniteLogits(index):
            return "image classifier: its logits for image \(index) contain NaN, so it predicts no class; expected a classifier with finite parameters (retrain it or load another checkpoint)"
        case let .labelCountMismatch(labels, images):
            return "image classifier: \(labels) labels for \(images) images; expected one label per image"
        case let .labelOutOfRange(index, label, classCount):
            return "image classifier: label \(label) of image \(index) is not a class of the classifier; expected 0…\(classCount - 1)"
        case let .datasetMismatch(reason):
            return "image classifier training data: \(reason)"
        case let .invalidSettings(reason):
            return "image classifier training settings: \(reason)"
        }
    }
}
