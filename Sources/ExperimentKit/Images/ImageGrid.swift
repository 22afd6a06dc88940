/// Tiles a batch of images into one picture, for sample grids of image experiments:
///
///     pixel = round(255 · clamp((v − low) / (high − low), 0, 1))
///
/// Images are [count, channels, height, width] floats (row-major, as the U-Net produces them, C·H·W
/// values per image) with channels 1 (grayscale) or 3 (RGB); image i goes to grid row ⌊i / columns⌋,
/// column i mod columns, each pixel drawn as a `scale` × `scale` block, with `padding` pixels of
/// `background` between and around the tiles. Values outside [low, high] are clamped; non-finite
/// values are an error naming the image and pixel.
public enum ImageGrid {
    /// The grid as a PNG-ready image.
    public static func render(
        _ images: [Float], count: Int, channels: Int, height: Int, width: Int, columns: Int,
        valueRange: ClosedRange<Float> = -1...1, scale: Int = 1, padding: Int = 1, background: UInt8 = 0
    ) throws(ImageGridError) -> PNGImage {
        guard count > 0 else { throw .invalidSetting("the grid needs at least one image, got \(count)") }
        guard channels == 1 || channels == 3 else {
            throw .invalidSetting("images must have 1 (grayscale) or 3 (RGB) channels, got \(channels)")
        }
        guard height > 0, width > 0 else { throw .invalidSetting("image size \(height) × \(width); expected positive height and width") }
        guard columns > 0 else { throw .invalidSetting("the grid needs ≥ 1 column, got \(columns)") }
        guard (1...64).contains(scale) else { throw .invalidSetting("scale \(scale); expected 1…64 screen pixels per image pixel") }
        guard padding >= 0 else { throw .invalidSetting("padding \(padding); expected ≥ 0") }
        guard valueRange.upperBound > valueRange.lowerBound, valueRange.lowerBound.isFinite, valueRange.upperBound.isFinite else {
            throw .invalidSetting("value range \(valueRange); expected finite bounds with low < high")
        }
        let imageSize = channels * height * width
        guard images.count == count * imageSize else {
            throw .invalidSetting("\(images.count) values for \(count) images of \(channels) × \(height) × \(width); expected \(count * imageSize)")
        }
        if let bad = images.firstIndex(where: { !$0.isFinite }) {
            let within = bad % imageSize
            throw .nonFinitePixel(image: bad / imageSize, channel: within / (height * width),
                                  row: (within / width) % height, column: within % width, value: images[bad])
        }
        let columnCount = min(columns, count)
        let rowCount = (count + columnCount - 1) / columnCount
        let tileHeight = height * scale, tileWidth = width * scale
        let gridWidth = columnCount * tileWidth + (columnCount + 1) * padding
        let gridHeight = rowCount * tileHeight + (rowCount + 1) * padding
        var pixels = [UInt8](repeating: background, count: gridWidth * gridHeight * channels)
        let low = valueRange.lowerBound, span = valueRange.upperBound - valueRange.lowerBound
        for image in 0..<count {
            let top = padding + (image / columnCount) * (tileHeight + padding)
            let left = padding + (image % columnCount) * (tileWidth + padding)
            for row in 0..<tileHeight {
                for column in 0..<tileWidth {
                    let y = top + row, x = left + column
                    for channel in 0..<channels {
                        let value = images[image * imageSize + (channel * height + row / scale) * width + column / scale]
                        let level = min(max((value - low) / span, 0), 1)
                        pixels[(y * gridWidth + x) * channels + channel] = UInt8((level * 255).rounded())
                    }
                }
            }
        }
        return try PNGImage(width: gridWidth, height: gridHeight, colorType: channels == 1 ? .grayscale : .rgb, pixels: pixels)
    }
}
