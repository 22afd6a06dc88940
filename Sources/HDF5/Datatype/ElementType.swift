import CHDF5

/// What a dataset's or attribute's elements are, as a reader of the file sees them (byte order
/// aside): the names follow numpy's dtypes, which is what h5py shows.
public enum HDF5ElementType: Sendable, Equatable, CustomStringConvertible {
    case float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    /// An HDF5 enum {FALSE = 0, TRUE = 1} over a 1-byte integer: h5py's (and numpy's) `bool`.
    case bool
    /// A string: variable-length when `length` is nil (h5py reads UTF-8 ones as `str`), else a fixed
    /// number of bytes (h5py: `bytes`).
    case string(length: Int?, isUTF8: Bool)
    /// Anything else (compound, opaque, other enums, float16, …), described in words.
    case other(String)

    /// A variable-length UTF-8 string, the kind the wrapper writes.
    public static let variableLengthUTF8String = HDF5ElementType.string(length: nil, isUTF8: true)

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .bool: "bool"
        case let .string(length, isUTF8):
            (length.map { "string[\($0) bytes]" } ?? "string") + (isUTF8 ? "" : " (ASCII)")
        case let .other(words): words
        }
    }

    /// Whether elements are strings (read them with the string methods).
    public var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

extension HDF5ElementType {
    /// Classifies a libhdf5 datatype (`H5Tget_class`, `H5Tget_size`, `H5Tget_sign`, …).
    static func classify(_ type: hid_t, _ context: ErrorContext) throws -> HDF5ElementType {
        let typeClass = H5Tget_class(type)
        if typeClass == H5T_NO_CLASS { throw HDF5Error.libraryFailure(call: "H5Tget_class", context) }
        let size = H5Tget_size(type)
        if size == 0 { throw HDF5Error.libraryFailure(call: "H5Tget_size", context) }
        switch typeClass {
        case H5T_FLOAT:
            switch size {
            case 4: return .float32
            case 8: return .float64
            default: return .other("float\(size * 8)")
            }
        case H5T_INTEGER:
            let sign = H5Tget_sign(type)
            if sign == H5T_SGN_ERROR { throw HDF5Error.libraryFailure(call: "H5Tget_sign", context) }
            let signed = sign != H5T_SGN_NONE
            switch (size, signed) {
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            case (2, false): return .uint16
            case (4, false): return .uint32
            case (8, false): return .uint64
            default: return .other((signed ? "int" : "uint") + "\(size * 8)")
            }
        case H5T_STRING:
            let variable = try checkTruth(H5Tis_variable_str(type), call: "H5Tis_variable_str", context)
            let characterSet = H5Tget_cset(type)
            if characterSet == H5T_CSET_ERROR { throw HDF5Error.libraryFailure(call: "H5Tget_cset", context) }
            return .string(length: variable ? nil : size, isUTF8: characterSet == H5T_CSET_UTF8)
        case H5T_ENUM:
            return try isBooleanEnum(type, context) ? .bool : .other("enum (\(size)-byte)")
        case H5T_COMPOUND: return .other("compound")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("variable-length sequence")
        case H5T_REFERENCE: return .other("reference")
        case H5T_BITFIELD: return .other("bitfield")
        case H5T_TIME: return .other("time")
        default: return .other("unknown type class \(typeClass.rawValue)")
        }
    }

    /// Whether an enum type is h5py's bool: two members FALSE = 0 and TRUE = 1 over a 1-byte integer.
    private static func isBooleanEnum(_ type: hid_t, _ context: ErrorContext) throws -> Bool {
        let members = try checkStatus(H5Tget_nmembers(type), call: "H5Tget_nmembers", context)
        guard members == 2, H5Tget_size(type) == 1 else { return false }
        var found: [String: Int8] = [:]
        for index in 0..<UInt32(members) {
            guard let name = H5Tget_member_name(type, index) else {
                throw HDF5Error.libraryFailure(call: "H5Tget_member_name", context)
            }
            let text = String(cString: name)
            H5free_memory(name)
            var value: Int8 = 0
            try checkStatus(H5Tget_member_value(type, index, &value), call: "H5Tget_member_value", context)
            found[text] = value
        }
        return found == ["FALSE": 0, "TRUE": 1]
    }
}
