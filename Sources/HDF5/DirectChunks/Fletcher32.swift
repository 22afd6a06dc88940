/// HDF5's Fletcher-32 checksum (`H5Z_FILTER_FLETCHER32`), outside libhdf5.
///
/// The bytes are read as 16-bit words, each word = 256·byte[2k] + byte[2k+1] (the first byte of the
/// pair is the high one, whatever the machine's byte order). Two sums run over the words w₁, w₂, …:
///
///     sum1 = Σ wᵢ          sum2 = Σ (w₁ + … + wᵢ)
///
/// kept below 2³² by folding (x ← (x mod 2¹⁶) + ⌊x / 2¹⁶⌋, which keeps x mod 65 535) after every
/// block of 360 words. An odd trailing byte b counts as one more word 256·b. Two final folds bring
/// each sum into 0…65 535 — congruent to the true sum modulo 65 535, 0 only when every byte is
/// zero, and 65 535 (not 0) for a nonzero multiple of 65 535 — and the checksum is
/// `(sum2 << 16) | sum1`.
///
/// The filter stores the filtered bytes followed by the checksum of those bytes as 4 bytes,
/// least significant first (``appending(to:)``); reading a chunk recomputes and compares it.
public enum HDF5Fletcher32 {
    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let words = bytes.count / 2
        var sum1: UInt32 = 0, sum2: UInt32 = 0
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var position = 0
        var remaining = words
        while remaining > 0 {
            let block = min(remaining, 360)
            remaining -= block
            for _ in 0..<block {
                sum1 &+= UInt32(base[position]) << 8 | UInt32(base[position + 1])
                sum2 &+= sum1
                position += 2
            }
            sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16)
            sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        }
        if bytes.count % 2 == 1 {
            sum1 &+= UInt32(base[position]) << 8
            sum2 &+= sum1
            sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16)
            sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        }
        sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16)
        sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        return sum2 << 16 | sum1
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Appends the checksum of `bytes` to them, least significant byte first, as the filter stores it.
    public static func appending(to bytes: inout [UInt8]) {
        let value = checksum(bytes)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
