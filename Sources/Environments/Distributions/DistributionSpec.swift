import Foundation

/// A data distribution described by a small JSON object with a `kind` field — what a run records
/// and what a config file names. Kinds:
///
/// | kind | payload | builds |
/// |---|---|---|
/// | "gaussian-mixture" | ``GaussianMixtureSpec`` | ``GaussianMixture`` |
/// | "ring" | ``RingSpec`` | ``GaussianMixture/ring(modes:radius:std:)`` |
/// | "grid" | ``GridSpec`` | ``GaussianMixture/grid(side:spacing:std:)`` |
/// | "random-gaussian-mixture" | ``RandomMixtureSpec`` | ``GaussianMixture/random(dimension:modes:seed:spread:std:)`` |
/// | "checkerboard" | ``CheckerboardSpec`` | ``Checkerboard`` |
/// | "two-moons" | ``TwoMoonsSpec`` | ``TwoMoons`` |
/// | "swiss-roll" | ``SwissRollSpec`` | ``SwissRoll`` |
/// | "student-t-mixture" | ``StudentTMixtureSpec`` | ``StudentTMixture`` |
/// | "empirical" | ``EmpiricalSpec`` | ``EmpiricalDataset`` (loaded from HDF5) |
///
/// ```swift
/// let spec = try DistributionSpec.decode(json: Data(#"{"kind": "ring", "modes": 8, "radius": 4, "std": 0.1}"#.utf8))
/// let data = try spec.makeDistribution()
/// ```
///
/// `decode` validates everything that does not need the disk (an empirical file is opened by
/// `makeDistribution`). Non-finite numbers may be written as the strings "NaN", "Infinity" and
/// "-Infinity"; they are then rejected with a message naming the field.
public enum DistributionSpec: Codable, Sendable, Equatable {
    case gaussianMixture(GaussianMixtureSpec)
    case ring(RingSpec)
    case grid(GridSpec)
    case randomMixture(RandomMixtureSpec)
    case checkerboard(CheckerboardSpec)
    case twoMoons(TwoMoonsSpec)
    case swissRoll(SwissRollSpec)
    case studentTMixture(StudentTMixtureSpec)
    case empirical(EmpiricalSpec)

    /// Every known `kind`, in the order of the table above.
    public static let knownKinds = [
        "gaussian-mixture", "ring", "grid", "random-gaussian-mixture", "checkerboard", "two-moons", "swiss-roll",
        "student-t-mixture", "empirical",
    ]

    public var kind: String {
        switch self {
        case .gaussianMixture: "gaussian-mixture"
        case .ring: "ring"
        case .grid: "grid"
        case .randomMixture: "random-gaussian-mixture"
        case .checkerboard: "checkerboard"
        case .twoMoons: "two-moons"
        case .swissRoll: "swiss-roll"
        case .studentTMixture: "student-t-mixture"
        case .empirical: "empirical"
        }
    }

    /// The noise range of the Gaussian-mixture kinds (nil for the others).
    public var noiseRange: NoiseRange? {
        switch self {
        case let .gaussianMixture(spec): spec.noise
        case let .ring(spec): spec.noise
        case let .grid(spec): spec.noise
        case let .randomMixture(spec): spec.noise
        default: nil
        }
    }

    private enum KindKey: String, CodingKey { case kind }

    // MARK: JSON

