/// Why an image grid or PNG could not be made or written; each case says what was given and what is
/// expected.
public enum ImageGridError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A size, count or range is out of bounds (the message says which and what is allowed).
    case invalidSetting(String)
    /// A pixel value is NaN or infinite.
    case nonFinitePixel(image: Int, channel: Int, row: Int, column: Int, value: Float)
    /// The file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let message):
            return "image grid: \(message)"
        case let .nonFinitePixel(image, channel, row, column, value):
            return "image grid: image \(image) has \(value) at channel \(channel), row \(row), column \(column); "
                + "expected finite pixel values (a diverged sampler produces these — check its samples)"
        case let .writeFailed(path, reason):
            return "image grid: could not write \"\(path)\": \(reason)"
        }
    }
}
