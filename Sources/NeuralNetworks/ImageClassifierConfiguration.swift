import Tensors

/// The settings of an ``ImageClassifier``: the image shape C×H×W, the class count K, one channel width
/// per convolutional stage, the width F of the penultimate feature vector and the GroupNorm groups.
///
/// Stage 0 keeps the resolution (3×3 convolution, stride 1); every later stage halves it (3×3,
/// stride 2, padding 1: H ↦ ⌊(H − 1)/2⌋ + 1). Every width must be a multiple of `groups`.
public struct ImageClassifierConfiguration: Equatable, Sendable, Codable {
    /// C: channels of the input images.
    public var imageChannels: Int
    /// H: image height in pixels.
    public var height: Int
    /// W: image width in pixels.
    public var width: Int
    /// K: the number of classes (logits per image).
    public var classCount: Int
    /// The output channels of every convolutional stage, first stage first (e.g. [16, 32, 64]).
    public var stageChannels: [Int]
    /// F: the width of the penultimate features (pooled map → Linear → SiLU).
    public var featureCount: Int
    /// Groups of every GroupNorm (must divide every stage width).
    public var groups: Int

    /// Settings for C×H×W images and K classes; checked by ``validate()`` when a network is built.
    public init(imageChannels: Int = 1, height: Int, width: Int, classCount: Int, stageChannels: [Int] = [16, 32, 64],
                featureCount: Int = 64, groups: Int = 4) {
        self.imageChannels = imageChannels
        self.height = height
        self.width = width
        self.classCount = classCount
        self.stageChannels = stageChannels
        self.featureCount = featureCount
        self.groups = groups
    }

    /// The classifier of the 8×8 digits (Experiments/Data/digits-8x8.h5): 1×8×8 images, 10 classes,
    /// stages [16, 32, 64] at 8×8, 4×4, 2×2, 64 features, 4 groups.
    public static let digits = ImageClassifierConfiguration(height: 8, width: 8, classCount: 10)

    /// D = C·H·W, the values of one image.
    public var dataDimension: Int { imageChannels * height * width }

    /// The [C, H, W] shape of one image.
    public var imageShape: [Int] { [imageChannels, height, width] }

    /// The spatial size after the last stage.
    public var finalResolution: (height: Int, width: Int) {
        var h = height, w = width
        for _ in stageChannels.dropFirst() { h = (h - 1) / 2 + 1; w = (w - 1) / 2 + 1 }
        return (h, w)
    }

    /// Throws an `invalidArgument` naming the first invalid setting and what is expected.
    public func validate() throws(TensorError) {
        func invalid(_ message: String) -> TensorError { .invalidArgument(operation: "ImageClassifierConfiguration", message: message) }
        guard imageChannels >= 1, height >= 1, width >= 1 else {
            throw invalid("the image shape must have every extent ≥ 1, got \(imageChannels)×\(height)×\(width)")
        }
        guard classCount >= 2 else { throw invalid("classCount must be ≥ 2, got \(classCount)") }
        guard !stageChannels.isEmpty, stageChannels.allSatisfy({ $0 >= 1 }) else {
            throw invalid("stageChannels must list ≥ 1 stage, each with ≥ 1 channel, got \(stageChannels)")
        }
        guard featureCount >= 1 else { throw invalid("featureCount must be ≥ 1, got \(featureCount)") }
        guard groups >= 1, stageChannels.allSatisfy({ $0 % groups == 0 }) else {
            throw invalid("groups (\(groups)) must be ≥ 1 and divide every stage width \(stageChannels)")
        }
    }
}
