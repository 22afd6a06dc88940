import CZlib
import Foundation
import H5pyInterop
import Testing
@testable import ExperimentKit

/// A PNG reader for the tests, independent of the encoder: walks the chunks, checks every CRC with a
/// bitwise CRC-32, inflates the zlib stream with zlib's own `uncompress` (which checks the header and
/// Adler-32, and fails on a stream that is longer or shorter than the scanlines) and strips the filter bytes.
private struct DecodedPNG {
    var width = 0, height = 0, colorType: UInt8 = 255
    var pixels: [UInt8] = []
    var chunkTypes: [String] = []

    static func bitwiseCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    static func bigEndian(_ b: ArraySlice<UInt8>) -> UInt32 {
        b.reduce(0) { $0 << 8 | UInt32($1) }
    }

    init(_ png: [UInt8]) throws {
        struct Malformed: Error { let why: String }
        guard png.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw Malformed(why: "signature") }
        var offset = 8
        var idat: [UInt8] = []
        while offset < png.count {
            let length = Int(Self.bigEndian(png[offset..<(offset + 4)]))
            let typed = Array(png[(offset + 4)..<(offset + 8 + length)])
            let crc = Self.bigEndian(png[(offset + 8 + length)..<(offset + 12 + length)])
            guard crc == Self.bitwiseCRC(typed) else { throw Malformed(why: "CRC") }
            let type = String(decoding: typed.prefix(4), as: UTF8.self)
            chunkTypes.append(type)
            let data = Array(typed.dropFirst(4))
            if type == "IHDR" {
                width = Int(Self.bigEndian(data[0..<4]))
                height = Int(Self.bigEndian(data[4..<8]))
                guard data[8] == 8 else { throw Malformed(why: "bit depth") }
                colorType = data[9]
            } else if type == "IDAT" {
                idat += data
            }
            offset += 12 + length
        }
        let channels = colorType == 2 ? 3 : 1
        let rowBytes = width * channels
        var inflated = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var inflatedCount = uLong(inflated.count)
        let status = idat.withUnsafeBufferPointer { stream in
            inflated.withUnsafeMutableBufferPointer { output in
                uncompress(output.baseAddress, &inflatedCount, stream.baseAddress, uLong(stream.count))
            }
        }
        guard status == Z_OK else { throw Malformed(why: "zlib stream (uncompress returned \(status))") }
        guard inflatedCount == inflated.count else { throw Malformed(why: "scanline bytes") }
        for row in 0..<height {
            guard inflated[row * (rowBytes + 1)] == 0 else { throw Malformed(why: "filter type") }
            pixels += inflated[(row * (rowBytes + 1) + 1)..<((row + 1) * (rowBytes + 1))]
        }
    }
}

