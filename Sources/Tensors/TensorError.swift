/// What went wrong in a tensor operation, phrased so the caller can act on it.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Two operands whose shapes do not fit together; `expectation` says what would fit.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int], expectation: String)
    /// A shape that cannot exist (a negative extent) or has the wrong rank for the operation.
    case invalidShape(operation: String, shape: [Int], expectation: String)
    /// An argument outside its valid range (a zero width, a stride of 0, a probability above 1 …).
    case invalidArgument(operation: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, lhs, rhs, expectation):
            return "\(operation): shapes \(formatShape(lhs)) and \(formatShape(rhs)) do not fit; \(expectation)"
        case let .invalidShape(operation, shape, expectation):
            return "\(operation): shape \(formatShape(shape)) is not valid here; \(expectation)"
        case let .invalidArgument(operation, message):
            return "\(operation): \(message)"
        }
    }
}

/// `[2, 3]` → "[2, 3]"; `[]` → "[] (scalar)".
public func formatShape(_ shape: [Int]) -> String {
    shape.isEmpty ? "[] (scalar)" : "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
