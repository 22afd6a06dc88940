import Foundation
import Testing
import Tensors
@testable import Environments

/// The sampling-only toy distributions follow their documented recipes.
@Suite("Sampling-only distributions")
struct DistributionSamplingTests {
    private static func columnVariance(_ points: [Double], dimension: Int, column d: Int) -> Double {
        let n = points.count / dimension
        let values = stride(from: d, to: points.count, by: dimension).map { points[$0] }
        let mean = values.reduce(0, +) / Double(n)
        return values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
    }

    @Test("Student-t samples have variance ν/(ν−2)·scale² for integer ν = 5 (normal sums) and real ν = 5.5 (gamma)",
          arguments: [5.0, 5.5])
    func studentTVariance(nu: Double) throws {
        let scale = 0.7
        let mixture = try StudentTMixture(weights: [1], means: [[1, -2, 0.5]], scales: [scale], degreesOfFreedom: [nu])
        var stream = RandomStream(seed: 21, purpose: "test.student-t.variance")
        let n = 400_000
        let points = mixture.sample(count: n, stream: &stream)
        let expected = nu / (nu - 2) * scale * scale
        #expect(abs(mixture.componentVariance(0) - expected) < 1e-15)
        for d in 0 ..< 3 {
            let variance = Self.columnVariance(points, dimension: 3, column: d)
            #expect(abs(variance - expected) / expected < 0.05, "ν = \(nu), d = \(d): \(variance) vs \(expected)")
        }
    }

    @Test("the Marsaglia–Tsang gamma sampler has mean a and variance a", arguments: [0.5, 1.0, 2.5, 7.0])
    func gammaMoments(shape: Double) {
        var stream = RandomStream(seed: 2, purpose: "test.gamma")
        let n = 200_000
        let draws = (0 ..< n).map { _ in stream.nextGamma(shape: shape) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(draws.allSatisfy { $0 > 0 && $0.isFinite })
        #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot(), "mean \(mean) vs \(shape)")
        #expect(abs(variance - shape) / shape < 0.05, "variance \(variance) vs \(shape)")
    }

    @Test("Student-t mixture labels are the components and heavy tails appear")
    func studentTMixtureLabels() throws {
        let mixture = try StudentTMixture(weights: [3, 1], means: [[0], [50]], scales: [1, 1], degreesOfFreedom: [3, 3])
        var stream = RandomStream(seed: 8, purpose: "test.student-t.labels")
        let n = 20_000
        var points = [Double](repeating: 0, count: n), labels = [Int32](repeating: -1, count: n)
        points.withUnsafeMutableBufferPointer { p in labels.withUnsafeMutableBufferPointer { mixture.sample(count: n, into: p.baseAddress!, labels: $0.baseAddress!, stream: &stream) } }
        let fraction = Double(labels.filter { $0 == 1 }.count) / Double(n)
        #expect(abs(fraction - 0.25) < 0.02)
        let outliers = (0 ..< n).filter { labels[$0] == 0 && abs(points[$0]) > 6 }.count
        #expect(outliers > 0, "a t₃ component should produce points beyond 6 scales")
    }

    @Test("checkerboard samples lie on dark squares and cover all of them")
    func checkerboardOnDarkSquares() throws {
        let board = try Checkerboard(cells: 4, cellSize: 1)
        var stream = RandomStream(seed: 3, purpose: "test.checkerboard")
        let n = 20_000
        let points = board.sample(count: n, stream: &stream)
        var visited = Set<[Int]>()
        for i in 0 ..< n {
            let x = points[2 * i], y = points[2 * i + 1]
            #expect(board.isDark(x: x, y: y), "(\(x), \(y)) is on a light square")
            visited.insert([Int((x + 2).rounded(.down)), Int((y + 2).rounded(.down))])
        }
        #expect(visited.count == 8)
        let odd = try Checkerboard(cells: 3, cellSize: 0.5)
        let oddPoints = odd.sample(count: 2_000, stream: &stream)
        for i in 0 ..< 2_000 { #expect(odd.isDark(x: oddPoints[2 * i], y: oddPoints[2 * i + 1])) }
    }

    @Test("isDark is false, not a crash, for NaN, infinite and huge coordinates; square edges follow floor")
    func checkerboardIsDarkEdgeCases() throws {
        let board = try Checkerboard(cells: 4, cellSize: 1)
        for value in [Double.nan, .infinity, -.infinity, 1e19, -1e19, 9.3e18] {
            #expect(!board.isDark(x: value, y: 0.5) && !board.isDark(x: -1.5, y: value))
        }
        #expect(board.isDark(x: -2, y: -2) && !board.isDark(x: -1, y: -2) && board.isDark(x: 1.999, y: 1.999))
        #expect(!board.isDark(x: 2, y: 2) && !board.isDark(x: (-2.0).nextDown, y: -2))
    }

    @Test("two moons without noise lie on their arcs with balanced labels")
    func twoMoonsOnArcs() throws {
        let moons = try TwoMoons(noise: 0, scale: 1)
        var stream = RandomStream(seed: 4, purpose: "test.moons")
        let n = 10_000
        var points = [Double](repeating: 0, count: 2 * n), labels = [Int32](repeating: -1, count: n)
        points.withUnsafeMutableBufferPointer { p in labels.withUnsafeMutableBufferPointer { moons.sample(count: n, into: p.baseAddress!, labels: $0.baseAddress!, stream: &stream) } }
        for i in 0 ..< n {
            let x = points[2 * i], y = points[2 * i + 1]
            let (cx, cy) = labels[i] == 0 ? (0.0, 0.0) : (1.0, 0.5)
            #expect(abs((x - cx) * (x - cx) + (y - cy) * (y - cy) - 1) < 1e-12)
            #expect(labels[i] == 0 ? y >= 0 : y <= 0.5)
        }
        #expect(abs(Double(labels.filter { $0 == 1 }.count) / Double(n) - 0.5) < 0.03)
    }

    @Test("the noiseless Swiss roll has radius scale·θ at angle θ ∈ [1.5π, 4.5π)")
    func swissRollRecipe() throws {
        let roll = try SwissRoll(scale: 0.2, noise: 0)
        var stream = RandomStream(seed: 6, purpose: "test.swiss-roll")
        let points = roll.sample(count: 5_000, stream: &stream)
        for i in 0 ..< 5_000 {
            let radius = (points[2 * i] * points[2 * i] + points[2 * i + 1] * points[2 * i + 1]).squareRoot()
            let theta = radius / 0.2
            #expect(theta >= 1.5 * .pi - 1e-9 && theta < 4.5 * .pi + 1e-9)
            #expect(abs(0.2 * theta * cos(theta) - points[2 * i]) < 1e-9)
        }
    }

    @Test("sampling is reproducible from the stream")
    func reproducible() throws {
        let moons = try TwoMoons()
        var a = RandomStream(seed: 1, purpose: "x"), b = RandomStream(seed: 1, purpose: "x")
        #expect(moons.sample(count: 100, stream: &a) == moons.sample(count: 100, stream: &b))
    }
}
