/// One chunk as stored in the file: the bytes after the filter pipeline, and the mask of filters
/// that were skipped for it (bit i set: filter i of the pipeline was not applied).
public struct HDF5EncodedChunk: Sendable, Equatable {
    public var bytes: [UInt8]
    public var filterMask: UInt32

    public init(bytes: [UInt8], filterMask: UInt32) {
        self.bytes = bytes
        self.filterMask = filterMask
    }
}

/// A chunked dataset's filter pipeline, run outside libhdf5 so that chunks can be written as stored
/// (``HDF5Dataset/writeStoredChunk(_:at:)``, `H5Dwrite_chunk`) — for example on several threads
/// (``HDF5RowBlock/encode(_:threads:)``) while libhdf5 itself runs one call at a time.
///
/// Supported pipelines are any subset of shuffle → gzip → Fletcher-32 in that order (what
/// ``HDF5DatasetOptions`` makes). Encoding one chunk of exactly ``chunkByteCount`` bytes (the
/// elements in row-major order, in the stored type's byte layout):
///
/// 1. shuffle (``HDF5ByteShuffle``, element size ``elementSize``);
/// 2. gzip at ``deflate``'s level (``HDF5SegmentedDeflate``);
/// 3. Fletcher-32 (``HDF5Fletcher32``): the checksum of the bytes so far, appended as 4 bytes.
///
/// Every filter is applied to every chunk (filter mask 0). libhdf5's own pipeline differs in one
/// corner: gzip is an optional filter, and libhdf5 stores a chunk that gzip would enlarge
/// (incompressible bytes) unfiltered, with gzip's bit set in the chunk's mask. The codec keeps the
/// gzip stream instead — valid, a few bytes larger than its input — because libhdf5 1.10.8's
/// `H5Dwrite_chunk` remembers the chunk it has just written with a mask of 0 in its lookup cache, so
/// a masked chunk would fail to read back (inflate of raw bytes) through the same open dataset.
///
/// Get a codec for a dataset with ``HDF5Dataset/chunkCodec(for:)``, which checks that the dataset's
/// real pipeline is one of these.
public struct HDF5ChunkCodec: Sendable, Equatable {
    /// The chunk shape (rank ≥ 1).
    public let chunkShape: [Int]
    /// The stored element type and its size in bytes.
    public let elementType: HDF5ElementType
    public let elementSize: Int
    public let shuffle: Bool
    /// The gzip stage, nil without gzip.
    public let deflate: HDF5SegmentedDeflate?
    public let fletcher32: Bool

    public init(chunkShape: [Int], elementType: HDF5ElementType, elementSize: Int, shuffle: Bool,
                deflate: HDF5SegmentedDeflate?, fletcher32: Bool) {
        precondition(!chunkShape.isEmpty && chunkShape.allSatisfy { $0 >= 1 }, "HDF5ChunkCodec: chunk shape \(chunkShape)")
        precondition(elementSize >= 1, "HDF5ChunkCodec: element size \(elementSize)")
        self.chunkShape = chunkShape
        self.elementType = elementType
        self.elementSize = elementSize
        self.shuffle = shuffle
        self.deflate = deflate
        self.fletcher32 = fletcher32
    }

    /// The pipeline as ``HDF5Dataset/filters()`` reports it.
    public var filters: [HDF5Filter] {
        var filters: [HDF5Filter] = []
        if shuffle { filters.append(.shuffle) }
        if let deflate { filters.append(.gzip(level: deflate.level)) }
        if fletcher32 { filters.append(.fletcher32) }
        return filters
    }

    /// Whether `other` stores chunks the same way: the same chunk shape, element and filters (the
    /// deflate segment size is an encoding choice, not part of the storage).
    public func storesLike(_ other: HDF5ChunkCodec) -> Bool {
        chunkShape == other.chunkShape && elementType == other.elementType && elementSize == other.elementSize
            && filters == other.filters
    }

    /// Elements in one chunk.
    public var chunkElementCount: Int { chunkShape.reduce(1, *) }
    /// Bytes in one unfiltered chunk.
    public var chunkByteCount: Int { chunkElementCount * elementSize }

