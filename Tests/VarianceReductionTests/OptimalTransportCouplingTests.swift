import PropertyBased
import Testing
import VarianceReduction

@Suite("Minibatch optimal-transport coupling")
struct OptimalTransportCouplingTests {
    func permutations(_ n: Int) -> [[Int]] {
        guard n > 0 else { return [[]] }
        return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
    }

    @Test("the assignment equals brute force over all permutations for B ≤ 7", arguments: [1, 2, 3, 4, 5, 6, 7])
    func equalsBruteForce(size: Int) throws {
        for seed in UInt64(0)..<4 {
            let dimension = 1 + Int(seed % 3)
            let sources = normals(size * dimension, seed: seed, purpose: "z"), targets = normals(size * dimension, seed: seed, purpose: "x")
            let pairing = try OptimalTransportCoupling.assignment(sources: sources, targets: targets, dimension: dimension)
            #expect(pairing.sorted() == Array(0..<size))
            let cost = try OptimalTransportCoupling.totalCost(sources: sources, targets: targets, dimension: dimension, pairing: pairing)
            let best = try permutations(size).map {
                try OptimalTransportCoupling.totalCost(sources: sources, targets: targets, dimension: dimension, pairing: $0)
            }.min()!
            #expect(abs(cost - best) <= 1e-12 * (1 + best), "B \(size) seed \(seed)")
        }
    }

    @Test("the coupling is a permutation whose cost never exceeds the identity pairing's")
    func neverWorseThanIdentity() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...60), Gen.int(in: 1...8), Gen.int(in: 0...100_000)) { size, dimension, seed in
            let sources = normals(size * dimension, seed: UInt64(seed), purpose: "z")
            let targets = normals(size * dimension, seed: UInt64(seed), purpose: "x").map { $0 * 2 + 1 }
            let pairing = try! OptimalTransportCoupling.assignment(sources: sources, targets: targets, dimension: dimension)
            #expect(pairing.sorted() == Array(0..<size))
            let cost = try! OptimalTransportCoupling.totalCost(sources: sources, targets: targets, dimension: dimension, pairing: pairing)
            let identity = try! OptimalTransportCoupling.totalCost(sources: sources, targets: targets, dimension: dimension,
                                                                   pairing: Array(0..<size))
            #expect(cost <= identity + 1e-9 * identity)
        }
    }

    @Test("coupling the noise permutes its rows to the assignment")
    func coupleNoisePermutesRows() throws {
        var noise: [Double] = [10, 10, 0, 0, 5, 5]
        let data: [Double] = [0.1, 0, 4.9, 5, 9, 10]
        let pairing = try OptimalTransportCoupling.coupleNoise(&noise, to: data, dimension: 2)
        #expect(pairing == [1, 2, 0])
        #expect(noise == [0, 0, 5, 5, 10, 10])
    }

    @Test("batches larger than 1024 and mismatched or non-finite inputs are rejected")
    func rejectsBadInputs() {
        let big = [Double](repeating: 0, count: 1025)
        #expect(throws: OptimalTransportError.batchTooLarge(1025, limit: 1024)) {
            try OptimalTransportCoupling.assignment(sources: big, targets: big, dimension: 1)
        }
        #expect(String(describing: OptimalTransportError.batchTooLarge(1025, limit: 1024)).contains("≤ 1024"))
        #expect(throws: OptimalTransportError.self) { try OptimalTransportCoupling.assignment(sources: [0, 1], targets: [0], dimension: 1) }
        #expect(throws: OptimalTransportError.self) { try OptimalTransportCoupling.assignment(sources: [0, .nan], targets: [0, 1], dimension: 1) }
    }

    /// Finite points whose squared distance overflows Double used to send the augmenting-path search
    /// round forever (no column with a finite reduced cost, so it kept returning to the virtual one).
    @Test("finite points whose squared distance overflows are rejected, naming the first pair, instead of hanging",
          .timeLimit(.minutes(1)))
    func overflowingCostsAreRejected() throws {
        #expect(throws: OptimalTransportError.costOverflow(targetRow: 0, sourceRow: 0)) {
            try OptimalTransportCoupling.assignment(sources: [1e200], targets: [-1e200], dimension: 1)
        }
        // Only the pairs with the far point overflow; the first in row-major order is data row 0, noise row 2.
        #expect(throws: OptimalTransportError.costOverflow(targetRow: 0, sourceRow: 2)) {
            try OptimalTransportCoupling.assignment(sources: [0, 1, 1e160], targets: [0, 1, -1e160], dimension: 1)
        }
        #expect(String(describing: OptimalTransportError.costOverflow(targetRow: 0, sourceRow: 2)).contains("rescale"))
        // Large but representable costs are solved, and scaling every point scales every cost alike,
        // so the assignment is that of the unscaled points.
        let sources = normals(40 * 3, seed: 9, purpose: "z"), targets = normals(40 * 3, seed: 9, purpose: "x")
        let pairing = try OptimalTransportCoupling.assignment(sources: sources, targets: targets, dimension: 3)
        #expect(try OptimalTransportCoupling.assignment(sources: sources.map { $0 * 1e100 }, targets: targets.map { $0 * 1e100 },
                                                        dimension: 3) == pairing)
    }

    @Test("the total cost needs a permutation: a repeated or out-of-range source row is rejected")
    func totalCostNeedsAPermutation() {
        #expect(throws: OptimalTransportError.invalidPairing("gives the source row 0 to more than one data row (again to row 1)")) {
            try OptimalTransportCoupling.totalCost(sources: [0, 1], targets: [0, 1], dimension: 1, pairing: [0, 0])
        }
        #expect(throws: OptimalTransportError.invalidPairing("gives data row 0 the source row 5, outside 0..<1")) {
            try OptimalTransportCoupling.totalCost(sources: [0], targets: [1], dimension: 1, pairing: [5])
        }
        #expect(throws: OptimalTransportError.invalidPairing("gives data row 0 the source row -1, outside 0..<1")) {
            try OptimalTransportCoupling.totalCost(sources: [0], targets: [1], dimension: 1, pairing: [-1])
        }
    }
}