@Suite("PNG images and sample grids")
struct PNGImageTests {
    @Test("CRC-32 matches its published check value, CRC-32(\"123456789\")")
    func checksumVector() {
        #expect(PNGImage.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test("grayscale and RGB images round-trip through an independent decoder, stored (level 0) and compressed")
    func roundTrip() throws {
        for level in [0, 1, 6, 9] {
            for (width, height, colorType) in [(3, 2, PNGImage.ColorType.grayscale), (5, 4, .rgb), (300, 250, .rgb), (1, 1, .grayscale)] {
                let count = width * height * colorType.channels
                let pixels = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 7) }
                let image = try PNGImage(width: width, height: height, colorType: colorType, pixels: pixels)
                let decoded = try DecodedPNG(image.encoded(compressionLevel: level))
                #expect(decoded.chunkTypes == ["IHDR", "IDAT", "IEND"])
                #expect(decoded.width == width && decoded.height == height)
                #expect(decoded.colorType == colorType.rawValue)
                #expect(decoded.pixels == pixels, "level \(level), \(width) × \(height) \(colorType)")
            }
        }
    }

    @Test("a sample grid compresses: the default level is under a fifth of the stored size; bad levels are refused")
    func compression() throws {
        // 100 images of 8 × 8 with a flat background and a bright bar, drawn at 4× with padding: the
        // digits grids' structure.
        let images: [Float] = (0..<100).flatMap { image in
            (0..<64).map { pixel -> Float in pixel / 8 == 2 + image % 4 ? 1 : -1 }
        }
        let grid = try ImageGrid.render(images, count: 100, channels: 1, height: 8, width: 8, columns: 10, scale: 4)
        let stored = try grid.encoded(compressionLevel: 0)
        let compressed = try grid.encoded()
        #expect(stored.count > grid.width * grid.height)
        #expect(compressed.count * 5 < stored.count, "default level \(compressed.count) B against stored \(stored.count) B")
        #expect(try DecodedPNG(compressed).pixels == grid.pixels)
        for level in [-1, 10] {
            do {
                _ = try grid.encoded(compressionLevel: level)
                Issue.record("level \(level) was accepted")
            } catch {
                #expect("\(error)".contains("0…9") && "\(error)".contains("\(level)"))
            }
        }
    }

    @Test("grid layout: tiles at row ⌊i/columns⌋, column i mod columns, scaled, padded, values mapped and clamped")
    func gridLayout() throws {
        // Three 1×2×2 images: values −1 (black), 1 (white), 0 (mid-grey, 128) and out-of-range values.
        let images: [Float] = [-1, 1, 0, 2,   1, 1, 1, 1,   -3, -1, 0.5, 0]
        let grid = try ImageGrid.render(images, count: 3, channels: 1, height: 2, width: 2, columns: 2,
                                        scale: 2, padding: 1, background: 7)
        // 2 columns × 4 px + 3 padding = 11 wide; 2 rows × 4 px + 3 padding = 11 high.
        #expect(grid.width == 11 && grid.height == 11)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { grid.pixels[y * 11 + x] }
        #expect(pixel(0, 0) == 7)
        #expect(pixel(1, 1) == 0 && pixel(2, 2) == 0)         // image 0, (0, 0) = −1, drawn 2 × 2
        #expect(pixel(3, 1) == 255 && pixel(4, 2) == 255)     // image 0, (0, 1) = 1
        #expect(pixel(1, 3) == 128)                            // image 0, (1, 0) = 0 → round(127.5)
        #expect(pixel(4, 4) == 255)                            // image 0, (1, 1) = 2 clamped
        #expect(pixel(5, 5) == 7)                              // padding between tiles
        #expect(pixel(6, 1) == 255 && pixel(9, 4) == 255)      // image 1, all white
        #expect(pixel(1, 6) == 0 && pixel(3, 6) == 0)          // image 2, (0, 0) = −3 clamped, (0, 1) = −1
        #expect(pixel(1, 8) == 191)                            // image 2, (1, 0) = 0.5 → round(191.25)
        #expect(pixel(6, 6) == 7 && pixel(9, 9) == 7)          // the empty fourth tile
    }

    @Test("RGB grids interleave the three channel planes of each image")
    func rgbChannels() throws {
        let image: [Float] = [1, -1, -1]  // one 3×1×1 image: pure red
        let grid = try ImageGrid.render(image, count: 1, channels: 3, height: 1, width: 1, columns: 1, padding: 0)
        #expect(grid.colorType == .rgb)
        #expect(grid.pixels == [255, 0, 0])
    }

    @Test("bad input: non-finite pixels, wrong value counts and bad settings say what is wrong")
    func badInput() throws {
        do {
            _ = try ImageGrid.render([0, 0, 0, 0, 0, .nan, 0, 0], count: 2, channels: 1, height: 2, width: 2, columns: 2)
            Issue.record("NaN must be refused")
        } catch {
            #expect(error.description.contains("image 1 has nan at channel 0, row 0, column 1"))
        }
        #expect(throws: ImageGridError.self) { try ImageGrid.render([0, 0, 0], count: 1, channels: 1, height: 2, width: 2, columns: 1) }
        #expect(throws: ImageGridError.self) { try ImageGrid.render([0, 0, 0, 0], count: 2, channels: 2, height: 1, width: 1, columns: 1) }
        #expect(throws: ImageGridError.self) { try PNGImage(width: 2, height: 2, colorType: .rgb, pixels: [1, 2, 3]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("png-missing-\(getpid())/none/x.png").path
        let image = try PNGImage(width: 1, height: 1, colorType: .grayscale, pixels: [1])
        #expect(throws: ImageGridError.self) { try image.write(to: directory) }
    }
}

@Suite("PNG images: Pillow reads them", .enabled(if: H5pyPython.shouldRun, Comment(rawValue: H5pyPython.missingMessage)))
struct PNGPillowInteropTests {
    @Test("Pillow decodes a written grid to the same pixels")
    func pillowReadsGrid() throws {
        let python = try H5pyPython.required()
        let count = 6 * 3 * 4 * 5
        let images: [Float] = (0..<count).map { (i: Int) -> Float in Float(i % 17) / 8 - 1 }
        let grid = try ImageGrid.render(images, count: 6, channels: 3, height: 4, width: 5, columns: 4, scale: 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grid-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try grid.write(to: path)
        let result = try H5pyPython.run(python, ["-c", """
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]); im.load()
            print(im.mode, im.size[0], im.size[1], sum(im.tobytes()))
            """, path])
        #expect(result.status == 0, "Pillow failed (CI installs pillow with pip): \(result.output)")
        let expected = "RGB \(grid.width) \(grid.height) \(grid.pixels.reduce(0) { $0 + Int($1) })"
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }
}
