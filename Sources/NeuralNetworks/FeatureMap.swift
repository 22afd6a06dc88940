import Tensors

/// A batch of feature maps `[B, C, spatial…]` seen as `B × C × positions` (positions = the product of
/// the spatial extents, 1 for `[B, C]`). Channel-wise layers (GroupNorm, ScaleShift) work on this view:
/// channel c of sample b is the contiguous block `data + (b·C + c)·positions`.
struct FeatureMapLayout: Equatable {
    var batch: Int
    var channels: Int
    var positions: Int

    /// The layout of `tensor`, or nil when its rank is below 2.
    init?(_ tensor: Tensor) {
        guard tensor.rank >= 2 else { return nil }
        batch = tensor.shape[0]
        channels = tensor.shape[1]
        var product = 1
        for axis in 2..<tensor.rank { product *= tensor.shape[axis] }
        positions = product
    }

    /// Elements of one sample, `channels · positions`.
    var sampleSize: Int { channels * positions }
}

extension Tensor {
    /// Resizes to `[batch, channels, height, width]` without building a shape array when the tensor
    /// already has that shape (the allocation-free path of convolutional layers).
    func resize(batch: Int, channels: Int, height: Int, width: Int) throws(TensorError) {
        if rank == 4, shape[0] == batch, shape[1] == channels, shape[2] == height, shape[3] == width { return }
        try resize(to: [batch, channels, height, width])
    }
}
