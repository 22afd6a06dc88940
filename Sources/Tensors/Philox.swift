/// Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw, "Parallel Random
/// Numbers: As Easy as 1, 2, 3" (SC 2011), as in the Random123 library.
///
/// A pure function of a 128-bit counter and a 64-bit key: ten rounds of
///
///     (hi₀, lo₀) = M₀ · c₀,  (hi₁, lo₁) = M₁ · c₂           (32 × 32 → 64-bit products)
///     c ← (hi₁ ⊕ c₁ ⊕ k₀,  lo₁,  hi₀ ⊕ c₃ ⊕ k₁,  lo₀)
///     k ← (k₀ + W₀, k₁ + W₁)
///
/// with M = (0xD2511F53, 0xCD9E8D57) and the Weyl increments W = (0x9E3779B9, 0xBB67AE85). Because any
/// block can be computed on its own, the i-th number of a stream needs no state but its index.
public enum Philox4x32 {
    /// The four output words for `counter` under `key`.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 { k &+= SIMD2(0x9E37_79B9, 0xBB67_AE85) }
            let product0 = UInt64(0xD251_1F53) &* UInt64(c[0])
            let product1 = UInt64(0xCD9E_8D57) &* UInt64(c[2])
            c = SIMD4(
                UInt32(truncatingIfNeeded: product1 >> 32) ^ c[1] ^ k[0],
                UInt32(truncatingIfNeeded: product1),
                UInt32(truncatingIfNeeded: product0 >> 32) ^ c[3] ^ k[1],
                UInt32(truncatingIfNeeded: product0))
        }
        return c
    }
}

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer used to derive keys.
@inlinable
func splitMix64(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// FNV-1a over the UTF-8 bytes of `text`: a stable 64-bit name hash (unlike `Hasher`, which is seeded
/// per process).
@inlinable
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

extension Philox4x32 {
    /// Sixteen blocks at once, one per lane: counters `(low[i], high[i], 0, 0)` under one key. Returns
    /// the four output words of every block (word j of block i is `words.j[i]`), bit-identical to
    /// ``block(counter:key:)``. The 32 × 32 → 64-bit products are split into 16-bit halves so the
    /// whole computation stays in 32-bit vector lanes.
    @inlinable
    public static func blocks(
        low: SIMD16<UInt32>, high: SIMD16<UInt32>, key: SIMD2<UInt32>
    ) -> (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>) {
        var c0 = low, c1 = high, c2 = SIMD16<UInt32>(repeating: 0), c3 = SIMD16<UInt32>(repeating: 0)
        var k0 = key[0], k1 = key[1]
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let (hi0, lo0) = multiplyHighLow(c0, 0xD251_1F53)
            let (hi1, lo1) = multiplyHighLow(c2, 0xCD9E_8D57)
            let next0 = hi1 ^ c1 ^ SIMD16(repeating: k0)
            let next2 = hi0 ^ c3 ^ SIMD16(repeating: k1)
            c0 = next0; c1 = lo1; c2 = next2; c3 = lo0
        }
        return (c0, c1, c2, c3)
    }

    /// `(⌊a·m / 2³²⌋, a·m mod 2³²)` per lane, with 16-bit partial products (no 64-bit lanes needed).
    @inlinable @inline(__always)
    static func multiplyHighLow(_ a: SIMD16<UInt32>, _ m: UInt32) -> (SIMD16<UInt32>, SIMD16<UInt32>) {
        let aLow = a & 0xFFFF, aHigh = a &>> 16
        let mLow = SIMD16<UInt32>(repeating: m & 0xFFFF), mHigh = SIMD16<UInt32>(repeating: m >> 16)
        let lowLow = aLow &* mLow
        let middle = aHigh &* mLow &+ (lowLow &>> 16)          // < 2³²
        let cross = aLow &* mHigh &+ (middle & 0xFFFF)         // < 2³²
        let high = aHigh &* mHigh &+ (middle &>> 16) &+ (cross &>> 16)
        return (high, a &* SIMD16(repeating: m))
    }
}
