import Testing
import VarianceReduction

@Suite("Score-identity references in another precision")
struct ScoreIdentityReferencesPrecisionTests {
    @Test("a Double reference set rounded to Float keeps its layout and labels and rounds every point")
    func roundsEveryPointAndKeepsTheLayout() throws {
        let pool = normals(12, seed: 3, purpose: "pool"), own = normals(8, seed: 3, purpose: "own")
        let shared = try ScoreIdentityReferences.shared(points: pool, labels: [0, 1, 0, 2, 1, 1], dimension: 2)
        let sharedFloat = try shared.converted(to: Float.self)
        #expect(sharedFloat.layout == .shared)
        #expect(sharedFloat.dimension == 2)
        #expect(sharedFloat.points == pool.map { Float($0) })
        #expect(sharedFloat.labels == [0, 1, 0, 2, 1, 1])
        #expect(sharedFloat.ownPoints.isEmpty)

        let pooled = try ScoreIdentityReferences.ownPlusPool(own: own, ownLabels: [1, 0, 1, 2], pool: pool,
                                                             poolLabels: [0, 1, 0, 2, 1, 1], dimension: 2)
        let pooledFloat = try pooled.converted(to: Float.self)
        #expect(pooledFloat.layout == .ownPlusPool)
        #expect(pooledFloat.ownPoints == own.map { Float($0) })
        #expect(pooledFloat.ownLabels == [1, 0, 1, 2])
        #expect(pooledFloat.points == pool.map { Float($0) })
        #expect(pooledFloat.referenceSize == 7)
    }

    @Test("a point beyond Float's range is rejected as non-finite, naming the set and the row")
    func outOfRangePointIsRejected() throws {
        let references = try ScoreIdentityReferences.shared(points: [0, 1, 2, 1e39], dimension: 2)
        #expect { try references.converted(to: Float.self) } throws: { error in
            guard case let ScoreIdentityError.nonFinite(what, row) = error else { return false }
            return what.contains("shared") && row == 1
        }
    }
}
