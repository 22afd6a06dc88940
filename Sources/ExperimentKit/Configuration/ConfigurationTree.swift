import Foundation
import Environments
import Yams

/// A parsed configuration before it becomes types: nested mappings of Swift values (`Int`, `UInt64` above `Int.max`, `Double`,
/// `Bool`, `String`, `NSNull`, `[Any]`, `[String: Any]`), as YAML and JSON files and `--set` values
/// parse. Dotted paths address nested keys (`training.learning_rate`).
enum ConfigurationTree {
    /// Parses YAML, or JSON when `isJSON` (JSON numbers keep their integer/float distinction).
    static func parse(_ text: String, isJSON: Bool) throws -> [String: Any] {
        let nesting = flowNesting(of: text)
        guard nesting <= maximumNesting else {
            throw ConfigurationError.unreadableFile(path: "", reason: "brackets are nested \(nesting) deep; at most \(maximumNesting) levels are read")
        }
        let value: Any?
        if isJSON {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)).value
            // JSON decoders keep the last of two equal keys without a word; JSON is YAML, and the YAML
            // reader names a repeated key (its other refusals do not apply to a valid JSON file).
            do { _ = try YAMLLoading.load(text) } catch let refusal as YAMLLoading.Refusal where refusal.repeatedKey != nil {
                throw refusal
            } catch {}
        } else {
            value = try YAMLLoading.load(text).map(normalized)
        }
        guard let value, !(value is NSNull) else { return [:] }
        guard let mapping = value as? [String: Any] else {
            throw ConfigurationError.unreadableFile(path: "", reason: "the top level must be a mapping of keys to values")
        }
        return mapping
    }

    /// The deepest nesting of flow brackets read (`[`, `{`). The parsers and the tree conversion
    /// recurse once per level, so thousands of levels would overflow the stack (a crash, not an error).
    static let maximumNesting = 64

    /// The deepest nesting of `[`/`{` outside quoted strings in `text`.
    static func flowNesting(of text: String) -> Int {
        var depth = 0, deepest = 0
        var quote: Character?
        var escaped = false
        for character in text {
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" && open == "\"" { escaped = true } else if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "[", "{":
                depth += 1
                deepest = max(deepest, depth)
            case "]", "}": depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    /// A YAML scalar or flow collection (`3e-4` → 0.0003, `16` → 16, `true`, `null`, `[1, 2]`, text).
    static func parseScalar(_ text: String) -> Any {
        guard flowNesting(of: text) <= maximumNesting else { return text }
        let parsed: Any?
        do { parsed = try YAMLLoading.load(text) } catch { return text }
        guard let value = parsed else { return NSNull() }
        return normalized(value)
    }

    /// Yams's mappings (`[AnyHashable: Any]`) as `[String: Any]`, recursively.
    static func normalized(_ value: Any) -> Any {
        if let mapping = value as? [AnyHashable: Any] {
            var result: [String: Any] = [:]
            for (key, inner) in mapping { result["\(key.base)"] = normalized(inner) }
            return result
        }
        if let list = value as? [Any] { return list.map(normalized) }
        return value
    }

    static func value(at path: [String], in tree: [String: Any]) -> Any? {
        guard let first = path.first else { return tree }
        guard let child = tree[first] else { return nil }
        if path.count == 1 { return child }
        guard let mapping = child as? [String: Any] else { return nil }
        return value(at: Array(path.dropFirst()), in: mapping)
    }

    /// Sets the value at `path`, creating mappings on the way (a non-mapping on the way is replaced).
    static func setting(_ value: Any, at path: [String], in tree: [String: Any]) -> [String: Any] {
        guard let first = path.first else { return tree }
        var result = tree
        if path.count == 1 {
            result[first] = value
        } else {
            let child = tree[first] as? [String: Any] ?? [:]
            result[first] = setting(value, at: Array(path.dropFirst()), in: child)
        }
        return result
    }

    /// `overlay` over `base`: mappings merge key by key, everything else in `overlay` replaces.
    static func merging(_ overlay: [String: Any], over base: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overlay {
            if let inner = value as? [String: Any], let baseInner = base[key] as? [String: Any] {
                result[key] = merging(inner, over: baseInner)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// The dotted paths of every non-mapping value (lists are leaves), sorted.
    static func leafPaths(_ tree: [String: Any], prefix: String = "") -> [String] {
        var paths: [String] = []
        for (key, value) in tree {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let mapping = value as? [String: Any], !mapping.isEmpty {
                paths += leafPaths(mapping, prefix: path)
            } else if !(value is [String: Any]) {
                paths.append(path)
            }
        }
        return paths.sorted()
    }

    /// JSON text of a tree; NaN and ±∞ become "NaN", "Infinity", "-Infinity" (decoded back by a
    /// `JSONDecoder` with the matching non-conforming-float strategy). Doubles keep their shortest
    /// round-trip digits.
    static func json(_ value: Any) -> String {
        switch value {
        case let mapping as [String: Any]:
            return "{" + mapping.keys.sorted().map { quoted($0) + ":" + json(mapping[$0]!) }.joined(separator: ",") + "}"
        case let list as [Any]:
            return "[" + list.map(json).joined(separator: ",") + "]"
        default:
            return scalar(value, nonFinite: { $0.isNaN ? "\"NaN\"" : ($0 > 0 ? "\"Infinity\"" : "\"-Infinity\"") })
        }
    }

    /// A scalar as JSON/YAML text; strings always double-quoted (valid in both).
    static func scalar(_ value: Any, nonFinite: (Double) -> String) -> String {
        switch value {
        case is NSNull: return "null"
        case let flag as Bool: return flag ? "true" : "false"
        case let integer as Int: return String(integer)
        case let integer as UInt64: return String(integer)
        case let number as Double: return number.isFinite ? "\(number)" : nonFinite(number)
        case let text as String: return quoted(text)
        default: return quoted("\(value)")
        }
    }

    /// How a value reads in an error message (`16`, `abc`, `[1, 2]`).
    static func display(_ value: Any?) -> String {
        guard let value else { return "(missing)" }
        if let text = value as? String { return text }
        if value is [String: Any] { return "{…}" }
        if let list = value as? [Any] { return "[" + list.map { display($0) }.joined(separator: ", ") + "]" }
        return scalar(value, nonFinite: { $0.isNaN ? ".nan" : ($0 > 0 ? ".inf" : "-.inf") })
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}

/// A JSON value decoded with its type kept (integers stay `Int`, booleans `Bool`).
private struct JSONValue: Decodable {
    let value: Any

    init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var mapping: [String: Any] = [:]
            for key in keyed.allKeys { mapping[key.stringValue] = try keyed.decode(JSONValue.self, forKey: key).value }
            value = mapping
            return
        }
        if var list = try? decoder.unkeyedContainer() {
            var values: [Any] = []
            while !list.isAtEnd { values.append(try list.decode(JSONValue.self).value) }
            value = values
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { value = NSNull() }
        else if let flag = try? single.decode(Bool.self) { value = flag }
        else if let integer = try? single.decode(Int.self) { value = integer }
        // Above Int.max (a seed ≥ 2⁶³): exact, not rounded to the nearest Double.
        else if let integer = try? single.decode(UInt64.self) { value = integer }
        else if let number = try? single.decode(Double.self) { value = number }
        else { value = try single.decode(String.self) }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
