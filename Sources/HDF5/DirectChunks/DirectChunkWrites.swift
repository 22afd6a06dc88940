import CHDF5

/// Direct chunk I/O (`H5Dwrite_chunk`, `H5Dread_chunk`, libhdf5 ≥ 1.10.3): chunks move between the
/// file and memory exactly as stored, filtered, bypassing libhdf5's filter pipeline, type
/// conversion and chunk cache. Together with ``HDF5ChunkCodec`` this lets the filtering run outside
/// libhdf5 — on several threads — while the libhdf5 calls stay one at a time.
extension HDF5Dataset {
    /// The codec that reproduces this dataset's filter pipeline for elements of type `T`, or nil when
    /// direct chunk writes cannot store what libhdf5 would:
    ///
    /// - the layout is not chunked, or a chunk does not span every axis but the first in full;
    /// - the pipeline is not a subset of shuffle → gzip (level 0…9) → Fletcher-32 in that order;
    /// - partial edge chunks are stored unfiltered (`H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS`);
    /// - a user-defined fill value is not all zero bytes (the codec pads edge chunks with zeros);
    /// - the stored type is not byte for byte `T`'s memory type (`H5Tequal`, so the element type and
    ///   the byte order match).
    ///
    /// Throws when `T` is not the stored element type (like ``read(as:)``).
    public func chunkCodec<T: HDF5Scalar>(for type: T.Type) throws -> HDF5ChunkCodec? {
        let context = handle.context
        let stored = try elementType()
        guard stored == T.elementType else {
            throw HDF5Error.check(.typeMismatch, call: "H5Dwrite_chunk", context,
                                  "the dataset stores \(stored), but the Swift element type \(T.self) is \(T.elementType)")
        }
        let sameBytes = try closing(datatype()) { type in
            try checkTruth(H5Tequal(try type.handle.identifier(for: "H5Tequal"), try T.nativeMemoryType),
                           call: "H5Tequal", context)
        }
        guard sameBytes else { return nil }
        return try pipelineCodec(elementType: stored, elementSize: MemoryLayout<T>.stride)
    }

    /// The codec for the dataset's layout and pipeline with the given element, or nil (see
    /// ``chunkCodec(for:)``; the element checks are the caller's).
    func pipelineCodec(elementType: HDF5ElementType, elementSize: Int) throws -> HDF5ChunkCodec? {
        let context = handle.context
        guard let chunks = try chunkShape() else { return nil }
        let shape = try self.shape()
        guard chunks.count == shape.count, Array(chunks.dropFirst()) == Array(shape.dropFirst()) else { return nil }
        let filters = try self.filters()
        let acceptable: Bool = try closing(creationProperties()) { list in
            let identifier = try list.handle.identifier(for: "H5Pget_chunk_opts")
            var options: UInt32 = 0
            try checkStatus(H5Pget_chunk_opts(identifier, &options), call: "H5Pget_chunk_opts", context)
            if options & H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS != 0 { return false }
            var fill = H5D_FILL_VALUE_ERROR
            try checkStatus(H5Pfill_value_defined(identifier, &fill), call: "H5Pfill_value_defined", context)
            guard fill == H5D_FILL_VALUE_USER_DEFINED else { return true }
            return try closing(datatype()) { type in
                // H5Pget_fill_value writes one element of the type it is given: the stored type's size.
                let typeIdentifier = try type.handle.identifier(for: "H5Pget_fill_value")
                let storedSize = H5Tget_size(typeIdentifier)
                if storedSize == 0 { throw HDF5Error.libraryFailure(call: "H5Tget_size", context) }
                var value = [UInt8](repeating: 0xFF, count: storedSize)
                try checkStatus(H5Pget_fill_value(identifier, typeIdentifier, &value), call: "H5Pget_fill_value", context)
                return value.allSatisfy { $0 == 0 }
            }
        }
        guard acceptable else { return nil }
        var remaining = filters[...]
        let shuffle = remaining.first == .shuffle
        if shuffle { remaining = remaining.dropFirst() }
        var deflate: HDF5Deflate?
        if case let .gzip(level) = remaining.first {
            guard (0...9).contains(level) else { return nil }
            deflate = HDF5Deflate(level: level)
            remaining = remaining.dropFirst()
        }
        let fletcher32 = remaining.first == .fletcher32
        if fletcher32 { remaining = remaining.dropFirst() }
        guard remaining.isEmpty else { return nil }
        return HDF5ChunkCodec(chunkShape: chunks, elementType: elementType, elementSize: elementSize,
                              shuffle: shuffle, deflate: deflate, fletcher32: fletcher32)
    }

