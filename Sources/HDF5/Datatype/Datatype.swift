import CHDF5

/// An owned libhdf5 datatype: the stored type of a dataset or attribute (`H5Dget_type`,
/// `H5Aget_type`) or a string type the wrapper builds. Library constants such as
/// `H5T_NATIVE_FLOAT` are not owned and never wrapped.
public final class HDF5Datatype: HDF5Object {
    public let handle: HDF5Handle

    init(adopting identifier: hid_t, context: ErrorContext) {
        handle = HDF5Handle(adopting: identifier, kind: .datatype, context: context)
    }

    /// What the elements are (float32, bool, string, …).
    public func elementType() throws -> HDF5ElementType {
        try HDF5ElementType.classify(try handle.identifier(for: "H5Tget_class"), handle.context)
    }

    /// A variable-length, null-terminated string type (`H5Tcopy(H5T_C_S1)` with size
    /// `H5T_VARIABLE`); UTF-8 unless `utf8` is false. In memory each element is a `char *`.
    static func variableLengthString(utf8: Bool = true, _ context: ErrorContext) throws -> HDF5Datatype {
        try HDF5Library.prepareCurrentThread()
        let identifier = try checkIdentifier(H5Tcopy(chdf5_c_s1()), call: "H5Tcopy", context)
        let type = HDF5Datatype(adopting: identifier, context: context)
        try checkStatus(H5Tset_size(identifier, chdf5_t_variable()), call: "H5Tset_size", context)
        try checkStatus(H5Tset_cset(identifier, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), call: "H5Tset_cset", context)
        try checkStatus(H5Tset_strpad(identifier, H5T_STR_NULLTERM), call: "H5Tset_strpad", context)
        return type
    }

    /// A copy of this type (`H5Tcopy`), e.g. to read fixed-length strings into memory.
    func copy() throws -> HDF5Datatype {
        let identifier = try checkIdentifier(H5Tcopy(try handle.identifier(for: "H5Tcopy")), call: "H5Tcopy",
                                             handle.context)
        return HDF5Datatype(adopting: identifier, context: handle.context)
    }
}
