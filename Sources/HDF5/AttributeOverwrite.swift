import CHDF5

extension HDF5AttributeOwner {
    /// Overwrites the value of an existing single-valued attribute in place (one `H5Awrite` into the
    /// open attribute), keeping its stored type, shape and place in the object header. Unlike
    /// ``setAttribute(_:_:)-(String,T)`` (which deletes and recreates the attribute, so the object
    /// header's messages move), the header keeps its layout and the next flush rewrites just the
    /// value — what a commit record that is updated again and again needs. Throws when the attribute
    /// is missing, holds another element type, or holds more than one element.
    public func overwriteAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws {
        let attribute = try openAttribute(name)
        defer { try? attribute.close() }
        let context = attribute.handle.context
        let stored = try attribute.elementType()
        guard stored == T.elementType else {
            throw HDF5Error.check(.typeMismatch, call: "H5Awrite", context,
                                  "the attribute stores \(stored), but the new value's Swift type \(T.self) is \(T.elementType); use setAttribute to replace it")
        }
        let count = try attribute.elementCount()
        guard count == 1 else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Awrite", context,
                                  "the attribute holds \(count) elements; overwriting in place takes a single-valued attribute")
        }
        let identifier = try attribute.handle.identifier(for: "H5Awrite")
        let memoryType = try T.nativeMemoryType
        _ = try withUnsafePointer(to: value) { pointer in
            try checkStatus(H5Awrite(identifier, memoryType, pointer), call: "H5Awrite", context)
        }
    }
}
