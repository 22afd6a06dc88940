import Tensors

/// What was wrong with a distribution's description (a JSON spec or the parameters given to an
/// initialiser), and what would be right (DESIGN.md §7).
///
/// `kind` is the spec kind being built (for example "gaussian-mixture"); `field` the JSON field name.
public enum DistributionSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a JSON object (or not UTF-8 JSON at all).
    case invalidJSON(reason: String)
    /// The `kind` names no known distribution.
    case unknownKind(String, known: [String])
    /// A required field is absent.
    case missingField(kind: String, field: String)
    /// A field holds the wrong JSON type (for example a string where numbers were expected).
    case wrongType(kind: String, field: String, expected: String)
    /// Per-component arrays disagree in length (weights, means, stds …).
    case lengthMismatch(kind: String, lengths: [String: Int])
    /// The component means do not all have the same dimension.
    case dimensionMismatch(kind: String, field: String, dimensions: [Int])
    /// A value that must be > 0 is not (stds, scales, degrees of freedom, sizes …).
    case notPositive(kind: String, field: String, index: Int?, value: Double)
    /// A weight is negative.
    case negativeWeight(kind: String, index: Int, value: Double)
    /// The weights sum to zero, so they cannot be normalised.
    case zeroWeightSum(kind: String)
    /// A NaN or infinite value.
    case nonFinite(kind: String, field: String, index: Int?)
    /// sigma_min and sigma_max must satisfy 0 < sigma_min < sigma_max.
    case invalidSigmaRange(kind: String, sigmaMin: Double, sigmaMax: Double)
    /// Any other constraint on one field.
    case invalidValue(kind: String, field: String, reason: String)
    /// A field the kind does not have (`fields` are the ones it has).
    case unknownField(kind: String, field: String, fields: [String])

    public var description: String {
        switch self {
        case let .invalidJSON(reason):
            return "distribution spec: not a valid JSON object (\(reason))"
        case let .unknownKind(kind, known):
            return "distribution spec: unknown kind \"\(kind)\"; known kinds are \(known.map { "\"\($0)\"" }.joined(separator: ", "))"
        case let .missingField(kind, field):
            return "distribution spec \"\(kind)\": missing required field \"\(field)\""
        case let .wrongType(kind, field, expected):
            return "distribution spec \"\(kind)\": field \"\(field)\" must be \(expected)"
        case let .lengthMismatch(kind, lengths):
            let listed = lengths.sorted { $0.key < $1.key }.map { "\($0.key) has \($0.value)" }.joined(separator: ", ")
            return "distribution spec \"\(kind)\": one entry per component is needed in every per-component field, but \(listed)"
        case let .dimensionMismatch(kind, field, dimensions):
            return "distribution spec \"\(kind)\": every entry of \"\(field)\" must have the same dimension (≥ 1), got dimensions \(dimensions)"
        case let .notPositive(kind, field, index, value):
            let at = index.map { "[\($0)]" } ?? ""
            return "distribution spec \"\(kind)\": \(field)\(at) must be > 0, got \(value)"
        case let .negativeWeight(kind, index, value):
            return "distribution spec \"\(kind)\": weights must be ≥ 0, but weights[\(index)] = \(value)"
        case let .zeroWeightSum(kind):
            return "distribution spec \"\(kind)\": weights must have a positive sum (they are normalised; they need not sum to 1)"
        case let .nonFinite(kind, field, index):
            let at = index.map { "[\($0)]" } ?? ""
            return "distribution spec \"\(kind)\": \(field)\(at) must be a finite number (got NaN or infinity)"
        case let .invalidSigmaRange(kind, sigmaMin, sigmaMax):
            return "distribution spec \"\(kind)\": need 0 < sigma_min < sigma_max, got sigma_min = \(sigmaMin), sigma_max = \(sigmaMax)"
        case let .unknownField(kind, field, fields):
            return "distribution spec \"\(kind)\": unknown field \"\(field)\"; its fields are \(fields.joined(separator: ", "))"
        case let .invalidValue(kind, field, reason):
            return "distribution spec \"\(kind)\": field \"\(field)\" \(reason)"
        }
    }
}

