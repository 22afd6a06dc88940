import Tensors

/// The settings of a ``TimeConditionedUNet``: the image shape C×H×W (rows of D = C·H·W features), one
/// channel width per resolution level, residual blocks per level, GroupNorm groups, the time embedding,
/// optional class conditioning and dropout.
///
/// Level ℓ (ℓ = 0…L−1, L = `channelWidths.count`) works at resolution H/2^ℓ × W/2^ℓ with
/// `channelWidths[ℓ]` channels, so H and W must be multiples of 2^(L−1); every width must be a multiple of
/// `groups`.
public struct TimeConditionedUNetConfiguration: Equatable, Sendable {
    /// C: channels of the image (1 for grey digits).
    public var imageChannels: Int
    /// H: image height in pixels.
    public var height: Int
    /// W: image width in pixels.
    public var width: Int
    /// The channel count of every level, finest first (e.g. [32, 64]).
    public var channelWidths: [Int]
    /// Residual blocks per level on the way down (the way up has one more, for the extra skip).
    public var blocksPerLevel: Int
    /// Groups of every GroupNorm (must divide every channel width).
    public var groups: Int
    /// Features of c_noise = ln(t)/4 fed to the embedding MLP.
    public var embedding: TimeEmbeddingKind
    /// E: width of the time (and class) embedding given to every block; nil = 4 × the first width.
    public var embeddingWidth: Int?
    /// K: the number of classes of a class-conditional network (0 = unconditional). Label K is the
    /// learned "null" class (unconditional, for classifier-free guidance).
    public var classCount: Int
    /// Dropout probability inside every residual block (before its second convolution).
    public var dropout: Float

    /// Settings for C×H×W images (defaults: grey images, widths [32, 64], one block per level, 8 groups,
    /// the reference time embedding, E = 4 × 32, unconditional, no dropout); checked by ``validate()``
    /// when a network is built.
    public init(
        imageChannels: Int = 1, height: Int, width: Int, channelWidths: [Int] = [32, 64], blocksPerLevel: Int = 1,
        groups: Int = 8, embedding: TimeEmbeddingKind = .reference, embeddingWidth: Int? = nil, classCount: Int = 0,
        dropout: Float = 0
    ) {
        self.imageChannels = imageChannels
        self.height = height
        self.width = width
        self.channelWidths = channelWidths
        self.blocksPerLevel = blocksPerLevel
        self.groups = groups
        self.embedding = embedding
        self.embeddingWidth = embeddingWidth
        self.classCount = classCount
        self.dropout = dropout
    }

    /// D = C·H·W, the features of one row.
    public var dataDimension: Int { imageChannels * height * width }

    /// L, the number of resolution levels.
    public var levels: Int { channelWidths.count }

    /// E: ``embeddingWidth``, or 4 × the first channel width.
    public var resolvedEmbeddingWidth: Int { embeddingWidth ?? 4 * (channelWidths.first ?? 0) }

    /// Throws, naming the setting and what is expected, for non-positive sizes, an empty or
    /// non-positive width list, a group count that does not divide a width, an image size not divisible
    /// by 2^(L−1), a negative class count or a dropout outside [0, 1).
    public func validate() throws(TensorError) {
        func invalid(_ message: String) -> TensorError { .invalidArgument(operation: "TimeConditionedUNetConfiguration", message: message) }
        guard imageChannels > 0, height > 0, width > 0 else {
            throw invalid("the image shape C×H×W must have positive extents, got \(imageChannels)×\(height)×\(width)")
        }
        guard !channelWidths.isEmpty else { throw invalid("channelWidths needs at least one level, e.g. [32, 64]") }
        if let level = channelWidths.firstIndex(where: { $0 <= 0 }) {
            throw invalid("every channel width must be > 0, got \(channelWidths[level]) at level \(level) of \(channelWidths)")
        }
        guard blocksPerLevel >= 1 else { throw invalid("blocksPerLevel must be ≥ 1, got \(blocksPerLevel)") }
        guard groups >= 1 else { throw invalid("the GroupNorm group count must be ≥ 1, got \(groups)") }
        if let level = channelWidths.firstIndex(where: { $0 % groups != 0 }) {
            throw invalid("every channel width must be a multiple of the \(groups) GroupNorm groups, but level \(level) has \(channelWidths[level]) channels (widths \(channelWidths))")
        }
        if let level = channelWidths.firstIndex(where: { $0 < 2 * groups }) {
            throw invalid("every level needs at least two channels per GroupNorm group (the time/class conditioning enters "
                          + "before a GroupNorm, which a one-channel group normalises away), but level \(level) has "
                          + "\(channelWidths[level]) channels in \(groups) groups; use at most \(channelWidths[level] / 2) groups")
        }
        let factor = 1 << (levels - 1)
        guard height % factor == 0, width % factor == 0 else {
            throw invalid("a U-Net with \(levels) levels halves the image \(levels - 1) times, so H and W must be multiples of \(factor); got \(height)×\(width)")
        }
        if let embeddingWidth, embeddingWidth <= 0 {
            throw invalid("the embedding width must be > 0 (or nil for 4 × the first width), got \(embeddingWidth)")
        }
        guard classCount >= 0 else { throw invalid("classCount must be ≥ 0 (0 = unconditional), got \(classCount)") }
        guard dropout >= 0, dropout < 1 else { throw invalid("the dropout probability must be in [0, 1), got \(dropout)") }
    }
}
