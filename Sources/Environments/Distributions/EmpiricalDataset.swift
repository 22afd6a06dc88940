import Foundation
import HDF5
import Tensors

/// Why a dataset file could not be loaded or split.
public enum EmpiricalDatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case missingDataset(path: String, dataset: String)
    case wrongRank(path: String, dataset: String, shape: [Int])
    case unsupportedElementType(path: String, dataset: String, type: String)
    case labelsLengthMismatch(path: String, labels: Int, points: Int)
    case empty(path: String)
    case invalidSplit(reason: String)
    case invalidPoints(reason: String)
    /// A part of the stored split was asked for but the file has no split dataset.
    case missingSplit(path: String, dataset: String, part: EmpiricalDatasetPart)
    /// The split dataset is not N uint8 values.
    case splitShapeMismatch(path: String, dataset: String, shape: [Int], points: Int)
    case splitElementType(path: String, dataset: String, type: String)
    /// Entry `index` of the split is neither 0 (train) nor 1 (test).
    case invalidSplitValue(path: String, dataset: String, index: Int, value: UInt8)
    /// The requested part holds no points.
    case emptyPart(path: String, part: EmpiricalDatasetPart)
    /// The per-point shape differs from the expected one.
    case unexpectedPointShape(path: String, dataset: String, shape: [Int], expected: [Int])
    /// A class count was expected but the file has no labels.
    case missingLabels(path: String, dataset: String, classCount: Int)
    /// Label `label` of point `index` lies outside 0..<classCount.
    case labelOutOfRange(path: String, index: Int, label: Int32, classCount: Int)
    /// Label `label` of point `index` is not a class index (negative, or beyond Int32 in an int64 file).
    case labelNotClassIndex(path: String, index: Int, label: Int64)
    /// A validation option itself is invalid (a class count below 1, an empty or non-positive shape).
    case invalidExpectation(reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "empirical dataset: no file at \"\(path)\" (expected an HDF5 file with a float32 dataset /data)"
        case let .missingDataset(path, dataset):
            return "empirical dataset \"\(path)\": the file has no dataset \"\(dataset)\" (expected N×D or N×C×H×W float32 points)"
        case let .wrongRank(path, dataset, shape):
            return "empirical dataset \"\(path)\": \"\(dataset)\" has shape \(shape); expected rank 2 (N×D) or 4 (N×C×H×W)"
        case let .unsupportedElementType(path, dataset, type):
            return "empirical dataset \"\(path)\": \"\(dataset)\" stores \(type); expected float32 (or float64) points / int32 (or int64) labels"
        case let .labelsLengthMismatch(path, labels, points):
            return "empirical dataset \"\(path)\": /labels has \(labels) entries but /data has \(points) points; they must match one to one"
        case let .empty(path):
            return "empirical dataset \"\(path)\": /data holds no points (need N ≥ 1 and D ≥ 1)"
        case let .invalidSplit(reason):
            return "empirical dataset split: \(reason)"
        case let .invalidPoints(reason):
            return "empirical dataset: \(reason)"
        case let .missingSplit(path, dataset, part):
            return "empirical dataset \"\(path)\": the \(part) part was asked for but the file has no \(dataset) dataset (expected N uint8 values, 0 = train, 1 = test)"
        case let .splitShapeMismatch(path, dataset, shape, points):
            return "empirical dataset \"\(path)\": \(dataset) has shape \(shape); expected [\(points)] (one uint8 per point of /data)"
        case let .splitElementType(path, dataset, type):
            return "empirical dataset \"\(path)\": \(dataset) stores \(type); expected uint8 (0 = train, 1 = test)"
        case let .invalidSplitValue(path, dataset, index, value):
            return "empirical dataset \"\(path)\": \(dataset)[\(index)] is \(value); expected 0 (train) or 1 (test)"
        case let .emptyPart(path, part):
            return "empirical dataset \"\(path)\": the \(part) part of the split holds no points (need ≥ 1)"
        case let .unexpectedPointShape(path, dataset, shape, expected):
            return "empirical dataset \"\(path)\": \(dataset) has shape \(shape), so points of shape \(Array(shape.dropFirst())); expected points of shape \(expected) (N×\(expected.map(String.init).joined(separator: "×")))"
        case let .missingLabels(path, dataset, classCount):
            return "empirical dataset \"\(path)\": \(classCount) classes were expected but the file has no \(dataset) dataset (expected N int32 labels in 0…\(classCount - 1))"
        case let .labelOutOfRange(path, index, label, classCount):
            return "empirical dataset \"\(path)\": label \(label) of point \(index) is out of range; expected 0…\(classCount - 1) for \(classCount) classes"
        case let .labelNotClassIndex(path, index, label):
            return "empirical dataset \"\(path)\": label \(label) of point \(index) is not a class index; expected an integer in 0…\(Int32.max)"
        case let .invalidExpectation(reason):
            return "empirical dataset validation: \(reason)"
        }
    }
}

