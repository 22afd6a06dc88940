import Foundation
import HDF5
import Environments
import Tensors
import Testing
@testable import Analysis

@Suite("Fréchet distance")
struct FrechetDistanceTests {
    /// A random symmetric positive-definite d × d matrix A Aᵀ + εI.
    static func randomCovariance(_ d: Int, seed: UInt64, ridge: Double = 0.1) -> [Double] {
        var stream = RandomStream(seed: seed, purpose: "fd-test-7")
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<(d * d) { a[i] = stream.nextNormal() }
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { for k in 0..<d { c[i * d + j] += a[i * d + k] * a[j * d + k] } } }
        for i in 0..<d { c[i * d + i] += ridge }
        return c
    }

    @Test("Jacobi eigendecomposition reconstructs a random symmetric matrix with orthogonal vectors")
    func eigendecompositionReconstructs() {
        let d = 12
        let a = Self.randomCovariance(d, seed: 3)
        let e = SymmetricEigendecomposition(symmetric: a, size: d, computeVectors: true)
        let rebuilt = e.applying { $0 }
        for i in 0..<(d * d) { #expect(abs(rebuilt[i] - a[i]) < 1e-10 * 50) }
        for i in 0..<d {
            for j in 0..<d {
                var dot = 0.0
                for k in 0..<d { dot += e.vectors[k * d + i] * e.vectors[k * d + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
        var trace = 0.0
        for i in 0..<d { trace += a[i * d + i] }
        #expect(abs(e.values.reduce(0, +) - trace) < 1e-10 * trace)
    }

    @Test("commuting (diagonal) covariances: FD = ‖Δμ‖² + Σ (√σ_a − √σ_b)²")
    func diagonalClosedForm() throws {
        let meanA = [0.5, -1.0, 2.0], meanB = [0.0, 1.0, 2.5]
        let varA = [1.0, 4.0, 0.25], varB = [9.0, 1.0, 0.25]
        func diagonal(_ v: [Double]) -> [Double] {
            var m = [Double](repeating: 0, count: 9)
            for i in 0..<3 { m[i * 3 + i] = v[i] }
            return m
        }
        let a = try FeatureStatistics(mean: meanA, covariance: diagonal(varA), count: 10)
        let b = try FeatureStatistics(mean: meanB, covariance: diagonal(varB), count: 10)
        var expected = 0.0
        for i in 0..<3 {
            expected += (meanA[i] - meanB[i]) * (meanA[i] - meanB[i])
            expected += (varA[i].squareRoot() - varB[i].squareRoot()) * (varA[i].squareRoot() - varB[i].squareRoot())
        }
        #expect(abs(try SampleDistance.frechetDistance(a, b) - expected) < 1e-12)
    }

    @Test("non-commuting 2 × 2 covariances: tr (Σ_a^½ Σ_b Σ_a^½)^½ = √(tr Σ_aΣ_b + 2√(det Σ_a det Σ_b))")
    func twoByTwoClosedForm() throws {
        for seed in UInt64(0)..<20 {
            let ca = Self.randomCovariance(2, seed: 100 + seed), cb = Self.randomCovariance(2, seed: 200 + seed)
            let a = try FeatureStatistics(mean: [1, 2], covariance: ca, count: 5)
            let b = try FeatureStatistics(mean: [0, -1], covariance: cb, count: 5)
            let traceAB = ca[0] * cb[0] + ca[1] * cb[2] + ca[2] * cb[1] + ca[3] * cb[3]
            let det = (ca[0] * ca[3] - ca[1] * ca[2]) * (cb[0] * cb[3] - cb[1] * cb[2])
            let cross = (traceAB + 2 * det.squareRoot()).squareRoot()
            let expected = 1 + 9 + ca[0] + ca[3] + cb[0] + cb[3] - 2 * cross
            let fd = try SampleDistance.frechetDistance(a, b)
            #expect(abs(fd - expected) < 1e-10 * max(1, abs(expected)), "seed \(seed): \(fd) vs \(expected)")
        }
    }

    @Test("FD is symmetric, zero for equal moments and unchanged by a common rotation of both sets")
    func symmetryAndInvariance() throws {
        let d = 6
        let ca = Self.randomCovariance(d, seed: 11), cb = Self.randomCovariance(d, seed: 12, ridge: 0.01)
        let a = try FeatureStatistics(mean: Array(repeating: 0.3, count: d), covariance: ca, count: 5)
        let b = try FeatureStatistics(mean: (0..<d).map { Double($0) / 4 }, covariance: cb, count: 5)
        let ab = try SampleDistance.frechetDistance(a, b), ba = try SampleDistance.frechetDistance(b, a)
        #expect(ab > 0.1)
        #expect(abs(ab - ba) < 1e-9 * ab)
        #expect(abs(try SampleDistance.frechetDistance(a, a)) < 1e-9)
        // Rotate both by the eigenvectors of a third SPD matrix: Q μ, Q Σ Qᵀ.
        let q = SymmetricEigendecomposition(symmetric: Self.randomCovariance(d, seed: 13), size: d, computeVectors: true).vectors
        func rotate(_ s: FeatureStatistics) throws -> FeatureStatistics {
            var mean = [Double](repeating: 0, count: d), qs = [Double](repeating: 0, count: d * d), cov = qs
            for i in 0..<d { for k in 0..<d { mean[i] += q[i * d + k] * s.mean[k] } }
            for i in 0..<d { for j in 0..<d { for k in 0..<d { qs[i * d + j] += q[i * d + k] * s.covariance[k * d + j] } } }
            for i in 0..<d { for j in 0..<d { for k in 0..<d { cov[i * d + j] += qs[i * d + k] * q[j * d + k] } } }
            for i in 0..<d { for j in 0..<i { let m = (cov[i * d + j] + cov[j * d + i]) / 2; cov[i * d + j] = m; cov[j * d + i] = m } }
            return try FeatureStatistics(mean: mean, covariance: cov, count: s.count)
        }
        #expect(abs(try SampleDistance.frechetDistance(rotate(a), rotate(b)) - ab) < 1e-9 * ab)
    }

    @Test("moments of features: the mean and the unbiased covariance")
    func momentsOfFeatures() throws {
        let features: [Double] = [1, 2, 3, 6, 5, 10]  // three 2-D vectors
        let s = try FeatureStatistics(features: features, dimension: 2)
        #expect(s.count == 3)
        #expect(s.mean == [3, 6])
        // centred: (−2,−4), (0,0), (2,4) → Σ = [[8, 16], [16, 32]] / 2
        #expect(s.covariance == [4, 8, 8, 16])
    }

    @Test("a sample of N(μ, Σ) approaches its own moments: FD(sample, truth) shrinks with n")
    func sampleConverges() throws {
        let d = 4
        let c = Self.randomCovariance(d, seed: 21)
        let root = SymmetricEigendecomposition(symmetric: c, size: d, computeVectors: true).applying { $0.squareRoot() }
        let truth = try FeatureStatistics(mean: [1, -1, 0, 2], covariance: c, count: 0)
        func sample(_ n: Int) throws -> Double {
            var stream = RandomStream(seed: 5, purpose: "fd-test-8")
            var features = [Double](repeating: 0, count: n * d)
            for i in 0..<n {
                let z = (0..<d).map { _ in stream.nextNormal() }
                for j in 0..<d {
                    var v = truth.mean[j]
                    for k in 0..<d { v += root[j * d + k] * z[k] }
                    features[i * d + j] = v
                }
            }
            return try SampleDistance.frechetDistance(FeatureStatistics(features: features, dimension: d), truth)
        }
        let small = try sample(200), large = try sample(20_000)
        #expect(large < small / 10)
        #expect(large < 0.01)
    }

    @Test("digits: FD(test, train) in pixel space is far below FD(noise, test)")
    func digitsPixelSpace() throws {
        let path = Self.digitsPath
        let file = try HDF5File(path)
        let data: [Float] = try file.openDataset("data").read()
        let split: [UInt8] = try file.openDataset("split").read()
        let d = 64
        var train = [Double](), test = [Double]()
        for i in 0..<split.count {
            let row = data[(i * d)..<((i + 1) * d)].map { Double($0) }
            if split[i] == 0 { train += row } else { test += row }
        }
        var stream = RandomStream(seed: 1, purpose: "fd-test-9")
        let noise = (0..<test.count).map { _ in stream.nextNormal() }
        let fdSplit = try SampleDistance.frechetDistance(test, train, dimension: d)
        let fdNoise = try SampleDistance.frechetDistance(noise, test, dimension: d)
        #expect(fdSplit > 0)
        #expect(fdSplit * 20 < fdNoise, "FD(test, train) = \(fdSplit), FD(noise, test) = \(fdNoise)")
    }

    @Test("digits, committed classifier's features: FD(test, train) is far below FD(noise, test)")
    func digitsClassifierFeatures() throws {
        let root = URL(fileURLWithPath: Self.digitsPath).deletingLastPathComponent()
        let evaluation = try ImageClassifierEvaluation(checkpointPath: root.appendingPathComponent("digits-classifier.h5").path)
        let train = try EmpiricalDataset(contentsOf: Self.digitsPath, part: .train, expectedPointShape: [1, 8, 8], classCount: 10)
        let test = try EmpiricalDataset(contentsOf: Self.digitsPath, part: .test, expectedPointShape: [1, 8, 8], classCount: 10)
        let f = evaluation.featureCount
        let testStatistics = try FeatureStatistics(features: try evaluation.penultimateFeatures(images: test.points), dimension: f)
        let trainStatistics = try FeatureStatistics(features: try evaluation.penultimateFeatures(images: train.points), dimension: f)
        var stream = RandomStream(seed: 2, purpose: "fd-test-noise-images")
        let noise = (0..<test.points.count).map { _ in Float(stream.nextUniform(in: -1..<1)) }
        let noiseStatistics = try FeatureStatistics(features: try evaluation.penultimateFeatures(images: noise), dimension: f)
        let fdSplit = try SampleDistance.frechetDistance(trainStatistics, testStatistics)
        let fdNoise = try SampleDistance.frechetDistance(noiseStatistics, testStatistics)
        #expect(fdSplit > 0)
        #expect(fdSplit * 20 < fdNoise, "FD(train, test) = \(fdSplit), FD(noise, test) = \(fdNoise)")
    }

    @Test("bad input: dimension mismatch, fewer than 2 vectors and non-finite features say what is wrong")
    func badInput() throws {
        let a = try FeatureStatistics(features: [1, 2, 3, 4] as [Double], dimension: 2)
        let b = try FeatureStatistics(features: [1, 2, 3, 4, 5, 6] as [Float], dimension: 3)
        #expect(throws: SampleQualityError.self) { try SampleDistance.frechetDistance(a, b) }
        do {
            _ = try FeatureStatistics(features: [1, 2] as [Double], dimension: 2)
            Issue.record("one vector must be refused")
        } catch { #expect("\(error)".contains("at least 2")) }
        do {
            _ = try FeatureStatistics(features: [1, .nan, 3, 4] as [Double], dimension: 2)
            Issue.record("NaN must be refused")
        } catch { #expect("\(error)".contains("feature 1 of vector 0")) }
        #expect(throws: SampleQualityError.dimensionMismatch(values: 5, dimension: 2)) {
            try FeatureStatistics(features: [1, 2, 3, 4, 5] as [Double], dimension: 2)
        }
        // Given moments: Σ = [[1, 2], [2, 1]] has eigenvalues 3 and −1 (the square roots used to clip the −1 to 0).
        #expect { try FeatureStatistics(mean: [0, 0], covariance: [1, 2, 2, 1], count: 3) } throws: {
            "\($0)".contains("not positive semi-definite: its smallest eigenvalue is -")
        }
        #expect { try FeatureStatistics(mean: [0], covariance: [1], count: -1) } throws: { "\($0)".contains("count ≥ 0") }
        // Singular but semi-definite (eigenvalues 2 and 0) is fine.
        #expect(try FeatureStatistics(mean: [0, 0], covariance: [1, 1, 1, 1], count: 0).dimension == 2)
    }

    /// Experiments/Data/digits-8x8.h5, found from this file's location.
    static var digitsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments/Data/digits-8x8.h5").path
    }
}
