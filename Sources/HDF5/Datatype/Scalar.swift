import CHDF5

/// A Swift type whose values can be stored as dataset or attribute elements.
///
/// The contract: ``nativeMemoryType`` describes exactly the Swift type's memory layout, so a
/// buffer of values goes to `H5Dwrite`/`H5Awrite` (and comes back from `H5Dread`/`H5Aread`) in one
/// call, without per-element conversion. New datasets store ``fileType`` (the little-endian
/// standard type, which is what numpy and h5py write on every common machine). Reading or writing
/// checks that the stored ``HDF5ElementType`` equals ``elementType`` and throws
/// ``HDF5Error/Kind/typeMismatch`` otherwise, so libhdf5 never converts values silently.
///
/// Conforming types: `Float`, `Double`, `Int8`, `Int16`, `Int32`, `Int64`, `Int` (64-bit, stored as
/// int64), `UInt8`, `UInt16`, `UInt32`, `UInt64`, and `Bool` (stored as the HDF5 enum
/// {FALSE = 0, TRUE = 1} over int8, which h5py reads as numpy `bool`).
public protocol HDF5Scalar: BitwiseCopyable, Sendable {
    /// The stored element type this Swift type reads and writes.
    static var elementType: HDF5ElementType { get }
    /// The libhdf5 native type with this Swift type's layout (`H5T_NATIVE_FLOAT` for `Float`, …).
    static var nativeMemoryType: hid_t { get throws }
    /// The libhdf5 type new datasets and attributes store (`H5T_IEEE_F32LE` for `Float`, …).
    static var fileType: hid_t { get throws }
}

/// A library type constant read through the shim; negative means libhdf5 failed to initialise.
private func constant(_ identifier: hid_t, _ name: String) throws -> hid_t {
    try HDF5Library.prepareCurrentThread()
    return try checkIdentifier(identifier, call: name, .library)
}

extension Float: HDF5Scalar {
    public static var elementType: HDF5ElementType { .float32 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_float(), "H5T_NATIVE_FLOAT") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_ieee_f32le(), "H5T_IEEE_F32LE") } }
}

extension Double: HDF5Scalar {
    public static var elementType: HDF5ElementType { .float64 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_double(), "H5T_NATIVE_DOUBLE") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_ieee_f64le(), "H5T_IEEE_F64LE") } }
}

extension Int8: HDF5Scalar {
    public static var elementType: HDF5ElementType { .int8 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_int8(), "H5T_NATIVE_INT8") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_i8le(), "H5T_STD_I8LE") } }
}

extension Int16: HDF5Scalar {
    public static var elementType: HDF5ElementType { .int16 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_int16(), "H5T_NATIVE_INT16") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_i16le(), "H5T_STD_I16LE") } }
}

extension Int32: HDF5Scalar {
    public static var elementType: HDF5ElementType { .int32 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_int32(), "H5T_NATIVE_INT32") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_i32le(), "H5T_STD_I32LE") } }
}

extension Int64: HDF5Scalar {
    public static var elementType: HDF5ElementType { .int64 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_int64(), "H5T_NATIVE_INT64") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_i64le(), "H5T_STD_I64LE") } }
}

/// `Int` is 64 bits on every platform Swift supports here, so it shares int64's types.
extension Int: HDF5Scalar {
    public static var elementType: HDF5ElementType { .int64 }
    public static var nativeMemoryType: hid_t {
        get throws {
            precondition(MemoryLayout<Int>.size == 8, "HDF5Scalar: Int must be 64 bits")
            return try Int64.nativeMemoryType
        }
    }
    public static var fileType: hid_t { get throws { try Int64.fileType } }
}

extension UInt8: HDF5Scalar {
    public static var elementType: HDF5ElementType { .uint8 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_uint8(), "H5T_NATIVE_UINT8") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_u8le(), "H5T_STD_U8LE") } }
}

extension UInt16: HDF5Scalar {
    public static var elementType: HDF5ElementType { .uint16 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_uint16(), "H5T_NATIVE_UINT16") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_u16le(), "H5T_STD_U16LE") } }
}

