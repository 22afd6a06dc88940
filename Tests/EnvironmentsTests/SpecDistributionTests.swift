import Foundation
import Testing
@testable import Environments

/// JSON distribution specs: round trips and every kind of bad input.
@Suite("Distribution specs")
struct SpecDistributionTests {
    private static func decode(_ text: String) throws(DistributionSpecError) -> DistributionSpec {
        try DistributionSpec.decode(json: Data(text.utf8))
    }

    private static func error(_ text: String) -> DistributionSpecError? {
        do { _ = try decode(text); return nil } catch { return error }
    }

    private static let goodMixture = #"{"kind": "gaussian-mixture", "weights": [1, 3], "means": [[0, 0], [2, 1]], "stds": [0.5, 0.25], "sigma_min": 0.002, "sigma_max": 80}"#

    @Test("the Gaussian mixture spec decodes to the documented fields and builds the mixture")
    func gaussianMixtureSpec() throws {
        let spec = try Self.decode(Self.goodMixture)
        guard case let .gaussianMixture(payload) = spec else { Issue.record("wrong kind \(spec.kind)"); return }
        #expect(payload.weights == [1, 3] && payload.means == [[0, 0], [2, 1]] && payload.stds == [0.5, 0.25])
        #expect(payload.noise == NoiseRange(sigmaMin: 0.002, sigmaMax: 80))
        let mixture = try #require(try spec.makeDistribution() as? GaussianMixture)
        #expect(mixture.weights == [0.25, 0.75] && mixture.dimension == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: spec.encodedJSON()) as? [String: Any])
        #expect(Set(object.keys) == ["kind", "weights", "means", "stds", "sigma_min", "sigma_max"])
        #expect(object["kind"] as? String == "gaussian-mixture")
    }

    @Test("every kind round-trips through JSON")
    func roundTrip() throws {
        let specs: [DistributionSpec] = [
            .gaussianMixture(GaussianMixtureSpec(weights: [1, 2], means: [[0.5], [-1]], stds: [0.1, 0.2], noise: NoiseRange(sigmaMin: 0.01, sigmaMax: 10))),
            .ring(RingSpec(modes: 8, radius: 4, std: 0.1)),
            .grid(GridSpec(side: 5, spacing: 2, std: 0.05)),
            .randomMixture(RandomMixtureSpec(dimension: 32, modes: 10, seed: 12_345_678_901, spread: 3, std: 0.2)),
            .checkerboard(CheckerboardSpec(cells: 6, cellSize: 0.5)),
            .twoMoons(TwoMoonsSpec(noise: 0.05, scale: 2)),
            .swissRoll(SwissRollSpec(scale: 0.25, noise: 0.1)),
            .studentTMixture(StudentTMixtureSpec(weights: [1, 1], means: [[0, 0], [3, 3]], scales: [1, 0.5], degreesOfFreedom: [3, 5.5])),
            .empirical(EmpiricalSpec(path: "data/x.h5", testFraction: 0.1, splitSeed: 3, part: "test")),
        ]
        let storedSplit = DistributionSpec.empirical(EmpiricalSpec(path: "data/x.h5", splitPath: "/fold", part: "test"))
        #expect(try DistributionSpec.decode(json: storedSplit.encodedJSON()) == storedSplit)
        #expect(Set(specs.map(\.kind)) == Set(DistributionSpec.knownKinds))
        for spec in specs {
            let decoded = try DistributionSpec.decode(json: spec.encodedJSON())
            #expect(decoded == spec, "\(spec.kind) did not round-trip")
            if case .empirical = spec { continue }
            let distribution = try spec.makeDistribution()
            #expect(distribution.dimension >= 1)
        }
    }

    @Test("optional fields take their documented defaults")
    func defaults() throws {
        let spec = try Self.decode(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [1]}"#)
        #expect(spec.noiseRange == NoiseRange(sigmaMin: 0.002, sigmaMax: 80))
        #expect(try Self.decode(#"{"kind": "checkerboard"}"#) == .checkerboard(CheckerboardSpec(cells: 4, cellSize: 1)))
        #expect(try Self.decode(#"{"kind": "two-moons"}"#) == .twoMoons(TwoMoonsSpec(noise: 0.1, scale: 1)))
    }

    @Test("an unknown kind lists the known kinds")
    func unknownKind() {
        let error = Self.error(#"{"kind": "gausian-mixture"}"#)
        #expect(error == .unknownKind("gausian-mixture", known: DistributionSpec.knownKinds))
        let text = error?.description ?? ""
        for kind in DistributionSpec.knownKinds { #expect(text.contains(kind)) }
    }

    @Test("missing fields are named")
    func missingFields() {
        #expect(Self.error(#"{"weights": [1]}"#) == .missingField(kind: "?", field: "kind"))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "means": [[0]], "stds": [1]}"#) == .missingField(kind: "gaussian-mixture", field: "weights"))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]]}"#) == .missingField(kind: "gaussian-mixture", field: "stds"))
        #expect(Self.error(#"{"kind": "ring", "modes": 8, "std": 0.1}"#) == .missingField(kind: "ring", field: "radius"))
        #expect(Self.error(#"{"kind": "empirical"}"#) == .missingField(kind: "empirical", field: "path"))
        #expect(Self.error(#"{"kind": "student-t-mixture", "weights": [1], "means": [[0]], "scales": [1]}"#)
            == .missingField(kind: "student-t-mixture", field: "degrees_of_freedom"))
        #expect(Self.error(#"{"kind": "ring", "radius": 4, "std": 0.1}"#)?.description.contains("\"modes\"") == true)
    }

    @Test("mismatched lengths of weights, means and stds are rejected")
    func lengthMismatch() {
        let error = Self.error(#"{"kind": "gaussian-mixture", "weights": [1, 1], "means": [[0], [1], [2]], "stds": [1, 1]}"#)
        #expect(error == .lengthMismatch(kind: "gaussian-mixture", lengths: ["weights": 2, "means": 3, "stds": 2]))
        #expect(error?.description.contains("means has 3") == true)
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [1, 2]}"#) != nil)
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [], "means": [], "stds": []}"#) != nil)
    }

