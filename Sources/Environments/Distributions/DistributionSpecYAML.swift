import Foundation
import Yams

extension DistributionSpec {
    /// Decodes a spec written in YAML, e.g.
    ///
    ///     kind: gaussian-mixture
    ///     weights: [1, 1]
    ///     means: [[-1, 0], [1, 0]]
    ///     stds: [0.1, 0.1]
    ///
    /// The YAML is read into plain values and checked exactly as ``decode(json:)`` checks JSON (the
    /// same errors for unknown kinds, missing fields, wrong types and invalid values; YAML's `.nan`
    /// and `.inf` are reported as non-finite values).
    public static func decode(yaml: String) throws(DistributionSpecError) -> DistributionSpec {
        let object: Any?
        do {
            object = try YAMLLoading.load(yaml)
        } catch {
            throw .invalidJSON(reason: "the YAML does not parse: \(error)")
        }
        guard let object, object is [String: Any] else {
            throw .invalidJSON(reason: "expected a YAML mapping like 'kind: gaussian-mixture' with the spec's fields")
        }
        let json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: jsonCompatible(object))
        } catch {
            throw .invalidJSON(reason: "the YAML holds values JSON cannot represent: \(error.localizedDescription)")
        }
        return try decode(json: json)
    }

    /// YAML's non-finite floats become the strings the JSON decoder maps back to NaN and ±∞.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]: return dictionary.mapValues(jsonCompatible)
        case let array as [Any]: return array.map(jsonCompatible)
        case let number as Double where number.isNaN: return "NaN"
        case let number as Double where number.isInfinite: return number > 0 ? "Infinity" : "-Infinity"
        default: return value
        }
    }
}