    /// Writes one chunk as stored (`H5Dwrite_chunk`): `chunk.bytes` are the filtered bytes and
    /// `chunk.filterMask` says which filters were skipped. `offset` is the chunk's first element (a
    /// multiple of the chunk shape on every axis) and must lie inside the current extent. Replaces
    /// any chunk stored there. libhdf5 cannot check the bytes: a wrong encoding shows at read time.
    ///
    /// libhdf5 1.10.8 records the chunk in its lookup cache with the mask the chunk had before (0 for
    /// a new chunk), so reads through this open dataset apply that mask until the dataset is closed.
    /// Chunks with mask 0 written where no chunk was stored (as ``appendEncodedRows(_:)`` does) read
    /// back at once; the file itself always records the mask given here.
    public func writeStoredChunk(_ chunk: HDF5EncodedChunk, at offset: [Int]) throws {
        let context = handle.context
        try validateChunkOffset(offset, call: "H5Dwrite_chunk")
        guard !chunk.bytes.isEmpty else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dwrite_chunk", context, "a stored chunk cannot be empty")
        }
        let identifier = try handle.identifier(for: "H5Dwrite_chunk")
        _ = try chunk.bytes.withUnsafeBytes { bytes in
            try checkStatus(H5Dwrite_chunk(identifier, hid_t(H5P_DEFAULT), chunk.filterMask, offset.map { hsize_t($0) },
                                           bytes.count, bytes.baseAddress),
                            call: "H5Dwrite_chunk", context)
        }
    }

    /// The chunk whose first element is at `offset` as stored (`H5Dread_chunk`): its filtered bytes
    /// and filter mask; nil when the chunk is not allocated.
    public func readStoredChunk(at offset: [Int]) throws -> HDF5EncodedChunk? {
        let context = handle.context
        try validateChunkOffset(offset, call: "H5Dread_chunk")
        guard let storage = try chunkStorage(at: offset) else { return nil }
        let identifier = try handle.identifier(for: "H5Dread_chunk")
        var mask: UInt32 = 0
        var bytes = [UInt8](repeating: 0, count: storage.storedSize)
        _ = try bytes.withUnsafeMutableBytes { buffer in
            try checkStatus(H5Dread_chunk(identifier, hid_t(H5P_DEFAULT), offset.map { hsize_t($0) }, &mask, buffer.baseAddress),
                            call: "H5Dread_chunk", context)
        }
        return HDF5EncodedChunk(bytes: bytes, filterMask: mask)
    }

    /// Appends encoded rows (``HDF5RowBlock/encode(_:threads:)``) along the first axis: grows the
    /// dataset by `rows.rowCount` (`H5Dset_extent`), then writes chunk i at first index
    /// n + i·chunkRows (`H5Dwrite_chunk`), where n, the current length, must be a multiple of the
    /// chunk's first extent — an aligned append only ever writes new chunks. The rows must have been
    /// encoded with this dataset's codec: the same element type and size, stored byte for byte as the
    /// Swift values the rows were encoded from (`H5Tequal` with their native memory type, so a
    /// big-endian dataset refuses them), and the same chunk shape and filters. As with
    /// ``append(_:)``, if a write fails after the resize the new rows stay, reading as zeros where
    /// no chunk was written.
    public func appendEncodedRows(_ rows: HDF5EncodedRows) throws {
        let context = handle.context
        let shape = try self.shape()
        guard let length = shape.first else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dset_extent", context, "a scalar (rank-0) dataset cannot be appended to")
        }
        let chunkRows = rows.codec.chunkShape[0]
        guard length % chunkRows == 0 else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dwrite_chunk", context,
                                  "a direct chunk append must start on a chunk boundary, but the dataset has \(length) rows and chunks of \(chunkRows); use append(_:)")
        }
        let (stored, storedSize, sameBytes) = try closing(datatype()) { type in
            let identifier = try type.handle.identifier(for: "H5Tequal")
            let size = H5Tget_size(identifier)
            if size == 0 { throw HDF5Error.libraryFailure(call: "H5Tget_size", context) }
            let stored = try type.elementType()
            let sameBytes = try stored.nativeMemoryType.map {
                try checkTruth(H5Tequal(identifier, $0), call: "H5Tequal", context)
            } ?? false
            return (stored, size, sameBytes)
        }
        if stored == rows.codec.elementType, !sameBytes {
            throw HDF5Error.check(.typeMismatch, call: "H5Dwrite_chunk", context,
                                  "the dataset stores \(stored) in another byte layout (byte order) than the Swift values the rows were encoded from (H5Tequal with the native type is false); append them with append(_:), which converts")
        }
        guard stored == rows.codec.elementType, storedSize == rows.codec.elementSize,
              try pipelineCodec(elementType: stored, elementSize: storedSize) == rows.codec else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dwrite_chunk", context,
                                  "the rows were encoded for chunks \(rows.codec.chunkShape) of \(rows.codec.elementSize)-byte \(rows.codec.elementType) with filters \(rows.codec.filters), which is not this dataset's layout")
        }
        guard rows.chunks.count == (rows.rowCount + chunkRows - 1) / chunkRows else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dwrite_chunk", context,
                                  "\(rows.rowCount) rows need \((rows.rowCount + chunkRows - 1) / chunkRows) chunks of \(chunkRows), got \(rows.chunks.count)")
        }
        guard rows.rowCount > 0 else { return }
        let rowShape = Array(shape.dropFirst())
        if let maximum = try maxShape().first, let maximum, length + rows.rowCount > maximum {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dset_extent", context,
                                  "appending \(rows.rowCount) rows to \(length) exceeds the maximum first extent \(maximum); create the dataset with maxShape: .unlimitedFirstAxis")
        }
        try resize(to: [length + rows.rowCount] + rowShape)
        for (index, chunk) in rows.chunks.enumerated() {
            try writeStoredChunk(chunk, at: [length + index * chunkRows] + rowShape.map { _ in 0 })
        }
    }

    /// Throws unless `offset` is a chunk's first element inside the current extent.
    private func validateChunkOffset(_ offset: [Int], call: String) throws {
        let context = handle.context
        guard let chunks = try chunkShape() else {
            throw HDF5Error.check(.invalidArgument, call: call, context, "the dataset is not chunked")
        }
        let shape = try self.shape()
        guard offset.count == chunks.count,
              zip(offset, chunks).allSatisfy({ $0 >= 0 && $0 % $1 == 0 }),
              zip(offset, shape).allSatisfy({ $0 < $1 }) else {
            throw HDF5Error.check(.invalidArgument, call: call, context,
                                  "chunk offset \(offset) must be a multiple of the chunk shape \(chunks) inside the shape \(shape)")
        }
    }
}
