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
/// 2. gzip at ``deflate``'s level (``HDF5Deflate``, libdeflate; the stored bytes differ from
///    libhdf5's zlib output, the values read back do not);
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
    public let deflate: HDF5Deflate?
    public let fletcher32: Bool

    public init(chunkShape: [Int], elementType: HDF5ElementType, elementSize: Int, shuffle: Bool,
                deflate: HDF5Deflate?, fletcher32: Bool) {
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

    /// Elements in one chunk.
    public var chunkElementCount: Int { chunkShape.reduce(1, *) }
    /// Bytes in one unfiltered chunk.
    public var chunkByteCount: Int { chunkElementCount * elementSize }

    /// Encodes one chunk whose unfiltered bytes are `raw` — at most ``chunkByteCount`` of them; a
    /// partial (edge) chunk is padded with zeros first — taking a compressor from `compressors`.
    /// Pure; any thread.
    func encode(raw: UnsafeRawBufferPointer, compressors: HDF5Deflate.Compressors) throws -> HDF5EncodedChunk {
        precondition(raw.count <= chunkByteCount, "HDF5ChunkCodec: \(raw.count) bytes for a chunk of \(chunkByteCount)")
        if raw.count < chunkByteCount {
            return try withUnsafeTemporaryAllocation(byteCount: chunkByteCount, alignment: 16) { padded in
                padded.initializeMemory(as: UInt8.self, repeating: 0)
                if raw.count > 0 { padded.copyMemory(from: raw) }
                return try encode(raw: UnsafeRawBufferPointer(padded), compressors: compressors)
            }
        }
        let shuffled: [UInt8]? = shuffle && elementSize > 1 ? [UInt8](unsafeUninitializedCapacity: raw.count) { output, initialised in
            HDF5ByteShuffle.shuffle(raw, elementSize: elementSize, into: UnsafeMutableRawBufferPointer(output))
            initialised = raw.count
        } : nil
        func filter(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
            guard let deflate else { return shuffled ?? Array(input) }
            return try compressors.with(level: deflate.level) { try deflate.compress(input, with: $0) }
        }
        var bytes = try shuffled.map { try $0.withUnsafeBytes(filter) } ?? filter(raw)
        if fletcher32 { HDF5Fletcher32.appending(to: &bytes) }
        return HDF5EncodedChunk(bytes: bytes, filterMask: 0)
    }

    /// Encodes one whole chunk (``chunkByteCount`` bytes) on the calling thread.
    public func encode(_ chunk: UnsafeRawBufferPointer) throws -> HDF5EncodedChunk {
        guard chunk.count == chunkByteCount else {
            throw HDF5Error(.invalidArgument, call: "H5Dwrite_chunk", filePath: "", objectPath: "",
                            message: "a chunk of shape \(chunkShape) holds \(chunkByteCount) bytes, got \(chunk.count)")
        }
        return try encode(raw: chunk, compressors: HDF5Deflate.Compressors())
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
