/// Writes a configuration tree as block-style YAML: one `key: value` line per setting, mappings
/// indented by two spaces, lists in flow style (`[1, 2]`, `[[-1, 0], [1, 0]]`), strings double-quoted,
/// `null` for none, `.nan`/`.inf` for non-finite numbers. Doubles are written with their shortest
/// round-trip digits (Swift's `description`), so reading the text back gives the same values bit for bit.
/// Top-level keys follow `order` (others after, sorted); nested keys are sorted.
enum ConfigurationYAMLWriter {
    static func yaml(_ tree: [String: Any], order: [String]) -> String {
        let keys = order.filter { tree[$0] != nil } + tree.keys.filter { !order.contains($0) }.sorted()
        var lines: [String] = []
        for key in keys { append(key: key, value: tree[key]!, indent: "", into: &lines) }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func append(key: String, value: Any, indent: String, into lines: inout [String]) {
        let name = key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) ? key
            : ConfigurationTree.quoted(key)
        if let mapping = value as? [String: Any], !mapping.isEmpty {
            lines.append("\(indent)\(name):")
            for inner in mapping.keys.sorted() { append(key: inner, value: mapping[inner]!, indent: indent + "  ", into: &lines) }
        } else {
            lines.append("\(indent)\(name): \(flow(value))")
        }
    }

    private static func flow(_ value: Any) -> String {
        switch value {
        case let mapping as [String: Any]:
            return "{" + mapping.keys.sorted().map { "\(ConfigurationTree.quoted($0)): \(flow(mapping[$0]!))" }.joined(separator: ", ") + "}"
        case let list as [Any]:
            return "[" + list.map(flow).joined(separator: ", ") + "]"
        default:
            return ConfigurationTree.scalar(value, nonFinite: { $0.isNaN ? ".nan" : ($0 > 0 ? ".inf" : "-.inf") })
        }
    }
}
