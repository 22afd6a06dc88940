import Foundation
import HDF5
import Testing
@testable import Environments

/// Where an evaluation's held-out data come from (METHODS.md §9): fresh draws of a generative
/// distribution, the other side of a split dataset, none for a dataset used whole.
@Suite("Held-out evaluation data of a distribution spec")
struct HeldOutDataTests {
    private static func spec(_ json: String) throws -> DistributionSpec { try DistributionSpec.decode(json: Data(json.utf8)) }

    private static func points(_ spec: DistributionSpec) throws -> [Float] {
        try #require(try spec.makeHeldOutDistribution() as? EmpiricalDataset).points
    }

    /// Eight 2-D points (i, 10 + i) with a stored split 0 1 0 0 1 0 0 1 (test: points 1, 4, 7).
    private static func splitFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("held-out-\(UUID().uuidString).h5").path
        let file = try HDF5File(path, mode: .truncate)
        try file.createDataset("data", values: (0 ..< 8).flatMap { [Float($0), Float(10 + $0)] }, shape: [8, 2])
        try file.createDataset("split", values: [UInt8](arrayLiteral: 0, 1, 0, 0, 1, 0, 0, 1))
        try file.close()
        return path
    }

    @Test("generative kinds are evaluated on fresh draws of themselves")
    func generativeKindsUseFreshDraws() throws {
        let ring = try Self.spec(#"{"kind": "ring", "modes": 8, "radius": 2, "std": 0.1}"#)
        #expect(ring.heldOutData == .freshDraws)
        let moons = try Self.spec(#"{"kind": "two-moons"}"#)
        #expect(moons.heldOutData == .freshDraws)
        #expect(try ring.makeHeldOutDistribution().dimension == 2)
    }

    @Test("a run on one side of a split is evaluated on the other side: stored split and seeded test_fraction split")
    func splitDatasetsUseTheOtherSide() throws {
        let path = try Self.splitFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let train = try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "part": "train"}"#)
        let test = try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "part": "test"}"#)
        #expect(train.heldOutData == .otherSide(test))
        #expect(test.heldOutData == .otherSide(train))
        #expect(try Self.points(train) == [1, 11, 4, 14, 7, 17])
        #expect(try Self.points(test) == [0, 10, 2, 12, 3, 13, 5, 15, 6, 16])

        let seededTrain = try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "test_fraction": 0.25, "split_seed": 3}"#)
        let seededTest = try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "test_fraction": 0.25, "split_seed": 3, "part": "test"}"#)
        #expect(seededTrain.heldOutData == .otherSide(seededTest))
        let trained = try #require(try seededTrain.makeDistribution() as? EmpiricalDataset).points
        let heldOut = try Self.points(seededTrain)
        #expect(heldOut.count == 4 && trained.count == 12)
        // No held-out point is a training point.
        let trainedPairs = Set(stride(from: 0, to: trained.count, by: 2).map { [trained[$0], trained[$0 + 1]] })
        #expect(stride(from: 0, to: heldOut.count, by: 2).allSatisfy { !trainedPairs.contains([heldOut[$0], heldOut[$0 + 1]]) })
    }

    @Test("a dataset used whole has no held-out part, says so, and falls back to its own points")
    func wholeDatasetHasNoHeldOutPart() throws {
        let path = try Self.splitFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = try Self.spec(#"{"kind": "empirical", "path": "\#(path)"}"#)
        guard case let .unavailable(reason) = whole.heldOutData else {
            Issue.record("a dataset used whole reported held-out data: \(whole.heldOutData)")
            return
        }
        #expect(reason.contains(path) && reason.contains("part: all") && reason.contains("test_fraction"), "\(reason)")
        #expect(try Self.points(whole).count == 16)
    }
}
