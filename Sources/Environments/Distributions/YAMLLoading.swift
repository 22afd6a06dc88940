import Foundation
import Yams

/// Loads YAML text into plain values (`[AnyHashable: Any]`, `[Any]`, scalars) like `Yams.load`, but
/// refuses — with an error, never a trap — what `Yams.load` cannot handle or what would exhaust the
/// machine: a mapping key that is not a scalar (`[1, 2]: x`, `{a: 1}: x`; Yams force-unwraps the key
/// as a string), a merge key (`<<`), a key repeated in one mapping (Yams keeps the last silently, so a
/// second `training:` block would drop the first), nesting deeper than ``maximumDepth`` levels (each level is a
/// recursive call) and documents that expand to more than ``maximumNodes`` nodes through aliases
/// ("billion laughs": `*a` repeated inside nested anchors). Used for configurations, sweep files and
/// distribution specs (the reliability suite fuzzes them).
public enum YAMLLoading {
    /// The deepest nesting of mappings and sequences read.
    public static let maximumDepth = 64
    /// The most nodes a document may expand to (aliases count once per use).
    public static let maximumNodes = 200_000

    /// Why a YAML document was refused: one line.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// The key, when the refusal is a key repeated in one mapping.
        public var repeatedKey: String? = nil
    }

    /// The document's value (nil for an empty document). Throws Yams's parser errors for malformed
    /// text and a ``Refusal`` for the shapes listed above.
    public static func load(_ text: String) throws -> Any? {
        let constructor = makeConstructor()
        guard let node = try Yams.compose(yaml: text, .default, constructor) else { return nil }
        var budget = maximumNodes
        try check(node, depth: 0, budget: &budget)
        return constructor.any(from: node)
    }

    /// Yams's default constructor, except that an integer between `Int.max` and `UInt64.max` (a seed
    /// ≥ 2⁶³) is a `UInt64`: Yams's own gives such a scalar as a string, so `seed: 9223372036854775808`
    /// was refused as "not an integer" although `--seed` accepts it.
    /// (A new one per document: Yams's `Constructor` is not `Sendable`.)
    private static func makeConstructor() -> Constructor {
        var scalars = Constructor.defaultScalarMap
        scalars[.int] = { scalar in Int.construct(from: scalar) ?? UInt64.construct(from: scalar) }
        return Constructor(scalars)
    }

    private static func check(_ node: Node, depth: Int, budget: inout Int) throws {
        budget -= 1
        guard budget >= 0 else { throw Refusal(description: "the YAML expands to more than \(maximumNodes) values (through aliases)") }
        guard depth <= maximumDepth else { throw Refusal(description: "the YAML is nested more than \(maximumDepth) levels deep") }
        switch node {
        case .scalar: return
        case let .sequence(sequence):
            for element in sequence { try check(element, depth: depth + 1, budget: &budget) }
        case let .mapping(mapping):
            var lines: [String: String] = [:]
            for (key, value) in mapping {
                let line = (key.mark?.line).map(String.init) ?? "?"
                guard case let .scalar(scalar) = key else {
                    throw Refusal(description: "a mapping key must be a plain value, not a list or mapping (line \(line))")
                }
                guard scalar.string != "<<" else { throw Refusal(description: "merge keys (<<) are not supported") }
                if let first = lines.updateValue(line, forKey: scalar.string) {
                    throw Refusal(description: "the key '\(scalar.string)' appears twice in one mapping (lines \(first) and \(line)); "
                                  + "expected each key once (merge the two entries)", repeatedKey: scalar.string)
                }
                try check(value, depth: depth + 1, budget: &budget)
            }
        }
    }
}