    // MARK: Work items (shared by the one-chunk and the concurrent encoders)

    /// Independent pieces of work one chunk's encoding splits into: one per deflate segment
    /// (``HDF5SegmentedDeflate/segments(count:)`` of the ``chunkByteCount`` bytes), or one without gzip.
    public var workItemCount: Int { deflate.map { $0.segments(count: chunkByteCount).count } ?? 1 }

    /// Work item `index` of a chunk whose unfiltered bytes are `raw` — at most ``chunkByteCount``
    /// of them; the rest of the chunk is zero padding. With gzip: shuffles the segment's bytes and
    /// its dictionary (``HDF5ByteShuffle/shuffleWindow(of:paddedCount:elementSize:range:into:)``)
    /// and compresses them; without: the whole shuffled chunk. Pure; any thread.
    func encodeItem(_ index: Int, raw: UnsafeRawBufferPointer) throws -> HDF5SegmentedDeflate.Segment {
        let planeSize = shuffle ? elementSize : 1     // element size 1: the bytes as they are
        guard let deflate else {
            let bytes = [UInt8](unsafeUninitializedCapacity: chunkByteCount) { output, initialised in
                HDF5ByteShuffle.shuffleWindow(of: raw, paddedCount: chunkByteCount, elementSize: planeSize,
                                              range: 0..<chunkByteCount, into: UnsafeMutableRawBufferPointer(output))
                initialised = chunkByteCount
            }
            return HDF5SegmentedDeflate.Segment(bytes: bytes, adler32: 0, inputCount: chunkByteCount)
        }
        let segment = deflate.segments(count: chunkByteCount)[index]
        let dictionary = deflate.dictionaryRange(ofSegment: index, count: chunkByteCount)
        let window = dictionary.lowerBound..<segment.upperBound
        return try withUnsafeTemporaryAllocation(byteCount: max(1, window.count), alignment: 16) { buffer in
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<window.count])
            HDF5ByteShuffle.shuffleWindow(of: raw, paddedCount: chunkByteCount, elementSize: planeSize, range: window, into: bytes)
            return try deflate.compressSegment(window: UnsafeRawBufferPointer(bytes), dictionaryCount: dictionary.count,
                                               isLast: index == workItemCount - 1)
        }
    }

    /// The stored chunk from its work items' results, in order: the zlib stream (or the shuffled
    /// bytes), then the Fletcher-32 checksum.
    func finish(_ items: [HDF5SegmentedDeflate.Segment]) -> HDF5EncodedChunk {
        var bytes = deflate.map { $0.assemble(items) } ?? items[0].bytes
        if fletcher32 { HDF5Fletcher32.appending(to: &bytes) }
        return HDF5EncodedChunk(bytes: bytes, filterMask: 0)
    }

    /// Encodes one whole chunk (``chunkByteCount`` bytes) on the calling thread.
    public func encode(_ chunk: UnsafeRawBufferPointer) throws -> HDF5EncodedChunk {
        guard chunk.count == chunkByteCount else {
            throw HDF5Error(.invalidArgument, call: "H5Dwrite_chunk", filePath: "", objectPath: "",
                            message: "a chunk of shape \(chunkShape) holds \(chunkByteCount) bytes, got \(chunk.count)")
        }
        return finish(try (0..<workItemCount).map { try encodeItem($0, raw: chunk) })
    }

    /// Encodes one whole chunk of `values` (``chunkElementCount`` of them, of the codec's element type).
    public func encode<T: HDF5Scalar>(_ values: [T]) throws -> HDF5EncodedChunk {
        guard T.elementType == elementType, MemoryLayout<T>.stride == elementSize else {
            throw HDF5Error(.typeMismatch, call: "H5Dwrite_chunk", filePath: "", objectPath: "",
                            message: "the codec encodes \(elementType), not the Swift element type \(T.self)")
        }
        return try values.withUnsafeBytes { try encode($0) }
    }
}
