import Foundation

/// A named stream of random numbers derived from (run seed, purpose, index) — DESIGN.md §4.
///
/// The stream is the sequence of 32-bit words w₀, w₁, … where word i is word `i mod 4` of the Philox
/// block with counter `(i / 4)` and a key that hashes the seed, the purpose's name and the index. Its
/// whole state is that key and the position of the next word, so it is cheap to store in a checkpoint
/// and exactly reproducible; two streams with different (seed, purpose, index) are independent.
///
/// Draws (every draw consumes a fixed number of words, so positions are predictable):
/// - uniform `Float` in [0, 1): one word (24 high bits);
/// - uniform `Double` in [0, 1): two words (53 bits);
/// - standard normal: Box–Muller on two words, giving two normals (bulk fills use both; a single
///   ``nextNormal()`` uses the first and discards the second);
/// - log-normal `exp(μ + σ·ξ)`, and categorical draws by inverse CDF on one `Double` uniform.
///
/// The standard library's `random(in:)` is never used: its algorithm may change between releases.
public struct RandomStream: Equatable, Sendable {
    /// The Philox key (derived from seed, purpose and index).
    public let key: SIMD2<UInt32>
    /// Index of the next 32-bit word.
    public private(set) var position: UInt64

    /// The stream `(seed, purpose, index)`, e.g. `RandomStream(seed: 7, purpose: "noise", index: step)`.
    public init(seed: UInt64, purpose: String, index: UInt64 = 0) {
        self.init(seed: seed, purposeHash: RandomStream.purposeHash(purpose), index: index)
    }

    /// The stream `(seed, purpose, index)` with the purpose already hashed by ``purposeHash(_:)``, so a
    /// hot loop can derive per-step streams without touching strings.
    public init(seed: UInt64, purposeHash: UInt64, index: UInt64 = 0) {
        let mixed = splitMix64(splitMix64(splitMix64(seed) ^ purposeHash) ^ index)
        self.key = SIMD2(UInt32(truncatingIfNeeded: mixed), UInt32(truncatingIfNeeded: mixed >> 32))
        self.position = 0
    }

    /// A stream restored from a saved key and position (see ``state``).
    public init(key: SIMD2<UInt32>, position: UInt64) {
        self.key = key
        self.position = position
    }

    /// The state to store in a checkpoint: `[key₀, key₁, position]`.
    public var state: [UInt64] { [UInt64(key[0]), UInt64(key[1]), position] }

    /// Restores a stream from ``state``; nil if the array is not three words with 32-bit keys.
    public init?(state: [UInt64]) {
        guard state.count == 3, state[0] <= UInt64(UInt32.max), state[1] <= UInt64(UInt32.max) else { return nil }
        self.init(key: SIMD2(UInt32(state[0]), UInt32(state[1])), position: state[2])
    }

    /// The stable 64-bit hash of a purpose name (FNV-1a of its UTF-8 bytes).
    public static func purposeHash(_ purpose: String) -> UInt64 { stableHash(purpose) }

    /// A child stream, independent of this one: `(this stream's key, purpose, index)`.
    public func derived(purpose: String, index: UInt64 = 0) -> RandomStream {
        derived(purposeHash: stableHash(purpose), index: index)
    }

    /// A child stream from a pre-hashed purpose (see ``purposeHash(_:)``).
    public func derived(purposeHash: UInt64, index: UInt64 = 0) -> RandomStream {
        RandomStream(seed: UInt64(key[0]) | (UInt64(key[1]) << 32), purposeHash: purposeHash, index: index)
    }