    /// Parses and validates a spec; every failure is a ``DistributionSpecError``.
    public static func decode(json: Data) throws(DistributionSpecError) -> DistributionSpec {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw .invalidJSON(reason: "\(error.localizedDescription)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw .invalidJSON(reason: "expected an object like {\"kind\": \"gaussian-mixture\", …}")
        }
        guard let kindValue = dictionary["kind"] else { throw .missingField(kind: "?", field: "kind") }
        guard let kind = kindValue as? String else { throw .wrongType(kind: "?", field: "kind", expected: "a string") }
        guard knownKinds.contains(kind) else { throw .unknownKind(kind, known: knownKinds) }
        let spec: DistributionSpec
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            spec = try decoder.decode(DistributionSpec.self, from: json)
        } catch let error as DistributionSpecError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw .missingField(kind: kind, field: key.stringValue)
        } catch let DecodingError.typeMismatch(type, context) {
            throw .wrongType(kind: kind, field: fieldPath(context.codingPath), expected: expectation(for: type))
        } catch let DecodingError.valueNotFound(type, context) {
            throw .wrongType(kind: kind, field: fieldPath(context.codingPath), expected: expectation(for: type))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidValue(kind: kind, field: fieldPath(context.codingPath), reason: context.debugDescription)
        } catch {
            throw .invalidJSON(reason: "\(error)")
        }
        // Unknown fields are refused, not ignored: a misspelt optional field ("sigma_mx") would
        // otherwise silently keep its default. The fields of a kind are the keys it encodes.
        if let encoded = try? spec.encodedJSON(),
           let fields = (try? JSONSerialization.jsonObject(with: encoded)) as? [String: Any],
           let unknown = dictionary.keys.sorted().first(where: { fields[$0] == nil }) {
            throw .unknownField(kind: kind, field: unknown, fields: fields.keys.sorted())
        }
        try spec.validate()
        return spec
    }

    /// The spec as JSON with sorted keys.
    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: KindKey.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "gaussian-mixture": self = .gaussianMixture(try GaussianMixtureSpec(from: decoder))
        case "ring": self = .ring(try RingSpec(from: decoder))
        case "grid": self = .grid(try GridSpec(from: decoder))
        case "random-gaussian-mixture": self = .randomMixture(try RandomMixtureSpec(from: decoder))
        case "checkerboard": self = .checkerboard(try CheckerboardSpec(from: decoder))
        case "two-moons": self = .twoMoons(try TwoMoonsSpec(from: decoder))
        case "swiss-roll": self = .swissRoll(try SwissRollSpec(from: decoder))
        case "student-t-mixture": self = .studentTMixture(try StudentTMixtureSpec(from: decoder))
        case "empirical": self = .empirical(try EmpiricalSpec(from: decoder))
        default: throw DistributionSpecError.unknownKind(kind, known: Self.knownKinds)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: KindKey.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case let .gaussianMixture(spec): try spec.encode(to: encoder)
        case let .ring(spec): try spec.encode(to: encoder)
        case let .grid(spec): try spec.encode(to: encoder)
        case let .randomMixture(spec): try spec.encode(to: encoder)
        case let .checkerboard(spec): try spec.encode(to: encoder)
        case let .twoMoons(spec): try spec.encode(to: encoder)
        case let .swissRoll(spec): try spec.encode(to: encoder)
        case let .studentTMixture(spec): try spec.encode(to: encoder)
        case let .empirical(spec): try spec.encode(to: encoder)
        }
    }

    private static func fieldPath(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func expectation(for type: Any.Type) -> String {
        switch type {
        case is Double.Type: "a number"
        case is Int.Type, is UInt64.Type: "an integer"
        case is String.Type: "a string"
        case is [Double].Type: "an array of numbers"
        case is [[Double]].Type: "an array of arrays of numbers"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "of type \(type)"
        }
    }

    // MARK: Building

    /// Checks every constraint that does not need the disk (builds the mixtures, which are cheap).
    public func validate() throws(DistributionSpecError) {
        switch self {
        case .empirical(let spec): try spec.validate()
        default:
            // Building validates; for the mixtures the noise range too.
            if let noise = noiseRange { try noise.validate(kind: kind) }
            _ = try makeInMemoryDistribution()
        }
    }

    /// Builds the distribution (an empirical spec reads its HDF5 file).
    public func makeDistribution() throws -> any DataDistribution {
        if case let .empirical(spec) = self { return try Self.loadEmpirical(spec) }
        try validate()
        return try makeInMemoryDistribution()
    }

    /// Builds the distribution when it has a closed form (the Gaussian mixtures and the empirical
    /// distribution); nil for the sampling-only kinds.
    public func makeClosedFormDistribution() throws -> (any ClosedFormDistribution)? {
        try makeDistribution() as? any ClosedFormDistribution
    }

    private func makeInMemoryDistribution() throws(DistributionSpecError) -> any DataDistribution {
        switch self {
        case let .gaussianMixture(spec): return try spec.makeMixture()
        case let .ring(spec): return try GaussianMixture.ring(modes: spec.modes, radius: spec.radius, std: spec.std)
        case let .grid(spec): return try GaussianMixture.grid(side: spec.side, spacing: spec.spacing, std: spec.std)
        case let .randomMixture(spec):
            return try GaussianMixture.random(dimension: spec.dimension, modes: spec.modes, seed: spec.seed,
                                              spread: spec.spread, std: spec.std)
        case let .checkerboard(spec): return try Checkerboard(cells: spec.cells, cellSize: spec.cellSize)
        case let .twoMoons(spec): return try TwoMoons(noise: spec.noise, scale: spec.scale)
        case let .swissRoll(spec): return try SwissRoll(scale: spec.scale, noise: spec.noise)
        case let .studentTMixture(spec):
            return try StudentTMixture(weights: spec.weights, means: spec.means, scales: spec.scales,
                                       degreesOfFreedom: spec.degreesOfFreedom)
        case let .empirical(spec):
            throw .invalidValue(kind: EmpiricalDataset.kind, field: "path", reason: "\"\(spec.path)\" must be read from disk")
        }
    }

    /// The points `spec.part` names: the whole file, a side of its stored split, or a side of a seeded
    /// random split (see ``EmpiricalSpec``).
    private static func loadEmpirical(_ spec: EmpiricalSpec) throws -> EmpiricalDataset {
        try spec.validate()
        if let fraction = spec.testFraction {
            let dataset = try EmpiricalDataset(contentsOf: spec.path, dataPath: spec.dataPath, labelsPath: spec.labelsPath)
            let (train, test) = try dataset.split(testFraction: fraction, seed: spec.splitSeed)
            return spec.part == "test" ? test : train
        }
        do {
            return try EmpiricalDataset(contentsOf: spec.path, part: spec.storedPart, dataPath: spec.dataPath,
                                        labelsPath: spec.labelsPath, splitPath: spec.splitPath)
        } catch let EmpiricalDatasetError.missingSplit(path, dataset, part) {
            throw DistributionSpecError.invalidValue(
                kind: EmpiricalDataset.kind, field: "part",
                reason: "\"\(part)\" reads the split stored in \"\(path)\" at \(dataset) (N uint8 values, 0 = train, 1 = test), "
                    + "but the file has no such dataset; use part \"all\" for every point, name the split with \"split\", "
                    + "or add test_fraction (and split_seed) for a seeded random split")
        }
    }
}
