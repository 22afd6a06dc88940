import CHDF5

/// Where one chunk of a chunked dataset is stored in the file, as libhdf5's chunk index records it
/// (`H5Dget_chunk_info_by_coord`, libhdf5 ≥ 1.10.5).
///
/// A chunk that the index does not list is *unallocated*: reading it returns the fill value (zero)
/// without touching the file, so a reader cannot tell "never written" from "written zeros" by
/// reading. Code that must know whether rows were really stored — such as recovering a trajectory
/// dataset left by a crash — asks for the chunk's storage instead.
public struct HDF5ChunkStorage: Sendable, Equatable {
    /// The logical position of the chunk's first element on every axis (a multiple of the chunk shape).
    public let offset: [Int]
    /// The chunk's byte address in the file.
    public let address: UInt64
    /// The stored (filtered, e.g. compressed) size in bytes.
    public let storedSize: Int
    /// Bit i set: filter i of the pipeline was skipped for this chunk.
    public let filterMask: UInt32
}

extension HDF5Dataset {
    /// The storage of the chunk whose first element is at `offset` (each coordinate a multiple of
    /// the chunk shape), or nil when that chunk is not allocated. Throws for a dataset that is not
    /// chunked or an offset of the wrong rank or outside the chunk grid.
    public func chunkStorage(at offset: [Int]) throws -> HDF5ChunkStorage? {
        let context = handle.context
        guard let chunk = try chunkShape() else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dget_chunk_info_by_coord", context,
                                  "the dataset is not chunked, so it has no chunk storage to query")
        }
        guard offset.count == chunk.count,
              zip(offset, chunk).allSatisfy({ coordinate, extent in coordinate >= 0 && coordinate % extent == 0 }) else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dget_chunk_info_by_coord", context,
                                  "chunk offset \(offset) must have rank \(chunk.count) and be a non-negative multiple of the chunk shape \(chunk) on every axis")
        }
        let identifier = try handle.identifier(for: "H5Dget_chunk_info_by_coord")
        var mask: UInt32 = 0
        var address: haddr_t = 0
        var size: hsize_t = 0
        try checkStatus(H5Dget_chunk_info_by_coord(identifier, offset.map { hsize_t($0) }, &mask, &address, &size),
                        call: "H5Dget_chunk_info_by_coord", context)
        // HADDR_UNDEF is all ones; libhdf5 reports an unallocated chunk with it and size 0.
        guard address != haddr_t.max, size > 0 else { return nil }
        return HDF5ChunkStorage(offset: offset, address: UInt64(address), storedSize: Int(size), filterMask: mask)
    }

    /// The number of allocated chunks (`H5Dget_num_chunks` over the whole dataspace).
    public func allocatedChunkCount() throws -> Int {
        let context = handle.context
        let identifier = try handle.identifier(for: "H5Dget_num_chunks")
        var count: hsize_t = 0
        // libhdf5 1.10.8 refuses H5S_ALL here; the dataset's own (all-selected) dataspace counts every chunk.
        _ = try closing(dataspace()) { space in
            try checkStatus(H5Dget_num_chunks(identifier, try space.handle.identifier(for: "H5Dget_num_chunks"), &count),
                            call: "H5Dget_num_chunks", context)
        }
        return Int(count)
    }
}