/// The empirical distribution p₀ = (1/N) Σ_i δ(x − x_i) of a finite dataset, whose noised marginal
/// p_t = (1/N) Σ_i N(x_i, t² I) has an exact denoiser (SCT's "empirical exact" estimator):
///
///     w_i(x) = softmax_i(−‖x − x_i‖² / 2t²),    D(x, t) = Σ_i w_i(x) x_i,
///     log p_t(x) = log Σ_i exp(−‖x − x_i‖² / 2t²) − log N − (D/2) log(2π t²),
///     ∇ log p_t(x) = (D(x, t) − x) / t²,   x₀ | x_t = x  ~  x_i with probability w_i(x).
///
/// Squared distances are direct differences accumulated in `Double` (no ‖x‖² − 2x·x_i + ‖x_i‖²
/// expansion, which cancels catastrophically at small t); the row maximum is subtracted before
/// exponentiating. At t = 0 the denoiser and posterior give the nearest point (first on ties),
/// the log-density is −∞ off the data, and the score is undefined (NaN). A negative or NaN t makes
/// every output of that call NaN, as for ``GaussianMixture`` (t enters only as t², so t = −1 must not
/// silently act as t = 1 or t = 0). Cost O(N·D) per query.
///
/// Points are kept as `Float` (the file format) and widened to `Double` in every computation.
public struct EmpiricalDataset: ClosedFormDistribution, Sendable {
    public static let kind = "empirical"
    /// x_i, N × D row-major.
    public let points: [Float]
    /// Optional class labels, one per point.
    public let labels: [Int32]?
    public let dimension: Int
    /// The per-point shape in the file ([D] or [C, H, W]).
    public let pointShape: [Int]
    public var count: Int { points.count / dimension }
    /// 1 + the largest label when the data are labelled (of the whole file, for a part of a file's
    /// split), or the `classCount` asked for.
    public let classCount: Int?

    /// A dataset from N × `dimension` row-major points and optional labels (N of them). With
    /// `classCount` K every label must lie in 0..<K and ``classCount`` is K (a part of a dataset may
    /// miss some class); without it ``classCount`` is 1 + the largest label.
    public init(points: [Float], dimension: Int, labels: [Int32]? = nil, pointShape: [Int]? = nil,
                classCount: Int? = nil) throws(EmpiricalDatasetError) {
        guard dimension >= 1, !points.isEmpty, points.count % dimension == 0 else {
            throw .invalidPoints(reason: "need N ≥ 1 points of dimension D ≥ 1 (got \(points.count) values for D = \(dimension))")
        }
        guard points.allSatisfy(\.isFinite) else { throw .invalidPoints(reason: "points must be finite (found NaN or infinity)") }
        if let labels, labels.count != points.count / dimension {
            throw .labelsLengthMismatch(path: "<memory>", labels: labels.count, points: points.count / dimension)
        }
        if let classCount {
            try Self.validateLabels(labels, classCount: classCount, path: "<memory>", labelsPath: "labels")
        } else if let labels, let index = labels.firstIndex(where: { $0 < 0 }) {
            throw .labelNotClassIndex(path: "<memory>", index: index, label: Int64(labels[index]))
        }
        self.points = points
        self.dimension = dimension
        self.labels = labels
        self.pointShape = pointShape ?? [dimension]
        self.classCount = classCount ?? labels.map { Int($0.max() ?? -1) + 1 }
    }

