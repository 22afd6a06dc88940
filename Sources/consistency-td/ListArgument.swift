/// Comma-separated option values ("1.0,5.0", "exact,conditional"), parsed with a message that names
/// the option and the expected form.
enum ListArgument {
    static func strings(_ text: String, option: String) throws -> [String] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw CommandLineFailure("\(option) '\(text)' is empty; expected a comma-separated list") }
        return items
    }

    static func doubles(_ text: String, option: String) throws -> [Double] {
        try strings(text, option: option).map { item in
            guard let value = Double(item), value.isFinite else {
                throw CommandLineFailure("\(option) '\(text)': '\(item)' is not a finite number; expected numbers such as 1.0,5.0")
            }
            return value
        }
    }

    static func integers(_ text: String, option: String) throws -> [Int] {
        try strings(text, option: option).map { item in
            guard let value = Int(item) else {
                throw CommandLineFailure("\(option) '\(text)': '\(item)' is not a whole number; expected integers such as 64,128")
            }
            return value
        }
    }
}

import Foundation