/// Shared validation of per-component parameters (used by the initialisers and by the specs).
enum ParameterValidation {
    static func finite(_ values: [Double], kind: String, field: String) throws(DistributionSpecError) {
        for (index, value) in values.enumerated() where !value.isFinite {
            throw .nonFinite(kind: kind, field: field, index: index)
        }
    }

    static func finite(_ value: Double, kind: String, field: String) throws(DistributionSpecError) {
        guard value.isFinite else { throw .nonFinite(kind: kind, field: field, index: nil) }
    }

    static func positive(_ values: [Double], kind: String, field: String) throws(DistributionSpecError) {
        try finite(values, kind: kind, field: field)
        for (index, value) in values.enumerated() where !(value > 0) {
            throw .notPositive(kind: kind, field: field, index: index, value: value)
        }
    }

    static func positive(_ value: Double, kind: String, field: String) throws(DistributionSpecError) {
        try finite(value, kind: kind, field: field)
        guard value > 0 else { throw .notPositive(kind: kind, field: field, index: nil, value: value) }
    }

    static func positive(_ value: Int, kind: String, field: String) throws(DistributionSpecError) {
        guard value > 0 else { throw .notPositive(kind: kind, field: field, index: nil, value: Double(value)) }
    }

    /// Checks weights (finite, ≥ 0, positive sum) and returns them normalised to sum 1.
    static func normalisedWeights(_ weights: [Double], kind: String) throws(DistributionSpecError) -> [Double] {
        try finite(weights, kind: kind, field: "weights")
        for (index, value) in weights.enumerated() where value < 0 {
            throw .negativeWeight(kind: kind, index: index, value: value)
        }
        let total = weights.reduce(0, +)
        guard total > 0, total.isFinite else { throw .zeroWeightSum(kind: kind) }
        return weights.map { $0 / total }
    }

    /// Checks that the means all have one dimension ≥ 1 and are finite; returns them flattened.
    static func flatMeans(_ means: [[Double]], kind: String, field: String = "means") throws(DistributionSpecError) -> (flat: [Double], dimension: Int) {
        let dimensions = means.map(\.count)
        guard let dimension = dimensions.first, dimension >= 1, dimensions.allSatisfy({ $0 == dimension }) else {
            throw .dimensionMismatch(kind: kind, field: field, dimensions: dimensions)
        }
        let flat = means.flatMap { $0 }
        for (index, value) in flat.enumerated() where !value.isFinite {
            throw .nonFinite(kind: kind, field: "\(field)[\(index / dimension)]", index: index % dimension)
        }
        return (flat, dimension)
    }

    static func sameLengths(_ lengths: [String: Int], kind: String) throws(DistributionSpecError) {
        let values = Set(lengths.values)
        guard values.count == 1, let count = values.first else {
            throw .lengthMismatch(kind: kind, lengths: lengths)
        }
        guard count >= 1 else {
            throw .invalidValue(kind: kind, field: lengths.keys.sorted().first ?? "weights", reason: "must have at least one component")
        }
    }
}

/// Numerically stable helpers shared by the closed-form distributions.
enum StableMath {
    static let logTwoPi = 1.8378770664093454835606594728112

    /// Inverse-CDF draw of an index with probability ∝ `weights[i]` (non-negative, positive sum).
    static func drawIndex(weights: UnsafeBufferPointer<Double>, total: Double, stream: inout RandomStream) -> Int {
        let threshold = stream.nextUniform() * total
        var cumulative = 0.0
        var lastPositive = 0
        for index in weights.indices {
            let weight = weights[index]
            if weight > 0 { lastPositive = index }
            cumulative += weight
            if threshold < cumulative { return index }
        }
        return lastPositive
    }
}
