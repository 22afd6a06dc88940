import CHDF5
import Foundation

/// Moving strings between Swift and libhdf5, shared by string datasets and string attributes.
///
/// Written strings are variable-length UTF-8 (h5py reads them as `str`): in memory an array of
/// `char *`, one per element, handed to `H5Dwrite`/`H5Awrite` in one call. Reading accepts
/// variable-length strings (read as `char *`, released with `H5Dvlen_reclaim`) and fixed-length
/// ones (read as bytes; each element ends at its first NUL, and space-padded ones lose trailing
/// spaces). Bytes that are not valid UTF-8 are replaced with U+FFFD.
enum StringTransfer {
    /// Calls `write(memoryType, buffer)` with `strings` as an array of C strings.
    static func write(
        _ strings: [String], call: String, _ context: ErrorContext,
        _ write: (hid_t, UnsafeRawPointer) -> herr_t
    ) throws {
        try requireNoNUL(strings, call: call, context)
        let memoryType = try HDF5Datatype.variableLengthString(context)
        let typeIdentifier = try memoryType.handle.identifier(for: call)
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        guard !pointers.contains(where: { $0 == nil }) else {
            throw HDF5Error.check(.invalidArgument, call: call, context, "out of memory copying strings")
        }
        try pointers.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try checkStatus(write(typeIdentifier, UnsafeRawPointer(base)), call: call, context)
        }
        try memoryType.close()
    }

    /// Throws unless every string can be a C string (no NUL character).
    static func requireNoNUL(_ strings: [String], call: String, _ context: ErrorContext) throws {
        if let bad = strings.firstIndex(where: { $0.utf8.contains(0) }) {
            throw HDF5Error.check(.invalidArgument, call: call, context,
                                  "string \(bad) contains a NUL character, which C strings cannot hold")
        }
    }

    /// Reads `count` strings stored as `storedType` (whose libhdf5 type is `storedTypeIdentifier`)
    /// by calling `read(memoryType, buffer)`; `space` describes the elements read (for reclaiming).
    static func read(
        count: Int, storedType: HDF5ElementType, storedTypeIdentifier: hid_t, space: hid_t,
        call: String, _ context: ErrorContext, _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard case let .string(length, isUTF8) = storedType else {
            throw HDF5Error.check(.typeMismatch, call: call, context,
                                  "stored element type is \(storedType), not a string")
        }
        guard count > 0 else { return [] }
        // A fixed-length read allocates count × length bytes; a variable-length one a pointer per
        // element (and libhdf5 each string's bytes, which the file's heap bounds).
        try HDF5ReadLimit.check(elements: count, bytesPerElement: length ?? MemoryLayout<UnsafeMutablePointer<CChar>?>.stride,
                                call: call, context)
        if let length {
            return try readFixed(count: count, length: length, storedTypeIdentifier: storedTypeIdentifier,
                                 call: call, context, read)
        }
        let memoryType = try HDF5Datatype.variableLengthString(utf8: isUTF8, context)
        let typeIdentifier = try memoryType.handle.identifier(for: call)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        _ = try pointers.withUnsafeMutableBufferPointer { buffer in
            try checkStatus(read(typeIdentifier, UnsafeMutableRawPointer(buffer.baseAddress!)), call: call, context)
        }
        let strings = pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
        _ = try pointers.withUnsafeMutableBufferPointer { buffer in
            try checkStatus(H5Dvlen_reclaim(typeIdentifier, space, hid_t(H5P_DEFAULT), buffer.baseAddress),
                            call: "H5Dvlen_reclaim", context)
        }
        try memoryType.close()
        return strings
    }

    private static func readFixed(
        count: Int, length: Int, storedTypeIdentifier: hid_t, call: String, _ context: ErrorContext,
        _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let memoryType = HDF5Datatype(
            adopting: try checkIdentifier(H5Tcopy(storedTypeIdentifier), call: "H5Tcopy", context), context: context)
        let typeIdentifier = try memoryType.handle.identifier(for: call)
        let padding = H5Tget_strpad(typeIdentifier)
        var bytes = [UInt8](repeating: 0, count: count * length)
        _ = try bytes.withUnsafeMutableBytes { buffer in
            try checkStatus(read(typeIdentifier, buffer.baseAddress!), call: call, context)
        }
        try memoryType.close()
        return (0..<count).map { index in
            var element = bytes[(index * length)..<((index + 1) * length)]
            if let end = element.firstIndex(of: 0) { element = element[..<end] }
            if padding == H5T_STR_SPACEPAD {
                while element.last == UInt8(ascii: " ") { element = element.dropLast() }
            }
            return String(decoding: element, as: UTF8.self)
        }
    }
}
