/// HDF5's Fletcher-32 checksum (`H5Z_FILTER_FLETCHER32`), outside libhdf5.
///
/// The bytes are read as 16-bit words, each word = 256·byte[2k] + byte[2k+1] (the first byte of the
/// pair is the high one, whatever the machine's byte order). Two sums run over the words w₁, w₂, …:
///
///     sum1 = Σ wᵢ          sum2 = Σ (w₁ + … + wᵢ)
///
/// kept below 2³² by folding (x ← (x mod 2¹⁶) + ⌊x / 2¹⁶⌋, which keeps x mod 65 535) after every
/// block of 360 words (libhdf5's loop). An odd trailing byte b counts as one more word 256·b. Two
/// final folds bring each sum into 0…65 535 — congruent to the true sum modulo 65 535, 0 only when every byte is
/// zero, and 65 535 (not 0) for a nonzero multiple of 65 535 — and the checksum is
/// `(sum2 << 16) | sum1`.
///
/// The filter stores the filtered bytes followed by the checksum of those bytes as 4 bytes,
/// least significant first (``appending(to:)``); reading a chunk recomputes and compares it.
public enum HDF5Fletcher32 {
    /// The checksum of `bytes`.
    ///
    /// Computed exactly and reduced modulo 65 535 (so equal to the folded sums above), 64 bytes at a
    /// time: a vector of 16 lanes holds 32 words, lane k the words 2k (`even`) and 2k + 1 (`odd`).
    /// Over a block of V vectors (32·V words w₁ … w_n, n = 32·V) with sum1 and sum2 on entry,
    ///
    ///     sum1 ← sum1 + Σ wᵢ,   sum2 ← sum2 + n·sum1 + Σ (n + 1 − i)·wᵢ,
    ///
    /// and the weight of a word of vector v is 32·(V − 1 − v) + (32 − 2k) or (31 − 2k): the lane
    /// accumulator `later` sums each vector once per vector after it. V ≤ 128 keeps every lane below 2³².
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let modulus: UInt64 = 65_535
        var sum1: UInt64 = 0, sum2: UInt64 = 0
        var anyNonzero = SIMD16<UInt32>(repeating: 0)
        let vectorBytes = 64, blockVectors = 128
        var offset = 0
        let lane = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let evenWeights = 32 &- 2 &* lane, oddWeights = 31 &- 2 &* lane
        let low = SIMD16<UInt32>(repeating: 0xFF), high = SIMD16<UInt32>(repeating: 0xFF00)
        while bytes.count - offset >= vectorBytes {
            let vectors = min(blockVectors, (bytes.count - offset) / vectorBytes)
            var evenSums = SIMD16<UInt32>(repeating: 0), oddSums = SIMD16<UInt32>(repeating: 0), later = SIMD16<UInt32>(repeating: 0)
            for v in 0..<vectors {
                let x = base.loadUnaligned(fromByteOffset: offset + v * vectorBytes, as: SIMD16<UInt32>.self)
                anyNonzero |= x
                // Bytes b0 b1 b2 b3 of a lane (little-endian load): words 256·b0 + b1 and 256·b2 + b3.
                let even = ((x & low) &<< 8) | ((x &>> 8) & low)
                let odd = ((x &>> 8) & high) | (x &>> 24)
                later &+= evenSums &+ oddSums
                evenSums &+= even
                oddSums &+= odd
            }
            var blockSum1: UInt64 = 0, blockSum2: UInt64 = 0
            for k in 0..<16 {
                blockSum1 += UInt64(evenSums[k]) + UInt64(oddSums[k])
                blockSum2 += 32 * UInt64(later[k]) + UInt64(evenWeights[k]) * UInt64(evenSums[k]) + UInt64(oddWeights[k]) * UInt64(oddSums[k])
            }
            sum2 = (sum2 + UInt64(32 * vectors) * sum1 + blockSum2) % modulus
            sum1 = (sum1 + blockSum1) % modulus
            offset += vectors * vectorBytes
        }
        var nonzero = anyNonzero != SIMD16<UInt32>(repeating: 0)
        let tail = base.assumingMemoryBound(to: UInt8.self)
        while offset < bytes.count {
            // The last word may be a lone byte b, counted as 256·b.
            let word = UInt64(tail[offset]) << 8 | (offset + 1 < bytes.count ? UInt64(tail[offset + 1]) : 0)
            nonzero = nonzero || word != 0
            sum1 = (sum1 + word) % modulus
            sum2 = (sum2 + sum1) % modulus
            offset += 2
        }
        // A nonzero true sum folds to 1…65 535; only an all-zero input gives 0.
        func folded(_ sum: UInt64) -> UInt32 { nonzero ? (sum == 0 ? 65_535 : UInt32(sum)) : 0 }
        return folded(sum2) << 16 | folded(sum1)
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
