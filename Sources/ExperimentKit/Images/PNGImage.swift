import Foundation
import HDF5

/// An 8-bit grayscale or RGB image and its PNG encoding (PNG specification, 2nd edition, W3C 2003),
/// written by a small encoder of our own so that no image library is needed at run time:
///
///     PNG = signature · IHDR(width, height, bit depth 8, colour type 0 | 2) · IDAT(zlib(scanlines)) · IEND
///     scanline = filter byte 0 (none) · the row's width·channels bytes
///     zlib(s) = RFC 1950 stream of DEFLATE (RFC 1951) data, as HDF5's gzip stage writes it (libdeflate)
///
/// with every chunk `length · type · data · CRC-32(type · data)`. At the default level 6 a 10 × 10 grid of
/// 8 × 8 digits drawn at 4× takes about 11 kB (117 kB stored, at level 0).
public struct PNGImage: Sendable, Equatable {
    /// How pixels are stored: one gray byte, or red, green and blue bytes.
    public enum ColorType: UInt8, Sendable {
        case grayscale = 0
        case rgb = 2

        /// Bytes per pixel.
        public var channels: Int { self == .grayscale ? 1 : 3 }
    }

    public let width: Int
    public let height: Int
    public let colorType: ColorType
    /// height × width × channels bytes, row-major, channels interleaved.
    public let pixels: [UInt8]

    /// Throws when the size is not positive or `pixels` does not hold height × width × channels bytes.
    public init(width: Int, height: Int, colorType: ColorType, pixels: [UInt8]) throws(ImageGridError) {
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24 else {
            throw .invalidSetting("a PNG image must be 1…16 777 216 pixels wide and high, got \(width) × \(height)")
        }
        let expected = width * height * colorType.channels
        guard pixels.count == expected else {
            throw .invalidSetting("a \(width) × \(height) \(colorType) image needs \(expected) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.colorType = colorType
        self.pixels = pixels
    }

    /// The DEFLATE level of ``encoded(compressionLevel:)`` and ``write(to:compressionLevel:)`` unless one is
    /// given: libdeflate's default, a balance of size and speed.
    public static let defaultCompressionLevel = 6

    /// The PNG file's bytes; `compressionLevel` is 0…9 as in zlib and gzip (0 stores the scanlines uncompressed, 9 searches hardest).
    public func encoded(compressionLevel: Int = PNGImage.defaultCompressionLevel) throws -> [UInt8] {
        guard (0...9).contains(compressionLevel) else {
            throw ImageGridError.invalidSetting("the PNG compression level must be 0…9 (0 stores, 6 is the default), got \(compressionLevel)")
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, colorType.rawValue, 0, 0, 0]
        png.appendChunk("IHDR", header)
        let rowBytes = width * colorType.channels
        var scanlines = [UInt8]()
        scanlines.reserveCapacity(height * (rowBytes + 1))
        for row in 0..<height {
            scanlines.append(0)
            scanlines += pixels[(row * rowBytes)..<((row + 1) * rowBytes)]
        }
        png.appendChunk("IDAT", try HDF5Deflate(level: compressionLevel).compress(scanlines))
        png.appendChunk("IEND", [])
        return png
    }

    /// Writes the PNG to `path` atomically (a temporary file renamed into place), so an existing
    /// file is never left half-written.
    public func write(to path: String, compressionLevel: Int = PNGImage.defaultCompressionLevel) throws {
        let bytes = try encoded(compressionLevel: compressionLevel)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageGridError.writeFailed(path: path, reason: "\(error)")
        }
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected) as PNG chunks use it.
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    fileprivate mutating func appendChunk(_ type: String, _ data: [UInt8]) {
        appendBigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        append(contentsOf: typed)
        appendBigEndian(PNGImage.crc32(typed))
    }
}
