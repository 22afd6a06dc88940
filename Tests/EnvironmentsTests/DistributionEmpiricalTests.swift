import Foundation
import HDF5
import TestFolders
import Testing
import Tensors
@testable import Environments

/// The exact denoiser of a finite dataset, its HDF5 loading and its held-out split.
@Suite("Empirical dataset")
struct DistributionEmpiricalTests {
    private static let pointsA: [Float] = [0, 0, 1, 0, 0, 1, 2, 2, -1, 0.5, 0.25, -1.5]   // 6 points in 2-D

    private static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consistency-td-distribution-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        TemporaryFolders.removeAtExit(directory.path)
        return directory.appendingPathComponent(name).path
    }

    /// The textbook softmax, written independently: exp of −‖x − x_i‖²/2t² without any max shift.
    private static func directDenoiser(points: [Float], dimension: Int, x: [Double], t: Double) -> [Double] {
        let n = points.count / dimension
        var weights = [Double](repeating: 0, count: n)
        for i in 0 ..< n {
            var squared = 0.0
            for d in 0 ..< dimension { let e = x[d] - Double(points[i * dimension + d]); squared += e * e }
            weights[i] = exp(-squared / (2 * t * t))
        }
        let total = weights.reduce(0, +)
        return (0 ..< dimension).map { d in (0 ..< n).map { weights[$0] * Double(points[$0 * dimension + d]) }.reduce(0, +) / total }
    }

    private static func denoise(_ data: EmpiricalDataset, _ x: [Double], t: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { data.denoise(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) } }
        return out
    }

    @Test("the denoiser equals a direct softmax computation", arguments: [0.3, 1.0, 5.0])
    func denoiserEqualsDirectSoftmax(t: Double) throws {
        let data = try EmpiricalDataset(points: Self.pointsA, dimension: 2)
        for x in [[0.1, 0.2], [1.7, -0.4], [-3, 3]] {
            let expected = Self.directDenoiser(points: Self.pointsA, dimension: 2, x: x, t: t)
            let got = Self.denoise(data, x, t: t)
            for d in 0 ..< 2 { #expect(abs(got[d] - expected[d]) < 1e-12, "x = \(x), t = \(t): \(got) vs \(expected)") }
        }
    }

    @Test("the denoiser tends to the nearest data point as t → 0")
    func denoiserTendsToNearestPoint() throws {
        let data = try EmpiricalDataset(points: Self.pointsA, dimension: 2)
        let x = [1.8, 1.6]   // nearest is (2, 2)
        for t in [1e-2, 1e-3, 1e-6, 0] {
            let got = Self.denoise(data, x, t: t)
            #expect(abs(got[0] - 2) < 1e-9 && abs(got[1] - 2) < 1e-9, "t = \(t): \(got)")
        }
        // Far from the data, at a tiny t a naive softmax would be 0/0; the shifted one is not.
        let far = Self.denoise(data, [100, 100], t: 1e-3)
        #expect(far == [2, 2])
    }

    @Test("score is (D − x)/t² and log-density normalises in 1-D")
    func scoreAndDensity() throws {
        let data = try EmpiricalDataset(points: [-1, 0.5, 3], dimension: 1)
        let t = 0.7
        let steps = 40_000, lower = -15.0, upper = 15.0
        let h = (upper - lower) / Double(steps)
        let grid = (0 ... steps).map { lower + Double($0) * h }
        var logs = [Double](repeating: 0, count: grid.count)
        grid.withUnsafeBufferPointer { p in logs.withUnsafeMutableBufferPointer { data.logDensity(p.baseAddress!, count: grid.count, time: t, into: $0.baseAddress!) } }
        let integral = h * (0 ... steps).map { ($0 == 0 || $0 == steps ? 0.5 : 1) * exp(logs[$0]) }.reduce(0, +)
        #expect(abs(integral - 1) < 1e-6)
        // Score against central differences of the log-density.
        for x in [-0.3, 1.1, 4.0] {
            var score = 0.0
            [x].withUnsafeBufferPointer { data.score($0.baseAddress!, count: 1, time: t, into: &score) }
            var plus = 0.0, minus = 0.0
            [x + 1e-5].withUnsafeBufferPointer { data.logDensity($0.baseAddress!, count: 1, time: t, into: &plus) }
            [x - 1e-5].withUnsafeBufferPointer { data.logDensity($0.baseAddress!, count: 1, time: t, into: &minus) }
            #expect(abs((plus - minus) / 2e-5 - score) < 1e-6 * max(1, abs(score)))
        }
    }

    @Test("posterior samples pick data points with the softmax probabilities")
    func posteriorSamplingFrequencies() throws {
        let data = try EmpiricalDataset(points: Self.pointsA, dimension: 2)
        let x = [0.4, 0.3], t = 0.6
        var weights = [Double](repeating: 0, count: 6)
        x.withUnsafeBufferPointer { p in weights.withUnsafeMutableBufferPointer { data.posteriorWeights(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) } }
        let n = 60_000
        let queries = [Double]((0 ..< n).flatMap { _ in x })
        var draws = [Double](repeating: 0, count: 2 * n)
        var stream = RandomStream(seed: 1, purpose: "test.empirical.posterior")
        queries.withUnsafeBufferPointer { q in
            draws.withUnsafeMutableBufferPointer { data.samplePosterior(q.baseAddress!, count: n, time: t, into: $0.baseAddress!, stream: &stream) }
        }
        var counts = [Int](repeating: 0, count: 6)
        for j in 0 ..< n {
            let i = (0 ..< 6).first { Double(Self.pointsA[2 * $0]) == draws[2 * j] && Double(Self.pointsA[2 * $0 + 1]) == draws[2 * j + 1] }
            #expect(i != nil)
            if let i { counts[i] += 1 }
        }
        for i in 0 ..< 6 {
            let p = weights[i], frequency = Double(counts[i]) / Double(n)
            let standardError = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(frequency - p) < 5 * standardError + 1e-9, "point \(i): \(frequency) vs \(p)")
        }
    }

    @Test("a NaN or infinitely distant query gets NaN weights, denoiser, score and draw (not the origin or a data point); log p is NaN or −∞",
          arguments: [0.6, 0])
    func queryWithoutPosterior(t: Double) throws {
        let data = try EmpiricalDataset(points: Self.pointsA, dimension: 2)
        let queries = [0.4, 0.3, .nan, 0.1, .infinity, 0.2, -1e200, 0.5], finite = [0.4, 0.3, -1.2, 0.4, 2.5, 0.7, 0.1, -0.3]
        func closedForms(_ x: [Double], stream: inout RandomStream)
            -> (weights: [Double], denoised: [Double], score: [Double], logDensity: [Double], draws: [Double]) {
            var weights = [Double](repeating: 0, count: 4 * 6), denoised = [Double](repeating: 0, count: 8)
            var score = denoised, draws = denoised, logDensity = [Double](repeating: 0, count: 4)
            x.withUnsafeBufferPointer { p in
                data.posteriorWeights(p.baseAddress!, count: 4, time: t, into: &weights)
                data.denoise(p.baseAddress!, count: 4, time: t, into: &denoised)
                data.score(p.baseAddress!, count: 4, time: t, into: &score)
                data.logDensity(p.baseAddress!, count: 4, time: t, into: &logDensity)
                data.samplePosterior(p.baseAddress!, count: 4, time: t, into: &draws, stream: &stream)
            }
            return (weights, denoised, score, logDensity, draws)
        }
        var stream = RandomStream(seed: 2, purpose: "test.empirical.no-posterior"), reference = stream
        let got = closedForms(queries, stream: &stream), expected = closedForms(finite, stream: &reference)
        #expect(Array(got.weights[0 ..< 6]) == Array(expected.weights[0 ..< 6]) && got.weights[6...].allSatisfy(\.isNaN), "w = \(got.weights)")
        #expect(Array(got.denoised[0 ..< 2]) == Array(expected.denoised[0 ..< 2]) && got.denoised[2...].allSatisfy(\.isNaN), "D = \(got.denoised)")
        #expect(got.score[2...].allSatisfy { $0.isNaN }, "score = \(got.score)")
        #expect(got.logDensity[0] == expected.logDensity[0] && got.logDensity[1].isNaN
                && got.logDensity[2] == -.infinity && got.logDensity[3] == -.infinity, "log p = \(got.logDensity)")
        #expect(Array(got.draws[0 ..< 2]) == Array(expected.draws[0 ..< 2]) && got.draws[2...].allSatisfy(\.isNaN), "draws = \(got.draws)")
    }

    @Test("the held-out split is deterministic, disjoint and complete")
    func splitIsDeterministic() throws {
        let n = 50
        let points = (0 ..< n).flatMap { [Float($0), Float(-$0)] }
        let labels = (0 ..< n).map { Int32($0 % 3) }
        let data = try EmpiricalDataset(points: points, dimension: 2, labels: labels)
        let (train, test) = try data.split(testFraction: 0.2, seed: 4)
        let (train2, test2) = try data.split(testFraction: 0.2, seed: 4)
        let (_, test3) = try data.split(testFraction: 0.2, seed: 5)
        #expect(test.count == 10 && train.count == 40)
        #expect(train.points == train2.points && test.points == test2.points)
        #expect(test.points != test3.points)
        let trainIDs = Set(stride(from: 0, to: train.points.count, by: 2).map { Int(train.points[$0]) })
        let testIDs = Set(stride(from: 0, to: test.points.count, by: 2).map { Int(test.points[$0]) })
        #expect(trainIDs.isDisjoint(with: testIDs) && trainIDs.union(testIDs) == Set(0 ..< n))
        for i in 0 ..< test.count { #expect(test.labels![i] == Int32(Int(test.points[2 * i]) % 3)) }
        #expect(throws: EmpiricalDatasetError.self) { try data.split(testFraction: 1, seed: 0) }
        #expect(throws: EmpiricalDatasetError.self) { try data.split(testFraction: 0.001, seed: 0) }
    }

    @Test("an N×C×H×W float32 file with labels loads flattened to D = C·H·W")
    func loadsFromHDF5() throws {
        let path = Self.temporaryPath("images.h5")
        let n = 4, c = 2, h = 3, w = 3
        let values = (0 ..< n * c * h * w).map { Float($0) / 10 }
        do {
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("data", values: values, shape: [n, c, h, w])
            try file.createDataset("labels", values: [Int32](arrayLiteral: 0, 1, 1, 2))
            try file.close()
        }
        let data = try EmpiricalDataset(contentsOf: path)
        #expect(data.dimension == 18 && data.count == 4 && data.pointShape == [2, 3, 3])
        #expect(data.points == values && data.labels == [0, 1, 1, 2] && data.classCount == 3)
        let spec = try DistributionSpec.decode(json: Data(#"{"kind": "empirical", "path": "\#(path)"}"#.utf8))
        let built = try spec.makeDistribution()
        #expect(built.dimension == 18)
        #expect(try spec.makeClosedFormDistribution() != nil)
    }

    /// A spec from JSON text.
    private static func spec(_ json: String) throws -> DistributionSpec { try DistributionSpec.decode(json: Data(json.utf8)) }

    /// The points a spec loads, as a dataset.
    private static func load(_ spec: DistributionSpec) throws -> EmpiricalDataset {
        try #require(try spec.makeDistribution() as? EmpiricalDataset)
    }

    @Test("a spec's part is the whole file, a side of the stored split, or a side of a seeded split")
    func specPartChoosesThePoints() throws {
        let path = Self.temporaryPath("stored-split.h5")
        let points = (0 ..< 8).flatMap { [Float($0), Float(10 + $0)] }
        do {
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("data", values: points, shape: [8, 2])
            try file.createDataset("labels", values: (0 ..< 8).map { Int32($0 % 2) })
            try file.createDataset("split", values: [UInt8](arrayLiteral: 0, 1, 0, 0, 1, 0, 0, 1))
            try file.createDataset("fold", values: [UInt8](arrayLiteral: 1, 0, 0, 0, 0, 0, 0, 1))
            try file.close()
        }
        func firstCoordinates(_ data: EmpiricalDataset) -> [Float] { stride(from: 0, to: data.points.count, by: 2).map { data.points[$0] } }

        // No part: every point, and the resolved spec says so.
        let whole = try Self.spec(#"{"kind": "empirical", "path": "\#(path)"}"#)
        #expect(firstCoordinates(try Self.load(whole)) == [0, 1, 2, 3, 4, 5, 6, 7])
        let encoded = try #require(try JSONSerialization.jsonObject(with: whole.encodedJSON()) as? [String: Any])
        #expect(encoded["part"] as? String == "all" && encoded["split"] as? String == "/split")

        // part without test_fraction: the stored split, in file order, with its labels.
        let train = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "part": "train"}"#))
        let test = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "part": "test"}"#))
        #expect(firstCoordinates(train) == [0, 2, 3, 5, 6] && firstCoordinates(test) == [1, 4, 7])
        #expect(test.labels == [1, 0, 1])
        #expect(train.points == (try EmpiricalDataset(contentsOf: path, part: .train)).points)
        let fold = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "split": "/fold", "part": "test"}"#))
        #expect(firstCoordinates(fold) == [0, 7])

        // test_fraction: the seeded random split (train by default); the stored split is not read.
        let dataset = try EmpiricalDataset(contentsOf: path)
        let randomTrain = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "test_fraction": 0.5}"#))
        #expect(randomTrain.points == (try dataset.split(testFraction: 0.5, seed: 0)).train.points)
        let randomTest = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(path)", "test_fraction": 0.25, "split_seed": 3, "part": "test"}"#))
        #expect(randomTest.points == (try dataset.split(testFraction: 0.25, seed: 3)).test.points)
        #expect(randomTest.points != test.points)

        // A part of a split the file does not have: one message naming the dataset and the ways out.
        let noSplit = Self.temporaryPath("no-split.h5")
        do { let f = try HDF5File(noSplit, mode: .truncate); try f.createDataset("data", values: points, shape: [8, 2]); try f.close() }
        do {
            _ = try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(noSplit)", "part": "train"}"#))
            Issue.record("a part of a missing split loaded")
        } catch let DistributionSpecError.invalidValue(kind, field, reason) {
            #expect(kind == "empirical" && field == "part")
            #expect(reason.contains("/split") && reason.contains("\"all\"") && reason.contains("test_fraction"))
        }
        #expect(try Self.load(try Self.spec(#"{"kind": "empirical", "path": "\#(noSplit)"}"#)).count == 8)
    }

    @Test("loading fails clearly for a missing file, a missing /data, a wrong rank and mismatched labels")
    func loadErrors() throws {
        let missing = Self.temporaryPath("does-not-exist.h5")
        #expect(throws: EmpiricalDatasetError.fileNotFound(path: missing)) { try EmpiricalDataset(contentsOf: missing) }

        let noData = Self.temporaryPath("no-data.h5")
        do { let f = try HDF5File(noData, mode: .truncate); try f.createDataset("other", values: [Float](arrayLiteral: 1, 2)); try f.close() }
        #expect(throws: EmpiricalDatasetError.missingDataset(path: noData, dataset: "/data")) { try EmpiricalDataset(contentsOf: noData) }

        let rankOne = Self.temporaryPath("rank-one.h5")
        do { let f = try HDF5File(rankOne, mode: .truncate); try f.createDataset("data", values: [Float](arrayLiteral: 1, 2, 3)); try f.close() }
        #expect(throws: EmpiricalDatasetError.wrongRank(path: rankOne, dataset: "/data", shape: [3])) { try EmpiricalDataset(contentsOf: rankOne) }

        let badLabels = Self.temporaryPath("bad-labels.h5")
        do {
            let f = try HDF5File(badLabels, mode: .truncate)
            try f.createDataset("data", values: [Float](repeating: 0, count: 6), shape: [3, 2])
            try f.createDataset("labels", values: [Int32](arrayLiteral: 0, 1))
            try f.close()
        }
        #expect(throws: EmpiricalDatasetError.labelsLengthMismatch(path: badLabels, labels: 2, points: 3)) { try EmpiricalDataset(contentsOf: badLabels) }
        let spec = DistributionSpec.empirical(EmpiricalSpec(path: missing))
        #expect(throws: EmpiricalDatasetError.fileNotFound(path: missing)) { try spec.makeDistribution() }
        let message = EmpiricalDatasetError.labelsLengthMismatch(path: badLabels, labels: 2, points: 3).description
        #expect(message.contains("2") && message.contains("3") && message.contains("/labels"))
    }

    @Test("a negative or NaN t gives NaN from every closed form (t = −1 does not act as t = 0)", arguments: [-1.0, -1e-300, .nan])
    func negativeOrNaNTime(t: Double) throws {
        let data = try EmpiricalDataset(points: [-1, 0.5, 3], dimension: 1)
        let query = [0.4, 2.9]
        var denoised = [Double](repeating: 0, count: 2), score = denoised, logDensity = denoised, draws = denoised
        var weights = [Double](repeating: 0, count: 6)
        data.denoise(query, count: 2, time: t, into: &denoised)
        data.score(query, count: 2, time: t, into: &score)
        data.logDensity(query, count: 2, time: t, into: &logDensity)
        data.posteriorWeights(query, count: 2, time: t, into: &weights)
        var stream = RandomStream(seed: 5, purpose: "test.empirical.negative-time")
        data.samplePosterior(query, count: 2, time: t, into: &draws, stream: &stream)
        for values in [denoised, score, logDensity, weights, draws] { #expect(values.allSatisfy { $0.isNaN }, "\(values)") }
        // The stream advanced as for any query: the next draw equals the one after a valid call.
        var reference = RandomStream(seed: 5, purpose: "test.empirical.negative-time")
        data.samplePosterior(query, count: 2, time: 1, into: &draws, stream: &reference)
        #expect(stream.nextUniform() == reference.nextUniform())
    }

    @Test("labels must be class indices: a negative label (in memory or an int64 file) or one beyond Int32 is refused, naming the point")
    func labelsMustBeClassIndices() throws {
        #expect(throws: EmpiricalDatasetError.labelNotClassIndex(path: "<memory>", index: 1, label: -5)) {
            try EmpiricalDataset(points: [0, 1, 2], dimension: 1, labels: [0, -5, 1])
        }
        let top = try EmpiricalDataset(points: [0, 1], dimension: 1, labels: [0, Int32.max])
        #expect(top.classCount == Int(Int32.max) + 1)
        for (name, label) in [("wide.h5", Int64(Int32.max) + 1), ("negative64.h5", -2)] {
            let path = Self.temporaryPath(name)
            do {
                let file = try HDF5File(path, mode: .truncate)
                try file.createDataset("data", values: [Float](arrayLiteral: 0, 1, 2), shape: [3, 1])
                try file.createDataset("labels", values: [Int64](arrayLiteral: 0, 1, label))
                try file.close()
            }
            #expect(throws: EmpiricalDatasetError.labelNotClassIndex(path: path, index: 2, label: label)) { try EmpiricalDataset(contentsOf: path) }
        }
        let negative = Self.temporaryPath("negative32.h5")
        do {
            let file = try HDF5File(negative, mode: .truncate)
            try file.createDataset("data", values: [Float](arrayLiteral: 0, 1), shape: [2, 1])
            try file.createDataset("labels", values: [Int32](arrayLiteral: -1, 0))
            try file.close()
        }
        #expect(throws: EmpiricalDatasetError.labelNotClassIndex(path: negative, index: 0, label: -1)) { try EmpiricalDataset(contentsOf: negative) }
        #expect(EmpiricalDatasetError.labelNotClassIndex(path: negative, index: 0, label: -1).description.contains("0…2147483647"))
    }

    @Test("both parts of a split keep the whole dataset's class count, also when one part misses the largest label")
    func partsKeepTheClassCount() throws {
        let path = Self.temporaryPath("class-count-split.h5")
        do {
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("data", values: (0 ..< 4).map { Float($0) }, shape: [4, 1])
            try file.createDataset("labels", values: [Int32](arrayLiteral: 0, 1, 2, 0))
            try file.createDataset("split", values: [UInt8](arrayLiteral: 0, 0, 1, 1))
            try file.close()
        }
        #expect(try EmpiricalDataset(contentsOf: path, part: .train).classCount == 3)
        #expect(try EmpiricalDataset(contentsOf: path, part: .test).classCount == 3)
        let (train, test) = try EmpiricalDataset(contentsOf: path).split(testFraction: 0.25, seed: 1)
        #expect(train.classCount == 3 && test.classCount == 3)
    }
}