    /// Word `i` of the stream, without changing the position.
    @inlinable
    public func word(at i: UInt64) -> UInt32 {
        let block = Philox4x32.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: i >> 2), UInt32(truncatingIfNeeded: i >> 34), 0, 0), key: key)
        return block[Int(i & 3)]
    }

    /// Moves the position forward by `count` words without drawing them.
    public mutating func skip(words count: UInt64) { position &+= count }

    /// The next 32-bit word.
    public mutating func nextWord() -> UInt32 {
        defer { position &+= 1 }
        return word(at: position)
    }

    /// Fills `buffer` with the next `count` words, a Philox block at a time.
    public mutating func fillWords(_ buffer: UnsafeMutablePointer<UInt32>, count: Int) {
        var written = 0
        while written < count {
            let blockIndex = position >> 2
            let block = Philox4x32.block(
                counter: SIMD4(UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32), 0, 0),
                key: key)
            var lane = Int(position & 3)
            while lane < 4 && written < count {
                buffer[written] = block[lane]
                written += 1
                lane += 1
                position &+= 1
            }
        }
    }

    /// Uniform in [0, 1): the word's 24 high bits times 2⁻²⁴.
    public mutating func nextUniformFloat() -> Float {
        Float(nextWord() >> 8) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits (two words; one Philox block when both lie in it).
    public mutating func nextUniform() -> Double {
        let lane = Int(position & 3)
        let high: UInt64, low: UInt64
        if lane < 3 {
            let block = Philox4x32.block(
                counter: SIMD4(UInt32(truncatingIfNeeded: position >> 2), UInt32(truncatingIfNeeded: position >> 34), 0, 0), key: key)
            high = UInt64(block[lane])
            low = UInt64(block[lane + 1])
            position &+= 2
        } else {
            high = UInt64(nextWord())
            low = UInt64(nextWord())
        }
        return Double(((high << 32) | low) >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    public mutating func nextUniform(in range: Range<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUniform()
    }

    /// A standard normal (Box–Muller on two words; the second normal of the pair is discarded).
    public mutating func nextNormal() -> Double {
        let (first, _) = RandomStream.boxMuller(nextWord(), nextWord())
        return first
    }

    /// Log-normal: `exp(mean + standardDeviation · ξ)`, ξ standard normal.
    public mutating func nextLogNormal(mean: Double, standardDeviation: Double) -> Double {
        Foundation.exp(mean + standardDeviation * nextNormal())
    }

    /// A category in `0..<weights.count` with probability ∝ `weights[i]` (inverse CDF on one uniform
    /// `Double`). Weights must be finite, non-negative and not all zero.
    public mutating func nextCategory(weights: [Double]) throws(TensorError) -> Int {
        var total = 0.0
        for weight in weights {
            guard weight.isFinite, weight >= 0 else {
                throw .invalidArgument(operation: "RandomStream.nextCategory",
                                       message: "weights must be finite and ≥ 0; got \(weight)")
            }
            total += weight
        }
        guard total > 0 else {
            throw .invalidArgument(operation: "RandomStream.nextCategory",
                                   message: "at least one weight must be positive (got \(weights.count) weights summing to 0)")
        }
        guard total.isFinite else {
            throw .invalidArgument(operation: "RandomStream.nextCategory",
                                   message: "the \(weights.count) weights sum to more than the largest Double; scale them down (only their ratios matter)")
        }
        let threshold = nextUniform() * total
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if threshold < cumulative { return index }
        }
        return weights.lastIndex(where: { $0 > 0 })!
    }

    /// Fills `count` floats with uniforms in [0, 1).
    public mutating func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { buffer[i] = nextUniformFloat() }
    }

    /// Fills `count` floats with standard normals, two per pair of words (w₂ᵢ, w₂ᵢ₊₁) by Box–Muller:
    ///
    ///     u₁ = 1 − ⌊w₂ᵢ / 2⁹⌋·2⁻²³ ∈ (0, 1],  u₂ = ⌊w₂ᵢ₊₁ / 2⁹⌋·2⁻²³ ∈ [0, 1)
    ///     z₂ᵢ = √(−2 ln u₁) cos 2πu₂,        z₂ᵢ₊₁ = √(−2 ln u₁) sin 2πu₂
    ///
    /// computed sixteen Philox blocks (64 normals) at a time in vector lanes. An odd count discards the
    /// last normal of its pair, so a fill consumes `2·⌈count/2⌉` words; the values depend only on the
    /// words, not on how a fill is split into calls.
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, standardDeviation: Float = 1) {
        var i = 0
        // One pair at a time until the position sits on a block boundary, then 16 blocks at a time.
        while i < count && (position & 3 != 0 || count - i < 64) {
            fillNormalPair(buffer, at: i, count: count, mean: mean, standardDeviation: standardDeviation)
            i += 2
        }
        while count - i >= 64 {
            let block = position >> 2
            var low = SIMD16<UInt32>(), high = SIMD16<UInt32>()
            for lane in 0..<16 {
                let index = block &+ UInt64(lane)
                low[lane] = UInt32(truncatingIfNeeded: index)
                high[lane] = UInt32(truncatingIfNeeded: index >> 32)
            }
            let (w0, w1, w2, w3) = Philox4x32.blocks(low: low, high: high, key: key)
            let (cosineA, sineA) = RandomStream.boxMuller(w0, w1)
            let (cosineB, sineB) = RandomStream.boxMuller(w2, w3)
            let target = buffer + i
            for lane in 0..<16 {
                target[4 * lane] = mean + standardDeviation * cosineA[lane]
                target[4 * lane + 1] = mean + standardDeviation * sineA[lane]
                target[4 * lane + 2] = mean + standardDeviation * cosineB[lane]
                target[4 * lane + 3] = mean + standardDeviation * sineB[lane]
            }
            position &+= 64
            i += 64
        }
        while i < count {
            fillNormalPair(buffer, at: i, count: count, mean: mean, standardDeviation: standardDeviation)
            i += 2
        }
    }

    /// Normals `i` and `i + 1` (the latter only when `i + 1 < count`) from the next two words, through
    /// lane 0 of the vector Box–Muller so that they equal what the 16-block path gives for those words.
    private mutating func fillNormalPair(
        _ buffer: UnsafeMutablePointer<Float>, at i: Int, count: Int, mean: Float, standardDeviation: Float
    ) {
        var first = SIMD16<UInt32>(repeating: 0), second = SIMD16<UInt32>(repeating: 0)
        first[0] = nextWord()
        second[0] = nextWord()
        let (cosine, sine) = RandomStream.boxMuller(first, second)
        buffer[i] = mean + standardDeviation * cosine[0]
        if i + 1 < count { buffer[i + 1] = mean + standardDeviation * sine[0] }
    }

    /// Box–Muller on 16 lanes of word pairs: `(r cos θ, r sin θ)`, r = √(−2 ln u₁), θ = 2πu₂.
    @inlinable
    static func boxMuller(_ first: SIMD16<UInt32>, _ second: SIMD16<UInt32>) -> (FloatVector, FloatVector) {
        let one = FloatVector(repeating: 1).bitPattern
        let u1 = 2 - FloatVector(bitPattern: (first &>> 9) | one)       // 1 − [0, 1) = (0, 1]
        let u2 = FloatVector(bitPattern: (second &>> 9) | one) - 1      // [0, 1)
        let radius = (-2 * fastLog(u1)).squareRoot()
        let (sine, cosine) = fastSinCos(2 * Float.pi * u2)
        return (radius * cosine, radius * sine)
    }

    /// Fills `count` doubles with standard normals (same word layout as the `Float` fill).
    /// The words are generated a Philox block at a time (``fillWords(_:count:)``), 64 per round.
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { scratch in
            let words = scratch.baseAddress!
            var i = 0
            while i < count {
                let pairs = min(32, (count - i + 1) / 2)
                fillWords(words, count: 2 * pairs)
                for pair in 0..<pairs {
                    let (first, second) = RandomStream.boxMuller(words[2 * pair], words[2 * pair + 1])
                    buffer[i] = first
                    if i + 1 < count { buffer[i + 1] = second }
                    i += 2
                }
            }
        }
    }

    /// Fills a tensor with standard normals scaled by `standardDeviation` and shifted by `mean`.
    public mutating func fillNormal(_ tensor: Tensor, mean: Float = 0, standardDeviation: Float = 1) {
        fillNormal(tensor.data, count: tensor.count, mean: mean, standardDeviation: standardDeviation)
    }

    /// Fills a tensor with uniforms in [lower, upper).
    public mutating func fillUniform(_ tensor: Tensor, lower: Float = 0, upper: Float = 1) {
        for i in 0..<tensor.count { tensor.data[i] = lower + (upper - lower) * nextUniformFloat() }
    }

    /// Box–Muller in Double: u₁ ∈ (0, 1] (so the logarithm is finite), u₂ ∈ [0, 1),
    /// `(√(−2 ln u₁) cos 2πu₂, √(−2 ln u₁) sin 2πu₂)`.
    @inlinable
    static func boxMuller(_ first: UInt32, _ second: UInt32) -> (Double, Double) {
        let u1 = (Double(first) + 1) * 0x1p-32
        let u2 = Double(second) * 0x1p-32
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (radius * Foundation.cos(angle), radius * Foundation.sin(angle))
    }
}
