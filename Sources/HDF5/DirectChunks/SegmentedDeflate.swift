import CZlib

/// HDF5's gzip filter (`H5Z_FILTER_DEFLATE`) on the write side, outside libhdf5: a zlib stream
/// (RFC 1950) whose deflate data (RFC 1951) is made in independent segments, so that the segments
/// of one chunk can be compressed on different threads.
///
/// The stream is
///
///     header (2 bytes) · segment₀ · segment₁ · … · segment_{m−1} · Adler-32 of the input (4 bytes, big-endian)
///
/// - header: CMF = 0x78 (deflate, 32 KiB window) and FLG = 64·FLEVEL + c, with FLEVEL = 0 for
///   levels 0–1, 1 for 2–5, 2 for 6 and 3 for 7–9 (what zlib writes; readers ignore it) and c the
///   check bits that make 256·CMF + FLG a multiple of 31.
/// - segments: the input is cut into m = max(1, ⌈count / segmentSize⌉) consecutive ranges,
///   range k = ⌊k·count/m⌋ ..< ⌊(k+1)·count/m⌋. Each is raw deflate at `level` with zlib's default
///   memory level and strategy; segment k > 0 is primed with the ≤ 32 KiB of input just before its
///   range as the dictionary (so matches may reach back across the cut, as they would in one
///   stream), and every segment but the last ends with a sync flush (an empty stored block: byte
///   aligned, not final) while the last ends the stream (final block). Concatenated, the segments
///   are one valid deflate stream; any inflate reads it back, libhdf5's included.
///
/// With one segment (count ≤ segmentSize) the bytes are exactly what zlib's `compress2` at the same
/// level produces, so exactly what libhdf5's own filter stores. The cuts depend only on the input
/// size and `segmentSize`, never on how many threads compress, so neither do the bytes.
public struct HDF5SegmentedDeflate: Sendable, Equatable {
    /// The deflate level, 0…9.
    public let level: Int
    /// The most input bytes a segment holds (≥ 1).
    public let segmentSize: Int

    /// The segment size the direct-write path uses: 64 KiB of (shuffled) input, so a chunk of about
    /// 150 KB splits into three similar pieces of work.
    public static let defaultSegmentSize = 64 * 1024

    /// The largest dictionary deflate can use: its 32 KiB window.
    static let windowSize = 32 * 1024

    public init(level: Int, segmentSize: Int = HDF5SegmentedDeflate.defaultSegmentSize) {
        precondition((0...9).contains(level), "HDF5SegmentedDeflate: level must be 0…9, got \(level)")
        precondition(segmentSize >= 1, "HDF5SegmentedDeflate: segmentSize must be ≥ 1")
        self.level = level
        self.segmentSize = segmentSize
    }

    /// The input ranges of the segments of an input of `count` bytes (one empty range for 0 bytes).
    public func segments(count: Int) -> [Range<Int>] {
        let m = max(1, (count + segmentSize - 1) / segmentSize)
        return (0..<m).map { k in (k * count / m)..<((k + 1) * count / m) }
    }

    /// The two header bytes for `level`.
    public static func header(level: Int) -> [UInt8] {
        let cmf: UInt16 = 0x78
        let flevel: UInt16 = switch level {
        case ..<2: 0
        case ..<6: 1
        case 6: 2
        default: 3
        }
        var header = cmf << 8 | flevel << 6
        header += 31 - header % 31
        return [UInt8(header >> 8), UInt8(header & 0xFF)]
    }

    /// One compressed segment and the Adler-32 of its input range.
    public struct Segment: Sendable, Equatable {
        public var bytes: [UInt8]
        public var adler32: UInt32
        public var inputCount: Int
    }

    /// The input bytes segment `index` is primed with: the ≤ 32 KiB just before its range.
    public func dictionaryRange(ofSegment index: Int, count: Int) -> Range<Int> {
        let start = segments(count: count)[index].lowerBound
        return max(0, start - Self.windowSize)..<start
    }

    /// Compresses one segment: `window` holds the segment's dictionary (its first `dictionaryCount`
    /// bytes, see ``dictionaryRange(ofSegment:count:)``) followed by the segment's input; `isLast`
    /// ends the stream. Pure; any thread.
    public func compressSegment(window: UnsafeRawBufferPointer, dictionaryCount: Int, isLast: Bool) throws -> Segment {
        precondition(dictionaryCount >= 0 && dictionaryCount <= min(window.count, Self.windowSize))
        var stream = z_stream()
        let initStatus = czlib_deflate_init_raw(&stream, Int32(level))
        guard initStatus == Z_OK else { throw Self.failure("deflateInit2", initStatus, stream) }
        defer { deflateEnd(&stream) }
        let base = window.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
        if dictionaryCount > 0, let base {
            let status = deflateSetDictionary(&stream, base, UInt32(dictionaryCount))
            guard status == Z_OK else { throw Self.failure("deflateSetDictionary", status, stream) }
        }
        let inputCount = window.count - dictionaryCount
        let input = base.map { $0 + dictionaryCount }
        stream.next_in = input
        stream.avail_in = UInt32(inputCount)
        // deflateBound covers a finished stream; a sync flush adds at most a few bytes more.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(inputCount))) + 16)
        var produced = 0
        let flush = isLast ? Z_FINISH : Z_SYNC_FLUSH
        while true {
            if produced == output.count { output.append(contentsOf: repeatElement(0, count: max(64, output.count / 2))) }
            let status = output.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress! + produced
                stream.avail_out = UInt32(buffer.count - produced)
                let status = deflate(&stream, flush)
                produced = buffer.count - Int(stream.avail_out)
                return status
            }
            if isLast && status == Z_STREAM_END { break }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw Self.failure("deflate", status, stream) }
            if !isLast && stream.avail_in == 0 && stream.avail_out > 0 { break }  // all input taken, flush delivered
        }
        output.removeSubrange(produced...)
        let checksum = UInt32(adler32(1, input, UInt32(inputCount)))
        return Segment(bytes: output, adler32: checksum, inputCount: inputCount)
    }

    /// The zlib stream of the input the segments (in order) were made from.
    public func assemble(_ segments: [Segment]) -> [UInt8] {
        var stream = Self.header(level: level)
        stream.reserveCapacity(segments.reduce(6) { $0 + $1.bytes.count })
        var checksum: UInt = 1
        for segment in segments {
            stream.append(contentsOf: segment.bytes)
            checksum = adler32_combine(checksum, UInt(segment.adler32), off_t(segment.inputCount))
        }
        for shift in stride(from: 24, through: 0, by: -8) { stream.append(UInt8(truncatingIfNeeded: checksum >> UInt(shift))) }
        return stream
    }

    /// The whole zlib stream of `input`, its segments compressed one after another.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let ranges = segments(count: input.count)
        var pieces: [Segment] = []
        for (index, range) in ranges.enumerated() {
            let dictionary = dictionaryRange(ofSegment: index, count: input.count)
            pieces.append(try compressSegment(window: UnsafeRawBufferPointer(rebasing: input[dictionary.lowerBound..<range.upperBound]),
                                              dictionaryCount: dictionary.count, isLast: index == ranges.count - 1))
        }
        return assemble(pieces)
    }

    /// The whole zlib stream of `bytes`.
    public func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compress($0) }
    }

    private static func failure(_ call: String, _ status: Int32, _ stream: z_stream) -> HDF5Error {
        let detail = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return HDF5Error(.chunkEncoding, call: call, filePath: "", objectPath: "",
                         message: "zlib could not compress a chunk: \(detail)")
    }
}
