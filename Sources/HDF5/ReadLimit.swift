import Foundation

/// The largest transfer a read may allocate: the machine's physical memory.
///
/// Every read that sizes its result from the file (a dataset's or attribute's extent, a string
/// array's element count) checks the bytes it would allocate against this limit first. An extent
/// that no machine this size could hold comes from a damaged or foreign file (a bit flip in a
/// dimension, a sparse dataset declared with 10¹² rows); without the check the allocation would
/// abort the process, or, below the overcommit limit, page the machine to a standstill while
/// libhdf5 fills in the fill value. The check throws ``HDF5Error/Kind/exceedsMemory`` naming the
/// object, its element count and the bytes needed.
public enum HDF5ReadLimit {
    /// The limit in bytes: physical memory (`ProcessInfo.physicalMemory`).
    public static let bytes: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory)

    /// Throws unless `elements` values of `bytesPerElement` bytes each fit in ``bytes`` (a product
    /// that overflows `Int` does not fit).
    static func check(elements: Int, bytesPerElement: Int, call: String, _ context: ErrorContext) throws {
        let (needed, overflow) = elements.multipliedReportingOverflow(by: max(bytesPerElement, 1))
        guard overflow || needed > bytes else { return }
        let size = overflow ? "more than \(Int.max) bytes" : "\(needed) bytes"
        throw HDF5Error.check(.exceedsMemory, call: call, context,
                              "reading \(elements) elements of \(bytesPerElement) bytes would need \(size), more than this machine's \(bytes) bytes of memory; the file is damaged or declares an extent no reader here can hold")
    }
}
