import CHDF5

/// Whole-dataset reads that take the one stored chunk as it is: `H5Dread_chunk` straight into the
/// result's storage, the Fletcher-32 checksum verified by ``HDF5Fletcher32`` — no pass through
/// libhdf5's filter pipeline (whose checksum loop is byte-scalar), its chunk cache, or a copy from
/// a chunk buffer. Checkpoints store every parameter this way (one chunk, Fletcher-32 only), so
/// this is their load path.
extension HDF5Dataset {
    /// Every element of a dataset that is exactly one allocated chunk with an empty pipeline or
    /// Fletcher-32 alone, applied, in a file opened read-only, whose stored type is byte for byte
    /// `T`'s (`H5Tequal`); nil when any of that does not hold — and also when the stored checksum
    /// disagrees with the bytes, so that the ordinary `H5Dread` of ``read(as:)`` then reports the
    /// corruption in libhdf5's words. (Read-only, because a chunk written through a still-open
    /// writable handle may sit unflushed in libhdf5's cache, which `H5Dread_chunk` does not see.)
    /// A bool element other than FALSE (0) or TRUE (1) throws ``HDF5Error/Kind/invalidValue``.
    func readSingleStoredChunk<T: HDF5Scalar>(as type: T.Type) throws -> [T]? {
        let context = handle.context
        let count = try elementCount()
        guard count > 0, let chunks = try chunkShape(), chunks == (try shape()), try fileIsReadOnly() else { return nil }
        let filters = try self.filters()
        guard filters.isEmpty || filters == [.fletcher32], try elementType() == T.elementType else { return nil }
        let sameBytes = try closing(datatype()) { stored in
            try checkTruth(H5Tequal(try stored.handle.identifier(for: "H5Tequal"), try T.nativeMemoryType), call: "H5Tequal", context)
        }
        let checksummed = !filters.isEmpty, stride = MemoryLayout<T>.stride, dataBytes = count * stride
        guard sameBytes, let storage = try chunkStorage(at: [Int](repeating: 0, count: chunks.count)), storage.filterMask == 0,
              storage.storedSize == dataBytes + (checksummed ? 4 : 0) else { return nil }
        let identifier = try handle.identifier(for: "H5Dread_chunk")
        var verified = true
        // Room for the 4 checksum bytes after the elements; the array keeps only the elements.
        let capacity = count + (checksummed ? (4 + stride - 1) / stride : 0)
        let values = try [T](unsafeUninitializedCapacity: capacity) { buffer, initialised in
            var mask: UInt32 = 0
            try checkStatus(H5Dread_chunk(identifier, hid_t(H5P_DEFAULT), [hsize_t](repeating: 0, count: chunks.count), &mask,
                                          buffer.baseAddress), call: "H5Dread_chunk", context)
            if checksummed {
                let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!), count: dataBytes + 4)
                var stored: UInt32 = 0
                for byte in (0..<4).reversed() { stored = stored << 8 | UInt32(raw[dataBytes + byte]) }
                verified = mask == 0 && HDF5Fletcher32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<dataBytes])) == stored
            }
            if verified {
                try requireValidElements(T.self, UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: dataBytes),
                                         call: "H5Dread_chunk", context)
            }
            initialised = verified ? count : 0
        }
        return verified ? values : nil
    }

    /// True when the file holding this dataset was opened read-only (`H5Fget_intent`).
    func fileIsReadOnly() throws -> Bool {
        let context = handle.context
        let file = try checkIdentifier(H5Iget_file_id(try handle.identifier(for: "H5Iget_file_id")), call: "H5Iget_file_id", context)
        defer { H5Fclose(file) }
        var intent: UInt32 = 0
        try checkStatus(H5Fget_intent(file, &intent), call: "H5Fget_intent", context)
        return intent & chdf5_f_acc_rdwr() == 0
    }
}
