import Environments
import Foundation
import Tensors
import Testing
import VarianceReduction

@Suite("Score-identity denoiser (Double)")
struct ScoreIdentityDenoiserTests {
    let denoiser = ScoreIdentityDenoiser()

    @Test("score identity with one reference equals the conditional estimator: D̂ = x₀, x̂_r = x₀ + r z")
    func oneReferenceIsConditional() throws {
        let count = 9, dimension = 3
        let x0 = normals(count * dimension, seed: 1, purpose: "x0"), z = normals(count * dimension, seed: 1, purpose: "z")
        let times = uniforms(count, in: 0.01..<20, seed: 1, purpose: "t")
        let targets = times.enumerated().map { $0.offset % 3 == 0 ? 0 : $0.element * 0.6 }
        let noisy = (0..<(count * dimension)).map { x0[$0] + times[$0 / dimension] * z[$0] }
        let references = try ScoreIdentityReferences.ownPlusPool(own: x0, pool: [], dimension: dimension)
        let (estimate, ess) = try denoiser.estimateWithEffectiveSampleSizes(noisy, times: times, references: references)
        #expect(estimate == x0)
        #expect(ess.allSatisfy { $0 == 1 })
        let transition = try denoiser.transition(noisy, times: times, targetTimes: targets, references: references)
        for i in 0..<(count * dimension) {
            let conditional = x0[i] + targets[i / dimension] * z[i]
            #expect(abs(transition[i] - conditional) <= 1e-12 * (1 + abs(conditional) + abs(noisy[i])))
            if targets[i / dimension] == 0 { #expect(transition[i] == x0[i]) }
        }
    }

    @Test("with references from the ring of 8 the error to the exact denoiser shrinks as the pool grows")
    func errorShrinksWithPoolSize() throws {
        let ring = try GaussianMixture.ring()
        let count = 64, dimension = 2, t = 1.0
        var dataStream = RandomStream(seed: 7, purpose: "queries")
        let x0 = ring.sample(count: count, stream: &dataStream)
        let z = normals(count * dimension, seed: 7, purpose: "z")
        let noisy = (0..<(count * dimension)).map { x0[$0] + t * z[$0] }
        var exact = [Double](repeating: 0, count: noisy.count)
        noisy.withUnsafeBufferPointer { x in exact.withUnsafeMutableBufferPointer { ring.denoise(x.baseAddress!, count: count, time: t, into: $0.baseAddress!) } }
        var errors: [Double] = []
        for poolSize in [16, 256, 4096] {
            var poolStream = RandomStream(seed: 8, purpose: "pool")
            let pool = ring.sample(count: poolSize - 1, stream: &poolStream)
            let references = try ScoreIdentityReferences.ownPlusPool(own: x0, pool: pool, dimension: dimension)
            let estimate = try denoiser.estimate(noisy, times: [Double](repeating: t, count: count), references: references)
            var totalError = 0.0
            for row in 0..<count {
                let slice = (row * dimension)..<((row + 1) * dimension)
                totalError += squaredDistance(estimate[slice], exact[slice]).squareRoot()
            }
            errors.append(totalError / Double(count))
        }
        #expect(errors[0] > errors[1] && errors[1] > errors[2], "errors \(errors)")
        #expect(errors[2] < 0.1, "errors \(errors)")
    }

    @Test("class-conditional estimates give references of other labels zero weight")
    func classConditionalRestriction() throws {
        let dimension = 2, referenceCount = 40, count = 6
        let points = normals(referenceCount * dimension, seed: 3, purpose: "refs")
        let labels = (0..<referenceCount).map { Int32($0 % 3) }
        let queries = normals(count * dimension, seed: 3, purpose: "queries")
        let queryLabels: [Int32] = [0, 1, 2, 2, 1, 0]
        let times = uniforms(count, in: 0.3..<2, seed: 3, purpose: "t")
        let all = try ScoreIdentityReferences.shared(points: points, labels: labels, dimension: dimension)
        let estimate = try denoiser.estimate(queries, times: times, queryLabels: queryLabels, references: all)
        for row in 0..<count {
            let subset = (0..<referenceCount).filter { labels[$0] == queryLabels[row] }.flatMap { points[($0 * dimension)..<(($0 + 1) * dimension)] }
            let restricted = try ScoreIdentityReferences.shared(points: subset, dimension: dimension)
            let expected = try denoiser.estimate(Array(queries[(row * dimension)..<((row + 1) * dimension)]), times: [times[row]], references: restricted)
            #expect(Array(estimate[(row * dimension)..<((row + 1) * dimension)]) == expected)
        }
        let unrestricted = try denoiser.estimate(queries, times: times, references: all)
        #expect(unrestricted != estimate)
    }

    @Test("a query whose label no reference carries is an error naming the label; labels must exist")
    func missingLabelIsAnError() throws {
        let references = try ScoreIdentityReferences.shared(points: [0, 0, 1, 1], labels: [0, 1], dimension: 2)
        #expect(throws: ScoreIdentityError.noReferenceWithLabel(row: 1, label: 5)) {
            try denoiser.estimate([0, 0, 1, 1], times: [1, 1], queryLabels: [0, 5], references: references)
        }
        #expect(String(describing: ScoreIdentityError.noReferenceWithLabel(row: 1, label: 5)).contains("label 5"))
        let unlabelled = try ScoreIdentityReferences.shared(points: [0, 0, 1, 1], dimension: 2)
        #expect(throws: ScoreIdentityError.labelsMissing(what: "the shared reference set")) {
            try denoiser.estimate([0, 0], times: [1], queryLabels: [0], references: unlabelled)
        }
    }

    @Test("invalid inputs are rejected: times ≤ 0 or NaN, r outside [0, t], mismatched sizes")
    func invalidInputs() throws {
        let references = try ScoreIdentityReferences.shared(points: [0, 0, 1, 1], dimension: 2)
        #expect(throws: ScoreIdentityError.invalidTime(row: 0, value: 0)) { try denoiser.estimate([0, 0], times: [0], references: references) }
        #expect(throws: ScoreIdentityError.self) { try denoiser.estimate([0, 0], times: [.nan], references: references) }
        #expect(throws: ScoreIdentityError.invalidTargetTime(row: 0, value: 2, time: 1)) {
            try denoiser.transition([0, 0], times: [1], targetTimes: [2], references: references)
        }
        #expect(throws: ScoreIdentityError.self) { try denoiser.estimate([0, 0, 0], times: [1], references: references) }
        #expect(throws: ScoreIdentityError.self) { try denoiser.estimate([0, 0], times: [1, 1], references: references) }
        #expect(throws: ScoreIdentityError.self) { try ScoreIdentityReferences<Double>.shared(points: [0, 0, 1], dimension: 2) }
        #expect(throws: ScoreIdentityError.emptyReferences) { try ScoreIdentityReferences<Double>.shared(points: [], dimension: 2) }
        let ownPlusPool = try ScoreIdentityReferences.ownPlusPool(own: [0, 0, 1, 1], pool: [2, 2], dimension: 2)
        #expect(throws: ScoreIdentityError.queryCountMismatch(queries: 1, ownPoints: 2)) {
            try denoiser.estimate([0, 0], times: [1], references: ownPlusPool)
        }
    }

    @Test("tiny t and far-away points give finite results equal to the nearest reference")
    func stableAtTinyTimeAndFarPoints() throws {
        let dimension = 4, referenceCount = 30
        let points = normals(referenceCount * dimension, seed: 5, purpose: "refs").map { $0 * 3 }
        let references = try ScoreIdentityReferences.shared(points: points, dimension: dimension)
        let far = normals(5 * dimension, seed: 5, purpose: "far").map { $0 * 1e4 }
        let near = (0..<(5 * dimension)).map { points[$0 + 7 * dimension] + 1e-3 * Double($0 % 3) }
        for (queries, t) in [(near, 1e-4), (far, 1.0), (far, 1e-4)] {
            let estimate = try denoiser.estimate(queries, times: [Double](repeating: t, count: 5), references: references)
            #expect(estimate.allSatisfy { $0.isFinite })
            for row in 0..<5 {
                let x = queries[(row * dimension)..<((row + 1) * dimension)]
                let nearest = (0..<referenceCount).min { a, b in
                    squaredDistance(x, points[(a * dimension)..<((a + 1) * dimension)])
                        < squaredDistance(x, points[(b * dimension)..<((b + 1) * dimension)])
                }!
                #expect(Array(estimate[(row * dimension)..<((row + 1) * dimension)])
                        == Array(points[(nearest * dimension)..<((nearest + 1) * dimension)]))
            }
        }
    }

    @Test("below t ≈ 1e−154, where −1/2t² overflows, D̂ is still the nearest reference, with or without labels",
          arguments: [1e-160, 1e-200])
    func nearestReferenceWhereTheLogWeightScaleOverflows(t: Double) throws {
        let dimension = 2
        let points: [Double] = [0, 0, 1000, 1000, -3, 5, 1, 0, -1, 0]
        let references = try ScoreIdentityReferences.shared(points: points, labels: [0, 1, 1, 2, 2], dimension: dimension)
        // Near a reference, far from all, exactly on one (the 0·∞ case) and between two.
        let queries: [Double] = [999, 999.5, -2.9, 5.1, 5000, 5000, -3, 5, 0.1, 0.2]
        let (estimate, ess) = try denoiser.estimateWithEffectiveSampleSizes(queries, times: [Double](repeating: t, count: 5),
                                                                           references: references)
        #expect(estimate == [1000, 1000, -3, 5, 1000, 1000, -3, 5, 0, 0])
        #expect(ess == [1, 1, 1, 1, 1])
        // Class-conditional: the nearest of the query's class; two equally near references share the weight.
        let (conditional, conditionalESS) = try denoiser.estimateWithEffectiveSampleSizes(
            [0.2, 0, 0, 0], times: [t, t], queryLabels: [1, 2], references: references)
        #expect(conditional == [-3, 5, 0, 0])
        #expect(conditionalESS == [1, 2])
    }

    @Test("a query so far away that every squared distance overflows is an error saying so, not a missing label")
    func overflowingDistancesAreNamed() throws {
        let references = try ScoreIdentityReferences.shared(points: [0, 0, 1, 1], labels: [0, 1], dimension: 2)
        #expect(throws: ScoreIdentityError.noFiniteDistance(row: 1)) {
            try denoiser.estimate([0, 0, 1e200, 0], times: [1, 1], references: references)
        }
        #expect(throws: ScoreIdentityError.noFiniteDistance(row: 0)) {
            try denoiser.estimate([1e200, 0], times: [1], queryLabels: [1], references: references)
        }
        #expect(throws: ScoreIdentityError.noReferenceWithLabel(row: 0, label: 2)) {
            try denoiser.estimate([1e200, 0], times: [1], queryLabels: [2], references: references)
        }
        #expect(String(describing: ScoreIdentityError.noFiniteDistance(row: 1)).contains("query 1"))
    }

    @Test("own-plus-pool at t = 0.002 with a pool of ring samples gives D̂ = the own x₀ (to 1e−12)")
    func ownPointTakesTheWeightAtMinimumTime() throws {
        let ring = try GaussianMixture.ring()
        let count = 16, poolCount = 63, dimension = 2, t = 0.002
        // Seed 22: no pool point comes close enough to an own point to share its weight (checked below).
        var ownStream = RandomStream(seed: 22, purpose: "own"), poolStream = RandomStream(seed: 22, purpose: "pool")
        let own = ring.sample(count: count, stream: &ownStream), pool = ring.sample(count: poolCount, stream: &poolStream)
        let z = normals(count * dimension, seed: 22, purpose: "z")
        let queries = (0..<(count * dimension)).map { own[$0] + t * z[$0] }
        // Every pool point's log-weight is at least 60 below the own point's, so D̂ − x₀ is far below
        // 1e−12, while D̂ without the own point would be a pool point ≥ 0.02 away.
        for row in 0..<count {
            let x = queries[(row * dimension)..<((row + 1) * dimension)]
            let ownDistance = squaredDistance(x, own[(row * dimension)..<((row + 1) * dimension)])
            let nearestPool = (0..<poolCount).map { squaredDistance(x, pool[($0 * dimension)..<(($0 + 1) * dimension)]) }.min()!
            try #require((nearestPool - ownDistance) / (2 * t * t) > 60, "row \(row)")
        }
        let references = try ScoreIdentityReferences.ownPlusPool(own: own, pool: pool, dimension: dimension)
        let (estimate, ess) = try denoiser.estimateWithEffectiveSampleSizes(queries, times: [Double](repeating: t, count: count),
                                                                           references: references)
        for i in 0..<(count * dimension) {
            #expect(abs(estimate[i] - own[i]) <= 1e-12, "coordinate \(i): D̂ = \(estimate[i]), own x₀ = \(own[i])")
        }
        #expect(ess.allSatisfy { $0 == 1 })
    }

    @Test("the effective sample size lies in [1, n], is n for identical references and 1 for one dominant reference")
    func effectiveSampleSizeBounds() throws {
        let dimension = 3, referenceCount = 50, count = 20
        let references = try ScoreIdentityReferences.shared(points: normals(referenceCount * dimension, seed: 9, purpose: "r"), dimension: dimension)
        let times = uniforms(count, in: 0.01..<50, seed: 9, purpose: "t")
        let (_, ess) = try denoiser.estimateWithEffectiveSampleSizes(normals(count * dimension, seed: 9, purpose: "q"),
                                                                     times: times, references: references)
        #expect(ess.allSatisfy { $0 >= 1 - 1e-12 && $0 <= Double(referenceCount) + 1e-9 })
        let identical = try ScoreIdentityReferences.shared(points: [Double](repeating: 0.5, count: 7 * dimension), dimension: dimension)
        let uniform = try denoiser.estimateWithEffectiveSampleSizes([1, 2, 3], times: [1], references: identical).effectiveSampleSizes
        #expect(abs(uniform[0] - 7) < 1e-12)
        let dominant = try denoiser.estimateWithEffectiveSampleSizes(Array(references.points[0..<3]), times: [1e-3], references: references)
        #expect(dominant.effectiveSampleSizes[0] == 1)
    }
}

func squaredDistance(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
    zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
}