    /// Checks that `labels` exist and lie in 0..<`classCount`, naming the first offender.
    static func validateLabels(_ labels: [Int32]?, classCount: Int, path: String, labelsPath: String) throws(EmpiricalDatasetError) {
        guard classCount >= 1 else { throw .invalidExpectation(reason: "the expected class count must be ≥ 1, got \(classCount)") }
        guard let labels else { throw .missingLabels(path: path, dataset: labelsPath, classCount: classCount) }
        if let index = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw .labelOutOfRange(path: path, index: index, label: labels[index], classCount: classCount)
        }
    }

    /// Loads `/data` (N×D or N×C×H×W, float32 or float64; flattened to D = C·H·W) and, when present,
    /// `/labels` (N int32 or int64 values) from the HDF5 file at `path`.
    ///
    /// - Parameters:
    ///   - part: keep only the training (`/split` = 0) or test (`/split` = 1) points of the file's
    ///     stored split, in file order; the file must then have `splitPath` holding N uint8 values in
    ///     {0, 1}. Nil keeps every point (and ignores the split).
    ///   - expectedPointShape: when given, the per-point shape (`/data`'s shape without N, e.g.
    ///     `[1, 8, 8]` for N×1×8×8 images) must equal it.
    ///   - classCount: when given, the file must have labels and every label must lie in 0..<K;
    ///     ``classCount`` is then K.
    ///
    /// Every failure names the file and what was expected (``EmpiricalDatasetError``); label and
    /// split errors give the offending point's index in the whole file.
    public init(contentsOf path: String, part: EmpiricalDatasetPart? = nil, expectedPointShape: [Int]? = nil,
                classCount: Int? = nil, dataPath: String = "/data", labelsPath: String = "/labels",
                splitPath: String = "/split") throws {
        if let expectedPointShape, expectedPointShape.isEmpty || expectedPointShape.contains(where: { $0 < 1 }) {
            throw EmpiricalDatasetError.invalidExpectation(reason: "the expected point shape must be non-empty with every extent ≥ 1, got \(expectedPointShape)")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw EmpiricalDatasetError.fileNotFound(path: path) }
        let file = try HDF5File(path, mode: .readOnly)
        defer { try? file.close() }
        guard try file.contains(dataPath) else { throw EmpiricalDatasetError.missingDataset(path: path, dataset: dataPath) }
        let data = try file.openDataset(dataPath)
        let shape = try data.shape()
        guard shape.count == 2 || shape.count == 4 else {
            throw EmpiricalDatasetError.wrongRank(path: path, dataset: dataPath, shape: shape)
        }
        let pointShape = Array(shape.dropFirst())
        if let expectedPointShape, pointShape != expectedPointShape {
            throw EmpiricalDatasetError.unexpectedPointShape(path: path, dataset: dataPath, shape: shape, expected: expectedPointShape)
        }
        let dimension = pointShape.reduce(1, *)
        guard shape[0] >= 1, dimension >= 1 else { throw EmpiricalDatasetError.empty(path: path) }
        let values: [Float]
        switch try data.elementType() {
        case .float32: values = try data.read(as: Float.self)
        case .float64: values = try data.read(as: Double.self).map { Float($0) }
        case let other:
            throw EmpiricalDatasetError.unsupportedElementType(path: path, dataset: dataPath, type: other.description)
        }
        var labels: [Int32]? = nil
        if try file.contains(labelsPath) {
            let labelSet = try file.openDataset(labelsPath)
            switch try labelSet.elementType() {
            case .int32: labels = try labelSet.read(as: Int32.self)
            case .int64:
                let wide = try labelSet.read(as: Int64.self)
                if let index = wide.firstIndex(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
                    throw EmpiricalDatasetError.labelNotClassIndex(path: path, index: index, label: wide[index])
                }
                labels = wide.map { Int32($0) }
            case let other:
                throw EmpiricalDatasetError.unsupportedElementType(path: path, dataset: labelsPath, type: other.description)
            }
            if labels!.count != shape[0] {
                throw EmpiricalDatasetError.labelsLengthMismatch(path: path, labels: labels!.count, points: shape[0])
            }
        }
        guard values.allSatisfy(\.isFinite) else {
            throw EmpiricalDatasetError.invalidPoints(reason: "\"\(path)\": \(dataPath) must be finite (found NaN or infinity)")
        }
        if let classCount { try Self.validateLabels(labels, classCount: classCount, path: path, labelsPath: labelsPath) }
        if classCount == nil, let labels, let index = labels.firstIndex(where: { $0 < 0 }) {
            throw EmpiricalDatasetError.labelNotClassIndex(path: path, index: index, label: Int64(labels[index]))
        }
        let whole = try EmpiricalDataset(points: values, dimension: dimension, labels: labels, pointShape: pointShape,
                                         classCount: classCount)
        guard let part else { self = whole; return }
        let split = try Self.readSplit(file, path: path, splitPath: splitPath, points: shape[0], part: part)
        let indices = split.indices.filter { split[$0] == part.splitCode }
        guard !indices.isEmpty else { throw EmpiricalDatasetError.emptyPart(path: path, part: part) }
        // The part keeps the whole file's class count: a part that misses the largest class must not
        // report fewer classes than the other part.
        self = try whole.subset(indices, classCount: classCount ?? whole.classCount)
    }

    /// Reads and validates the stored split: N uint8 values, each 0 (train) or 1 (test).
    private static func readSplit(_ file: HDF5File, path: String, splitPath: String, points: Int,
                                  part: EmpiricalDatasetPart) throws -> [UInt8] {
        guard try file.contains(splitPath) else {
            throw EmpiricalDatasetError.missingSplit(path: path, dataset: splitPath, part: part)
        }
        let dataset = try file.openDataset(splitPath)
        let type = try dataset.elementType()
        guard type == .uint8 else {
            throw EmpiricalDatasetError.splitElementType(path: path, dataset: splitPath, type: type.description)
        }
        let shape = try dataset.shape()
        guard shape == [points] else {
            throw EmpiricalDatasetError.splitShapeMismatch(path: path, dataset: splitPath, shape: shape, points: points)
        }
        let split = try dataset.read(as: UInt8.self)
        if let index = split.firstIndex(where: { $0 > 1 }) {
            throw EmpiricalDatasetError.invalidSplitValue(path: path, dataset: splitPath, index: index, value: split[index])
        }
        return split
    }

    /// The points at `indices` (in that order) with their labels and point shape; `classCount` as in
    /// ``init(points:dimension:labels:pointShape:classCount:)``.
    func subset(_ indices: [Int], classCount: Int? = nil) throws(EmpiricalDatasetError) -> EmpiricalDataset {
        var values = [Float](); values.reserveCapacity(indices.count * dimension)
        for i in indices { values.append(contentsOf: points[i * dimension ..< (i + 1) * dimension]) }
        return try EmpiricalDataset(points: values, dimension: dimension, labels: labels.map { l in indices.map { l[$0] } },
                                    pointShape: pointShape, classCount: classCount)
    }

    /// A deterministic held-out split: the indices are shuffled by Fisher–Yates on
    /// `RandomStream(seed: seed, purpose: "empirical-dataset.split")`, the first round(fraction · N)
    /// of the shuffle form the test set, and both sets keep the original order of their points.
    /// Needs 0 < testFraction < 1 and at least one point on each side; both sets keep this dataset's ``classCount``.
    public func split(testFraction: Double, seed: UInt64) throws(EmpiricalDatasetError) -> (train: EmpiricalDataset, test: EmpiricalDataset) {
        guard testFraction > 0, testFraction < 1 else {
            throw .invalidSplit(reason: "testFraction must be in (0, 1), got \(testFraction)")
        }
        let testCount = Int((testFraction * Double(count)).rounded())
        guard testCount >= 1, testCount < count else {
            throw .invalidSplit(reason: "a fraction \(testFraction) of \(count) points leaves \(testCount) test and \(count - testCount) training points; both need ≥ 1")
        }
        var order = Array(0 ..< count)
        var stream = RandomStream(seed: seed, purpose: "empirical-dataset.split")
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = min(Int(stream.nextUniform() * Double(i + 1)), i)
            order.swapAt(i, j)
        }
        let testIndices = order[..<testCount].sorted(), trainIndices = order[testCount...].sorted()
        return (try subset(trainIndices, classCount: classCount), try subset(testIndices, classCount: classCount))
    }

    // MARK: Sampling

    /// Uniform draws from the dataset (with replacement), with their labels.
    public func sample(count n: Int, into output: UnsafeMutablePointer<Double>, labels out: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        for row in 0 ..< n {
            let i = min(Int(stream.nextUniform() * Double(count)), count - 1)
            copyPoint(i, to: output + row * dimension)
            if let out, let labels { out[row] = labels[i] }
        }
    }

    @inline(__always)
    private func copyPoint(_ i: Int, to destination: UnsafeMutablePointer<Double>) {
        points.withUnsafeBufferPointer { p in
            let base = i * dimension
            for d in 0 ..< dimension { destination[d] = Double(p[base + d]) }
        }
    }

    // MARK: Closed forms

    /// Fills `logits[i] = −‖x − x_i‖² / 2t²` (or −‖x − x_i‖² at t = 0, which has the same arg-max)
    /// and returns (max logit, index of the max).
    @inline(__always)
    private func logits(_ x: UnsafePointer<Double>, t: Double, into logits: UnsafeMutablePointer<Double>) -> (Double, Int) {
        let factor = t > 0 ? -0.5 / (t * t) : -1
        var maximum = -Double.infinity, arg = 0
        points.withUnsafeBufferPointer { p in
            for i in 0 ..< count {
                var squared = 0.0
                let base = i * dimension
                for d in 0 ..< dimension {
                    let difference = x[d] - Double(p[base + d])
                    squared += difference * difference
                }
                let logit = factor * squared
                logits[i] = logit
                if logit > maximum { maximum = logit; arg = i }
            }
        }
        return (maximum, arg)
    }

    /// Runs `body(row, x, weights (unnormalised, max 1), total, argmax)` for each query point; weights and
    /// total are NaN for a query without a posterior (NaN, or infinitely far from every data point).
    private func withPosteriorWeights(_ queries: UnsafePointer<Double>, count n: Int, t: Double,
                                      _ body: (Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Double, Int) -> Void) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let w = buffer.baseAddress!
            for row in 0 ..< n {
                let x = queries + row * dimension
                let (maximum, arg) = logits(x, t: t, into: w)
                var total = 0.0
                if !(maximum > -.infinity) || !(t >= 0) {
                    // A NaN query, or one infinitely far from every data point (an infinite coordinate, or
                    // ‖x − x_i‖² overflowing), or a time outside t ≥ 0 (t = −1 must not act as t = 0, as
                    // for GaussianMixture): no posterior, so NaN weights and total.
                    w.update(repeating: .nan, count: count)
                    total = .nan
                } else if t > 0 {
                    for i in 0 ..< count { w[i] = Foundation.exp(w[i] - maximum); total += w[i] }
                } else {
                    for i in 0 ..< count { w[i] = i == arg ? 1 : 0 }
                    total = 1
                }
                body(row, x, w, total, arg)
            }
        }
    }

    /// The posterior weights w_i(x) = softmax_i(−‖x − x_i‖² / 2t²) for each query (n × N).
    public func posteriorWeights(_ queries: UnsafePointer<Double>, count n: Int, time t: Double,
                                 into output: UnsafeMutablePointer<Double>) {
        withPosteriorWeights(queries, count: n, t: t) { row, _, w, total, _ in
            for i in 0 ..< count { output[row * count + i] = w[i] / total }
        }
    }

    /// D(x, t) = Σ_i w_i(x) x_i (the nearest point at t = 0); NaN for a NaN query and for one infinitely far
    /// from every data point (not the origin).
    public func denoise(_ queries: UnsafePointer<Double>, count n: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        withPosteriorWeights(queries, count: n, t: t) { row, _, w, total, _ in
            let out = output + row * dimension
            guard total > 0 else { out.update(repeating: .nan, count: dimension); return }
            for d in 0 ..< dimension { out[d] = 0 }
            points.withUnsafeBufferPointer { p in
                for i in 0 ..< count where w[i] > 0 {
                    let weight = w[i] / total, base = i * dimension
                    for d in 0 ..< dimension { out[d] += weight * Double(p[base + d]) }
                }
            }
        }
    }

    /// ∇ log p_t(x) = (D(x, t) − x)/t² (NaN at t = 0, where p_t is a sum of point masses, and NaN where D is).
    public func score(_ queries: UnsafePointer<Double>, count n: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        denoise(queries, count: n, time: t, into: output)
        let inverse = 1 / (t * t)
        for j in 0 ..< n * dimension { output[j] = t > 0 ? (output[j] - queries[j]) * inverse : .nan }
    }

    /// log p_t(x) = log Σ_i exp(−‖x − x_i‖²/2t²) − log N − (D/2) log(2π t²)  (t > 0); at t = 0, +∞ on
    /// a data point and −∞ elsewhere. NaN for a NaN query, −∞ for one infinitely far from every data point.
    public func logDensity(_ queries: UnsafePointer<Double>, count n: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let w = buffer.baseAddress!
            for row in 0 ..< n {
                guard t >= 0 else { output[row] = .nan; continue }
                let (maximum, _) = logits(queries + row * dimension, t: t, into: w)
                guard maximum > -.infinity else { output[row] = w[0].isNaN ? .nan : -.infinity; continue }
                guard t > 0 else { output[row] = maximum == 0 ? .infinity : -.infinity; continue }
                var total = 0.0
                for i in 0 ..< count { total += Foundation.exp(w[i] - maximum) }
                output[row] = maximum + Foundation.log(total) - Foundation.log(Double(count))
                    - 0.5 * Double(dimension) * (StableMath.logTwoPi + 2 * Foundation.log(t))
            }
        }
    }

    /// Draws i with probability w_i(x) and returns x_i: exactly the empirical posterior p(x₀ | x_t = x).
    /// A query without a posterior (NaN, or infinitely far from every data point) draws NaN; the stream
    /// advances as for any query, so the other queries' draws do not depend on it.
    public func samplePosterior(_ queries: UnsafePointer<Double>, count n: Int, time t: Double,
                                into output: UnsafeMutablePointer<Double>, stream: inout RandomStream) {
        withPosteriorWeights(queries, count: n, t: t) { row, _, w, total, _ in
            let i = StableMath.drawIndex(weights: UnsafeBufferPointer(start: w, count: count), total: total, stream: &stream)
            guard total > 0 else { (output + row * dimension).update(repeating: .nan, count: dimension); return }
            copyPoint(i, to: output + row * dimension)
        }
    }
}
