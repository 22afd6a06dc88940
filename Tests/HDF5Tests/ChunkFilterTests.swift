import CHDF5ChecksumOracle
import CZlib
import Foundation
import HDF5
import Testing

/// The three filters of the direct-write path, each against an independent definition: Fletcher-32
/// against plain modular arithmetic and libhdf5's own function, the shuffle against its index
/// formula, gzip (libdeflate) against zlib's `uncompress` and `compress2`.
@Suite("Chunk filters outside libhdf5: Fletcher-32, shuffle, gzip")
struct ChunkFilterTests {
    /// Fletcher-32 by its definition, in unbounded integers: words 256·b[2k] + b[2k+1] (an odd last
    /// byte b is the word 256·b), S1 = Σ w, S2 = Σ of the running S1; each sum reduced to 1…65 535
    /// (0 only for a zero sum) as HDF5's ones'-complement folding leaves it.
    static func referenceFletcher32(_ bytes: [UInt8]) -> UInt32 {
        var words = stride(from: 0, to: bytes.count - 1, by: 2).map { Int(bytes[$0]) * 256 + Int(bytes[$0 + 1]) }
        if bytes.count % 2 == 1 { words.append(Int(bytes[bytes.count - 1]) * 256) }
        var sum1 = 0, sum2 = 0
        for word in words {
            sum1 += word
            sum2 += sum1
        }
        func reduced(_ sum: Int) -> UInt32 { sum == 0 ? 0 : UInt32((sum - 1) % 65_535 + 1) }
        return reduced(sum2) << 16 | reduced(sum1)
    }

    static func libhdf5Fletcher32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { H5_checksum_fletcher32($0.baseAddress!, $0.count) }
    }

    /// Deterministic pseudo-random bytes (SplitMix64).
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    @Test("Fletcher-32 of a hand-worked input: \"abcde\" → 0x4FF029C7")
    func fletcherHandWorked() {
        // Words 0x6162, 0x6364 and the odd byte 0x65 as 0x6500: S1 = 76 230 ≡ 10 695 = 0x29C7,
        // S2 = 24 930 + 50 374 + 76 230 = 151 534 ≡ 20 464 = 0x4FF0 (mod 65 535).
        let bytes = Array("abcde".utf8)
        #expect(HDF5Fletcher32.checksum(bytes) == 0x4FF0_29C7)
        #expect(Self.referenceFletcher32(bytes) == 0x4FF0_29C7)
        #expect(Self.libhdf5Fletcher32(bytes) == 0x4FF0_29C7)
    }

    @Test("Fletcher-32 equals the modular definition and libhdf5's H5_checksum_fletcher32 on odd and even lengths, across 360-word blocks and 64-byte vectors and 8 KiB blocks, all-0xFF and all-zero inputs",
          arguments: [1, 2, 3, 4, 5, 17, 63, 64, 65, 127, 128, 129, 718, 719, 720, 721, 722, 723, 1440, 1441, 4099, 8191, 8192, 8193,
                     8255, 16_447, 65_536, 100_001, 250_000])
    func fletcherMatchesOracles(length: Int) {
        for bytes in [Self.randomBytes(length, seed: UInt64(length)), [UInt8](repeating: 0xFF, count: length),
                      [UInt8](repeating: 0, count: length), (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) }] {
            let swift = HDF5Fletcher32.checksum(bytes)
            #expect(swift == Self.referenceFletcher32(bytes), "length \(length), first byte \(bytes[0])")
            #expect(swift == Self.libhdf5Fletcher32(bytes), "length \(length), first byte \(bytes[0])")
        }
    }

    @Test("the filter appends the checksum least significant byte first")
    func fletcherAppendsLittleEndian() {
        var bytes = Array("abcde".utf8)
        HDF5Fletcher32.appending(to: &bytes)
        #expect(bytes == Array("abcde".utf8) + [0xC7, 0x29, 0xF0, 0x4F])
    }

    @Test("the shuffle puts byte j of element i at j·n + i, keeps the trailing bytes, and unshuffles back",
          arguments: [1, 2, 3, 4, 8])
    func shuffleFollowsTheDefinition(elementSize: Int) {
        for count in [0, 1, elementSize, 2 * elementSize + 1, 100 * elementSize, 100 * elementSize + elementSize - 1] {
            let input = Self.randomBytes(count, seed: UInt64(count * 10 + elementSize))
            let n = count / elementSize
            var expected = input
            if elementSize > 1 && n > 1 {
                for i in 0..<n { for j in 0..<elementSize { expected[j * n + i] = input[i * elementSize + j] } }
            }
            let shuffled = HDF5ByteShuffle.shuffled(input, elementSize: elementSize)
            #expect(shuffled == expected, "element size \(elementSize), \(count) bytes")
            #expect(HDF5ByteShuffle.unshuffled(shuffled, elementSize: elementSize) == input)
        }
    }

    /// zlib's own one-call compression, as libhdf5's gzip filter produces it.
    static func zlibCompress(_ input: [UInt8], level: Int) -> [UInt8] {
        var length = compressBound(UInt(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&output, &length, input, UInt(input.count), Int32(level))
        precondition(status == Z_OK)
        return Array(output.prefix(Int(length)))
    }

    /// zlib's inflate of a whole zlib stream (checks the header and the Adler-32); nil when it fails.
    static func zlibUncompress(_ stream: [UInt8], count: Int) -> [UInt8]? {
        var length = UInt(count)
        var output = [UInt8](repeating: 0, count: max(count, 1))
        let status = uncompress(&output, &length, stream, UInt(stream.count))
        return status == Z_OK && length == UInt(count) ? Array(output.prefix(count)) : nil
    }

    @Test("gzip makes zlib streams (deflate, 32 KiB window, checked header) that zlib inflates to the input at every level")
    func gzipStreamsInflateToTheInput() throws {
        let smooth = HDF5ByteShuffle.shuffled((0..<40_000).flatMap { i in withUnsafeBytes(of: Float(sin(Double(i) * 0.001) * 80)) { Array($0) } },
                                              elementSize: 4)
        let inputs: [[UInt8]] = [[], [42], Array("abcde".utf8), smooth, Self.randomBytes(70_001, seed: 5),
                                 [UInt8](repeating: 7, count: 200_000)]
        for level in 0...9 {
            for input in inputs {
                let stream = try HDF5Deflate(level: level).compress(input)
                #expect(stream.count >= 6)
                #expect(stream[0] == 0x78 && (UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0 && stream[1] & 0x20 == 0,
                        "header \(stream.prefix(2)) at level \(level)")
                #expect(Self.zlibUncompress(stream, count: input.count) == input, "level \(level), \(input.count) bytes")
            }
        }
    }

    @Test("gzip at level 4 compresses the trajectory layout's shuffled floats at least about as well as zlib's level 4")
    func gzipCompressesLikeZlib() throws {
        let floats: [Float] = (0..<(1024 * 38)).map { (index: Int) -> Float in
            let decay: Double = pow(0.9, Double(index % 38 / 2))
            return Float(sin(0.001 * Double(index)) * 80 * decay)
        }
        let shuffled = HDF5ByteShuffle.shuffled(floats.withUnsafeBytes { Array($0) }, elementSize: 4)
        let ours = try HDF5Deflate(level: 4).compress(shuffled).count
        let zlib = Self.zlibCompress(shuffled, level: 4).count
        #expect(ours < shuffled.count)
        #expect(Double(ours) <= Double(zlib) * 1.02, "libdeflate \(ours) bytes, zlib \(zlib) bytes of \(shuffled.count)")
    }
}
