import Foundation

/// Refuses sizes that cannot fit in this machine's memory *before* anything is allocated, so a
/// width of 10¹², a batch of 10¹² or a sample count of 10¹² ends in a clear error instead of the
/// runtime's "failed to allocate" abort or a loop that never ends (DESIGN.md §7, reliability suite).
///
/// The need is `bytes = bytesPerElement × ∏ factors`, computed with overflow checks; it must not
/// exceed the physical memory (`ProcessInfo.physicalMemory`). This is a sanity bound against
/// impossible settings, not an estimate of peak use: a setting that passes may still be too large
/// in practice, but one that fails can never run.
public enum MemoryBudget {
    /// The machine's physical memory in bytes.
    public static var physicalBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// `bytesPerElement × ∏ factors`, or nil when the product overflows `Int`.
    public static func bytes(_ factors: [Int], bytesPerElement: Int = 4) -> Int? {
        var total = bytesPerElement
        for factor in factors {
            let (product, overflow) = total.multipliedReportingOverflow(by: max(factor, 0))
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// Throws ``TensorError/invalidArgument(operation:message:)`` naming `what` (e.g. "width × width ×
    /// depth") and the values when `bytesPerElement × ∏ factors` exceeds the physical memory.
    public static func check(_ what: String, _ factors: [Int], bytesPerElement: Int = 4, operation: String) throws(TensorError) {
        let limit = physicalBytes
        let need = bytes(factors, bytesPerElement: bytesPerElement)
        guard let need, need <= limit else {
            let values = factors.map(String.init).joined(separator: " × ")
            let amount = need.map { String(format: "%.3g GB", Double($0) / 1e9) } ?? "more than 2⁶³ bytes"
            throw .invalidArgument(operation: operation,
                message: "\(what) = \(values) values of \(bytesPerElement) bytes need \(amount), more than this machine's "
                    + String(format: "%.3g GB", Double(limit) / 1e9) + " of memory; use smaller sizes")
        }
    }
}
