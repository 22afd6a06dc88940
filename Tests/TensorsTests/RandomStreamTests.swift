import Foundation
import Testing
import Tensors

@Suite("Philox-4x32-10 and named random streams")
struct RandomStreamTests {
    @Test("Philox-4x32-10 reproduces Random123's known-answer vectors")
    func philoxKnownAnswers() {
        #expect(Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0))
            == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        #expect(Philox4x32.block(counter: SIMD4(repeating: 0xFFFF_FFFF), key: SIMD2(repeating: 0xFFFF_FFFF))
            == SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        #expect(Philox4x32.block(counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                                 key: SIMD2(0xA409_3822, 0x299F_31D0))
            == SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    @Test("the same (seed, purpose, index) gives the same words; any change gives different ones")
    func streamsAreKeyedBySeedPurposeAndIndex() {
        func firstWords(_ stream: RandomStream) -> [UInt32] {
            var copy = stream
            return (0..<8).map { _ in copy.nextWord() }
        }
        let base = RandomStream(seed: 7, purpose: "noise", index: 3)
        #expect(firstWords(base) == firstWords(RandomStream(seed: 7, purpose: "noise", index: 3)))
        #expect(firstWords(base) != firstWords(RandomStream(seed: 8, purpose: "noise", index: 3)))
        #expect(firstWords(base) != firstWords(RandomStream(seed: 7, purpose: "time", index: 3)))
        #expect(firstWords(base) != firstWords(RandomStream(seed: 7, purpose: "noise", index: 4)))
        #expect(firstWords(base.derived(purpose: "a")) != firstWords(base.derived(purpose: "b")))
    }

    @Test("bulk word fills equal word-by-word draws and the counter-based word(at:)")
    func bulkFillMatchesSingleDraws() {
        var single = RandomStream(seed: 11, purpose: "fill")
        single.skip(words: 3)  // start mid-block
        var bulk = single
        let count = 37
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
        defer { buffer.deallocate() }
        bulk.fillWords(buffer, count: count)
        for i in 0..<count {
            #expect(buffer[i] == single.word(at: 3 + UInt64(i)))
            #expect(buffer[i] == single.nextWord())
        }
        #expect(bulk.position == single.position)
    }

    @Test("sixteen-lane Philox blocks equal the scalar blocks")
    func vectorBlocksMatchScalar() {
        let key = SIMD2<UInt32>(0xA409_3822, 0x299F_31D0)
        var low = SIMD16<UInt32>(), high = SIMD16<UInt32>()
        for lane in 0..<16 {
            low[lane] = 0xFFFF_FFF8 &+ UInt32(lane)  // crosses a 32-bit carry in the counter
            high[lane] = lane >= 8 ? 1 : 0
        }
        let (w0, w1, w2, w3) = Philox4x32.blocks(low: low, high: high, key: key)
        for lane in 0..<16 {
            let scalar = Philox4x32.block(counter: SIMD4(low[lane], high[lane], 0, 0), key: key)
            #expect(SIMD4(w0[lane], w1[lane], w2[lane], w3[lane]) == scalar)
        }
    }

    @Test("normal fills do not depend on how they are split into calls")
    func normalFillsAreSplitInvariant() {
        let count = 301
        let whole = UnsafeMutablePointer<Float>.allocate(capacity: count), pieces = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { whole.deallocate(); pieces.deallocate() }
        var a = RandomStream(seed: 3, purpose: "split"), b = a
        a.fillNormal(whole, count: count)
        var offset = 0
        for size in [6, 64, 2, 130, 98, 1] {  // even sizes keep the pairs aligned; the last is odd
            b.fillNormal(pieces + offset, count: size)
            offset += size
        }
        #expect(offset == count)
        #expect((0..<count).allSatisfy { whole[$0] == pieces[$0] })
        #expect(a.position == b.position && a.position == 302)
    }

    @Test("Double normals and uniforms are the documented functions of the stream's words at every position and count")
    func doubleDrawsFollowTheWords() {
        // Box–Muller on words (w₀, w₁): u₁ = (w₀ + 1)·2⁻³², u₂ = w₁·2⁻³², (√(−2 ln u₁) cos 2πu₂, √(−2 ln u₁) sin 2πu₂).
        func normals(_ stream: RandomStream, count: Int) -> [Double] {
            var values: [Double] = []
            var position = stream.position
            while values.count < count {
                let u1 = (Double(stream.word(at: position)) + 1) * 0x1p-32, u2 = Double(stream.word(at: position + 1)) * 0x1p-32
                let radius = (-2 * Foundation.log(u1)).squareRoot(), angle = 2 * Double.pi * u2
                values.append(radius * Foundation.cos(angle))
                if values.count < count { values.append(radius * Foundation.sin(angle)) }
                position += 2
            }
            return values
        }
        for skipped in 0..<5 {
            for count in [0, 1, 2, 3, 16, 63, 64, 65, 127, 300] {
                var stream = RandomStream(seed: 12, purpose: "double-normals", index: UInt64(count))
                stream.skip(words: UInt64(skipped))
                let expected = normals(stream, count: count)
                let start = stream.position
                var drawn = [Double](repeating: .nan, count: count)
                drawn.withUnsafeMutableBufferPointer { if count > 0 { stream.fillNormal($0.baseAddress!, count: count) } }
                #expect(drawn == expected, "fillNormal, \(skipped) words skipped, count \(count)")
                #expect(stream.position == start + UInt64(2 * ((count + 1) / 2)))
            }
            var stream = RandomStream(seed: 13, purpose: "double-uniforms")
            stream.skip(words: UInt64(skipped))
            for _ in 0..<9 {
                let p = stream.position
                let bits = (UInt64(stream.word(at: p)) << 32 | UInt64(stream.word(at: p + 1))) >> 11
                #expect(stream.nextUniform() == Double(bits) * 0x1p-53)
                #expect(stream.position == p + 2)
            }
        }
    }

    @Test("a stream saved and restored continues with the same numbers")
    func stateRoundTrip() {
        var stream = RandomStream(seed: 5, purpose: "checkpoint")
        _ = (0..<13).map { _ in stream.nextUniform() }
        let restored = RandomStream(state: stream.state)
        #expect(restored == stream)
        var a = stream, b = restored!
        #expect((0..<10).map { _ in a.nextNormal() } == (0..<10).map { _ in b.nextNormal() })
        #expect(RandomStream(state: [1, 2]) == nil)
        #expect(RandomStream(state: [1 << 40, 2, 3]) == nil)
    }

    @Test("uniforms lie in [0, 1) with mean ½ and variance 1/12")
    func uniformMoments() {
        var stream = RandomStream(seed: 1, purpose: "uniform")
        let values = (0..<200_000).map { _ in stream.nextUniform() }
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let (mean, variance, _) = DoubleMath.meanAndVariance(values)
        #expect(abs(mean - 0.5) < 4 * (1.0 / 12 / 200_000).squareRoot())
        #expect(abs(variance - 1.0 / 12) < 0.002)
        var floats = RandomStream(seed: 1, purpose: "uniform-float")
        #expect((0..<10_000).allSatisfy { _ in let u = floats.nextUniformFloat(); return u >= 0 && u < 1 })
    }

    @Test("normals have mean 0, variance 1 and the Gaussian fourth moment 3")
    func normalMoments() {
        var stream = RandomStream(seed: 2, purpose: "normal")
        let count = 200_000
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        stream.fillNormal(buffer, count: count)
        let values = (0..<count).map { Double(buffer[$0]) }
        let (mean, variance, _) = DoubleMath.meanAndVariance(values)
        let fourth = values.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(count)
        #expect(abs(mean) < 4 / Double(count).squareRoot())
        #expect(abs(variance - 1) < 0.015)
        #expect(abs(fourth - 3) < 0.1)
        #expect(values.allSatisfy { $0.isFinite })
        // The fraction beyond 2σ is 4.55%.
        let tail = Double(values.filter { abs($0) > 2 }.count) / Double(count)
        #expect(abs(tail - 0.0455) < 0.003)
    }

    @Test("log-normal draws are exp of normal draws from the same words")
    func logNormalIsExpOfNormal() {
        var a = RandomStream(seed: 3, purpose: "lognormal"), b = a
        for _ in 0..<100 {
            let logNormal = a.nextLogNormal(mean: -1.1, standardDeviation: 2.0)
            let normal = b.nextNormal()
            #expect(abs(logNormal - Foundation.exp(-1.1 + 2.0 * normal)) <= 1e-12 * logNormal)
        }
    }

    @Test("categorical draws follow the weights and reject invalid weights")
    func categoricalFrequencies() throws {
        var stream = RandomStream(seed: 4, purpose: "categorical")
        let weights = [1.0, 0, 3, 6]
        var counts = [0, 0, 0, 0]
        let draws = 100_000
        for _ in 0..<draws { counts[try stream.nextCategory(weights: weights)] += 1 }
        #expect(counts[1] == 0)
        for (index, weight) in weights.enumerated() where weight > 0 {
            let p = weight / 10
            let standardError = (p * (1 - p) / Double(draws)).squareRoot()
            #expect(abs(Double(counts[index]) / Double(draws) - p) < 5 * standardError)
        }
        #expect(throws: TensorError.self) { try stream.nextCategory(weights: [0, 0]) }
        #expect(throws: TensorError.self) { try stream.nextCategory(weights: [1, -1]) }
        // Finite weights whose sum overflows used to pick the last category every time.
        #expect { try stream.nextCategory(weights: [1e308, 1e308]) } throws: { "\($0)".contains("scale them down") }
        #expect(throws: TensorError.self) { try stream.nextCategory(weights: [1, .nan]) }
    }
}