extension UInt32: HDF5Scalar {
    public static var elementType: HDF5ElementType { .uint32 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_uint32(), "H5T_NATIVE_UINT32") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_u32le(), "H5T_STD_U32LE") } }
}

extension UInt64: HDF5Scalar {
    public static var elementType: HDF5ElementType { .uint64 }
    public static var nativeMemoryType: hid_t { get throws { try constant(chdf5_native_uint64(), "H5T_NATIVE_UINT64") } }
    public static var fileType: hid_t { get throws { try constant(chdf5_std_u64le(), "H5T_STD_U64LE") } }
}

/// Swift's `Bool` is one byte holding 0 or 1, so the enum {FALSE = 0, TRUE = 1} over native int8
/// is its exact memory type; the file type is the same enum over little-endian int8 (h5py's bool).
extension Bool: HDF5Scalar {
    public static var elementType: HDF5ElementType { .bool }
    public static var nativeMemoryType: hid_t { get throws { try booleanEnumTypes.get().memory } }
    public static var fileType: hid_t { get throws { try booleanEnumTypes.get().file } }
}

/// The two boolean enum types, made once per process and never closed (`H5Tenum_create`).
private let booleanEnumTypes: Result<(memory: hid_t, file: hid_t), HDF5Error> = Result {
    try HDF5Library.prepareCurrentThread()
    return (memory: try booleanEnum(over: chdf5_native_int8()), file: try booleanEnum(over: chdf5_std_i8le()))
}.mapError { error in
    error as? HDF5Error ?? HDF5Error.check(.libraryCall, call: "H5Tenum_create", .library, "\(error)")
}

private func booleanEnum(over base: hid_t) throws -> hid_t {
    let type = try checkIdentifier(H5Tenum_create(base), call: "H5Tenum_create", .library)
    var falseValue: Int8 = 0, trueValue: Int8 = 1
    try checkStatus(H5Tenum_insert(type, "FALSE", &falseValue), call: "H5Tenum_insert", .library)
    try checkStatus(H5Tenum_insert(type, "TRUE", &trueValue), call: "H5Tenum_insert", .library)
    return type
}

/// Throws ``HDF5Error/Kind/invalidValue`` when `T` is `Bool` and a byte of `elements`, just read from
/// the file as `T` values, is neither FALSE (0) nor TRUE (1): libhdf5 copies the stored enum bytes
/// as they are (or, converting, makes a non-member all ones), and any other byte is not a valid
/// Swift `Bool`. The error names the first such element and its byte; the whole buffer is zeroed
/// (`false`) first, so no invalid `Bool` is left behind. Every bit pattern of the other types is a
/// valid value.
func requireValidElements<T: HDF5Scalar>(
    _: T.Type, _ elements: UnsafeMutableRawBufferPointer, call: String, _ context: ErrorContext
) throws {
    guard T.self == Bool.self, let index = elements.firstIndex(where: { $0 > 1 }) else { return }
    let byte = elements[index]
    for offset in elements.indices { elements[offset] = 0 }
    throw HDF5Error.check(.invalidValue, call: call, context,
                          "bool element \(index) holds the byte \(byte), which is neither FALSE (0) nor TRUE (1); the file is damaged or was written with another boolean encoding")
}

extension HDF5ElementType {
    /// The native memory type of the ``HDF5Scalar`` type that reads and writes this element type
    /// (`H5T_NATIVE_FLOAT` for float32, …, the native boolean enum for bool); nil for strings and
    /// other types.
    var nativeMemoryType: hid_t? {
        get throws {
            switch self {
            case .float32: try Float.nativeMemoryType
            case .float64: try Double.nativeMemoryType
            case .int8: try Int8.nativeMemoryType
            case .int16: try Int16.nativeMemoryType
            case .int32: try Int32.nativeMemoryType
            case .int64: try Int64.nativeMemoryType
            case .uint8: try UInt8.nativeMemoryType
            case .uint16: try UInt16.nativeMemoryType
            case .uint32: try UInt32.nativeMemoryType
            case .uint64: try UInt64.nativeMemoryType
            case .bool: try Bool.nativeMemoryType
            case .string, .other: nil
            }
        }
    }
}