    @Test("means of different dimensions are rejected")
    func dimensionMismatch() {
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1, 1], "means": [[0, 0], [1]], "stds": [1, 1]}"#)
            == .dimensionMismatch(kind: "gaussian-mixture", field: "means", dimensions: [2, 1]))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[]], "stds": [1]}"#) != nil)
    }

    @Test("non-positive stds are rejected", arguments: ["0", "-0.5"])
    func nonPositiveStds(value: String) {
        let error = Self.error(#"{"kind": "gaussian-mixture", "weights": [1, 1], "means": [[0], [1]], "stds": [1, \#(value)]}"#)
        #expect(error == .notPositive(kind: "gaussian-mixture", field: "stds", index: 1, value: Double(value)!))
        #expect(Self.error(#"{"kind": "ring", "modes": 0, "radius": 1, "std": 0.1}"#) != nil)
        #expect(Self.error(#"{"kind": "student-t-mixture", "weights": [1], "means": [[0]], "scales": [1], "degrees_of_freedom": [0]}"#)
            == .notPositive(kind: "student-t-mixture", field: "degrees_of_freedom", index: 0, value: 0))
    }

    @Test("negative weights and zero-sum weights are rejected")
    func badWeights() {
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1, -1], "means": [[0], [1]], "stds": [1, 1]}"#)
            == .negativeWeight(kind: "gaussian-mixture", index: 1, value: -1))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [0, 0], "means": [[0], [1]], "stds": [1, 1]}"#)
            == .zeroWeightSum(kind: "gaussian-mixture"))
    }

    @Test("NaN and infinite values are rejected with the field named")
    func nonFinite() throws {
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1, "NaN"], "means": [[0], [1]], "stds": [1, 1]}"#)
            == .nonFinite(kind: "gaussian-mixture", field: "weights", index: 1))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1, 1], "means": [[0], ["Infinity"]], "stds": [1, 1]}"#)
            == .nonFinite(kind: "gaussian-mixture", field: "means[1]", index: 0))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": ["-Infinity"]}"#) != nil)
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [1], "sigma_max": "Infinity"}"#)
            == .nonFinite(kind: "gaussian-mixture", field: "sigma_max", index: nil))
        // Built in code rather than parsed.
        let spec = DistributionSpec.gaussianMixture(GaussianMixtureSpec(weights: [.nan], means: [[0]], stds: [1]))
        #expect(throws: DistributionSpecError.nonFinite(kind: "gaussian-mixture", field: "weights", index: 0)) { try spec.makeDistribution() }
        #expect(throws: DistributionSpecError.self) { try GaussianMixture(weights: [1], means: [[.infinity]], standardDeviations: [1]) }
    }

    @Test("sigma_min must be positive and below sigma_max")
    func sigmaRange() {
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [1], "sigma_min": 0, "sigma_max": 80}"#)
            == .invalidSigmaRange(kind: "gaussian-mixture", sigmaMin: 0, sigmaMax: 80))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [1], "sigma_min": 5, "sigma_max": 5}"#)
            == .invalidSigmaRange(kind: "gaussian-mixture", sigmaMin: 5, sigmaMax: 5))
        #expect(Self.error(#"{"kind": "ring", "modes": 4, "radius": 1, "std": 0.1, "sigma_min": 2, "sigma_max": 1}"#)
            == .invalidSigmaRange(kind: "ring", sigmaMin: 2, sigmaMax: 1))
    }

    @Test("malformed JSON and wrong types are explained")
    func malformed() {
        if case .invalidJSON = Self.error("{not json") {} else { Issue.record("expected invalidJSON") }
        if case .invalidJSON = Self.error("[1, 2]") {} else { Issue.record("expected invalidJSON for an array") }
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": "one", "means": [[0]], "stds": [1]}"#)
            == .wrongType(kind: "gaussian-mixture", field: "weights", expected: "an array"))
        #expect(Self.error(#"{"kind": "gaussian-mixture", "weights": [1, "x"], "means": [[0]], "stds": [1]}"#)?.description.contains("weights[1]") == true)
        #expect(Self.error(#"{"kind": 3}"#) == .wrongType(kind: "?", field: "kind", expected: "a string"))
        #expect(Self.error(#"{"kind": "empirical", "path": "x.h5", "test_fraction": 1.5}"#) != nil)
        #expect(Self.error(#"{"kind": "empirical", "path": "x.h5", "part": "validation"}"#)?.description.contains(#""all", "train" or "test""#) == true)
        #expect(Self.error(#"{"kind": "empirical", "path": "x.h5", "part": "all", "test_fraction": 0.2}"#)?.description.contains("test_fraction") == true)
        #expect(Self.error(#"{"kind": "empirical", "path": "x.h5", "split": ""}"#)?.description.contains("split") == true)
    }
}
