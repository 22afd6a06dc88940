import Tensors

/// Scratch memory for batched convolutions: the column matrix of a block of images and the
/// `outputChannels × (images · positions)` product, reused by every ``Conv2D`` that holds the same
/// workspace (a network shares one across its layers, which run one at a time). Buffers only grow, so
/// once the largest layer has run a step allocates nothing.
final class ConvolutionWorkspace {
    /// Elements of the column buffer one block may use (default 2¹⁸, 1 MB of `Float`, about an L2 cache:
    /// larger blocks stream the column matrix through main memory and ran slower): the batch is
    /// processed in blocks of ⌊budget / (C·k² · H′W′)⌋ images (at least one).
    var columnBudget = 1 << 18

    private let columnBuffer = GrowableFloatBuffer()
    private let productBuffer = GrowableFloatBuffer()

    /// The column matrix of the current block.
    var columns: UnsafeMutablePointer<Float> { columnBuffer.pointer }
    /// The `outputChannels × (images · positions)` product of the current block.
    var product: UnsafeMutablePointer<Float> { productBuffer.pointer }

    /// Makes room for `columnCount` column entries and `productCount` product entries (contents are
    /// unspecified after growth).
    func reserve(columns columnCount: Int, product productCount: Int) {
        columnBuffer.reserve(columnCount)
        productBuffer.reserve(productCount)
    }

    /// Images per block for a layer whose column matrix has `patchSize × positions` entries per image.
    func imagesPerBlock(batch: Int, patchSize: Int, positions: Int) -> Int {
        max(1, min(batch, columnBudget / max(patchSize * positions, 1)))
    }
}
