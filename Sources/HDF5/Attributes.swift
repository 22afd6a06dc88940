import CHDF5

/// Something that carries attributes and lives in a file: the file itself (its root group), a
/// group, or a dataset.
public protocol HDF5AttributeOwner: HDF5Object {
    /// The file the object lives in.
    var file: HDF5File { get }
    /// The object's absolute path inside the file, e.g. "/parameters/w" ("/" for the root group).
    var objectPath: String { get }
}

/// An open attribute: a small named array (or single value) attached to a group or dataset.
public final class HDF5Attribute: HDF5Object {
    public let name: String
    public let handle: HDF5Handle

    init(adopting identifier: hid_t, name: String, context: ErrorContext, owner: HDF5Handle) {
        self.name = name
        handle = HDF5Handle(adopting: identifier, kind: .attribute, context: context, owner: owner)
    }

    private var context: ErrorContext { handle.context }

    /// The attribute's dataspace (`H5Aget_space`), a copy that you own.
    public func dataspace() throws -> HDF5Dataspace {
        let identifier = try handle.identifier(for: "H5Aget_space")
        return HDF5Dataspace(adopting: try checkIdentifier(H5Aget_space(identifier), call: "H5Aget_space", context),
                             context: context)
    }

    /// The stored datatype (`H5Aget_type`), a copy that you own.
    public func datatype() throws -> HDF5Datatype {
        let identifier = try handle.identifier(for: "H5Aget_type")
        return HDF5Datatype(adopting: try checkIdentifier(H5Aget_type(identifier), call: "H5Aget_type", context),
                            context: context)
    }

    /// The shape (`[]` for a single value).
    public func shape() throws -> [Int] { try closing(dataspace()) { try $0.shape() } }

    /// The number of elements (1 for a single value, 0 for h5py's `Empty`).
    public func elementCount() throws -> Int { try closing(dataspace()) { try $0.elementCount() } }

    /// What the stored elements are.
    public func elementType() throws -> HDF5ElementType { try closing(datatype()) { try $0.elementType() } }

    /// Every element in row-major order (`H5Aread` with `T`'s native memory type); the stored type
    /// must be `T`'s. A bool element other than FALSE (0) or TRUE (1) throws
    /// ``HDF5Error/Kind/invalidValue``.
    public func read<T: HDF5Scalar>(as type: T.Type = T.self) throws -> [T] {
        let stored = try elementType()
        guard stored == T.elementType else {
            throw HDF5Error.check(.typeMismatch, call: "H5Aread", context,
                                  "the attribute stores \(stored), but the Swift element type \(T.self) is \(T.elementType)")
        }
        let count = try elementCount()
        try HDF5ReadLimit.check(elements: count, bytesPerElement: MemoryLayout<T>.stride, call: "H5Aread", context)
        let identifier = try handle.identifier(for: "H5Aread")
        let memoryType = try T.nativeMemoryType
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            if count > 0 {
                try checkStatus(H5Aread(identifier, memoryType, buffer.baseAddress), call: "H5Aread", context)
                try requireValidElements(T.self, UnsafeMutableRawBufferPointer(buffer), call: "H5Aread", context)
            }
            initialised = count
        }
    }

    /// Every element of a string attribute (variable- or fixed-length).
    public func readStrings() throws -> [String] {
        let stored = try elementType()
        let identifier = try handle.identifier(for: "H5Aread")
        return try closing(datatype()) { type in
            try closing(dataspace()) { space in
                try StringTransfer.read(
                    count: try space.elementCount(), storedType: stored,
                    storedTypeIdentifier: try type.handle.identifier(for: "H5Aread"),
                    space: try space.handle.identifier(for: "H5Aread"), call: "H5Aread", context
                ) { memoryType, buffer in
                    H5Aread(identifier, memoryType, buffer)
                }
            }
        }
    }
}

/// Attributes of files, groups and datasets.
///
/// Setting an attribute replaces one of the same name: the new attribute is created and written under
/// a temporary name (`H5Acreate2`, `H5Awrite`), then the old one is deleted (`H5Adelete`) and the new
/// one renamed (`H5Arename`), so a replacement that fails (a negative extent, a string with a NUL, a
/// value too large for the object header) throws and leaves the old attribute as it was. A single
/// value is stored with a scalar dataspace (h5py reads a numpy scalar, or `str` for strings), an
/// array with a simple one (h5py: a numpy array). Strings are variable-length UTF-8.
extension HDF5AttributeOwner {
    // MARK: Writing

    /// Stores one number or Bool.
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws {
        try withUnsafePointer(to: value) { pointer in
            try writeAttribute(name, shape: [], fileType: try T.fileType) { attribute in
                H5Awrite(attribute, try T.nativeMemoryType, pointer)
            }
        }
    }

    /// Stores an array of numbers or Bools, 1-D unless `shape` says otherwise (∏ shape = count).
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ values: [T], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        try requireCount(values.count, fits: shape, attribute: name)
        try values.withUnsafeBufferPointer { buffer in
            try writeAttribute(name, shape: shape, fileType: try T.fileType) { attribute in
                buffer.isEmpty ? 0 : H5Awrite(attribute, try T.nativeMemoryType, buffer.baseAddress)
            }
        }
    }

    /// Stores one variable-length UTF-8 string (h5py reads it as `str`).
    public func setAttribute(_ name: String, _ value: String) throws {
        try writeStringAttribute(name, [value], shape: [])
    }

    /// Stores a 1-D array of variable-length UTF-8 strings.
    public func setAttribute(_ name: String, _ values: [String]) throws {
        try writeStringAttribute(name, values, shape: [values.count])
    }

    // MARK: Reading

    /// A single-valued attribute (any shape with one element).
    public func attribute<T: HDF5Scalar>(_ name: String, as type: T.Type = T.self) throws -> T {
        let values = try openAttribute(name).read(as: T.self)
        guard values.count == 1 else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Aread", attributeContext(name),
                                  "the attribute holds \(values.count) values, not one; read it with attributeArray")
        }
        return values[0]
    }

    /// Every element of a numeric or Bool attribute, in row-major order.
    public func attributeArray<T: HDF5Scalar>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        try openAttribute(name).read(as: T.self)
    }

    /// A single-string attribute.
    public func stringAttribute(_ name: String) throws -> String {
        let values = try openAttribute(name).readStrings()
        guard values.count == 1 else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Aread", attributeContext(name),
                                  "the attribute holds \(values.count) strings, not one; read it with stringArrayAttribute")
        }
        return values[0]
    }

    /// Every string of a string attribute.
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        try openAttribute(name).readStrings()
    }

    /// Opens the attribute `name` (`H5Aopen`).
    public func openAttribute(_ name: String) throws -> HDF5Attribute {
        let context = attributeContext(name)
        let identifier = try checkIdentifier(
            H5Aopen(try handle.identifier(for: "H5Aopen"), name, hid_t(H5P_DEFAULT)), call: "H5Aopen", context)
        return HDF5Attribute(adopting: identifier, name: name, context: context, owner: file.handle)
    }

    // MARK: Listing

    /// The attribute names in name order (`H5Aiterate2`).
    public func attributeNames() throws -> [String] {
        var names: [String] = []
        let identifier = try handle.identifier(for: "H5Aiterate2")
        _ = try withUnsafeMutablePointer(to: &names) { pointer in
            try checkStatus(H5Aiterate2(identifier, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return -1 }
                data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, pointer), call: "H5Aiterate2", ErrorContext(filePath: file.filePath, objectPath: objectPath))
        }
        return names
    }

    /// Whether an attribute `name` exists (`H5Aexists`).
    public func hasAttribute(_ name: String) throws -> Bool {
        try checkTruth(H5Aexists(try handle.identifier(for: "H5Aexists"), name), call: "H5Aexists",
                       attributeContext(name))
    }

    /// Removes the attribute `name` (`H5Adelete`); throws if there is none.
    public func deleteAttribute(_ name: String) throws {
        try checkStatus(H5Adelete(try handle.identifier(for: "H5Adelete"), name), call: "H5Adelete",
                        attributeContext(name))
    }

    // MARK: Helpers

    /// Errors about attribute `name` point at "<object path>@<name>".
    func attributeContext(_ name: String) -> ErrorContext {
        ErrorContext(filePath: file.filePath, objectPath: "\(objectPath)@\(name)")
    }

    private func requireCount(_ count: Int, fits shape: [Int], attribute name: String) throws {
        if let negative = shape.first(where: { $0 < 0 }) {
            throw HDF5Error.check(.invalidArgument, call: "H5Acreate2", attributeContext(name),
                                  "extent \(negative) in shape \(shape) is negative")
        }
        let expected = try extentProduct(shape, call: "H5Acreate2", attributeContext(name))
        guard count == expected else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Awrite", attributeContext(name),
                                  "\(count) values given for shape \(shape) (\(expected) elements)")
        }
    }

    private func writeStringAttribute(_ name: String, _ values: [String], shape: [Int]) throws {
        let context = attributeContext(name)
        try StringTransfer.requireNoNUL(values, call: "H5Awrite", context)
        try closing(HDF5Datatype.variableLengthString(context)) { fileType in
            try writeAttribute(name, shape: shape, fileType: try fileType.handle.identifier(for: "H5Acreate2")) { attribute in
                try StringTransfer.write(values, call: "H5Awrite", context) { memoryType, buffer in
                    H5Awrite(attribute, memoryType, buffer)
                }
                return 0
            }
        }
    }

    /// Replaces attribute `name` with a new one of `shape` and `fileType`, filled by
    /// `write(attributeIdentifier)` (an `H5Awrite`). When `name` exists, the new attribute is created
    /// and written under an unused temporary name, and only once that succeeded is the old one deleted
    /// (`H5Adelete`) and the new one renamed to `name` (`H5Arename`). A failure before that removes
    /// the new attribute (a new `name` too) and leaves the old one untouched.
    private func writeAttribute(
        _ name: String, shape: [Int], fileType: hid_t, _ write: (hid_t) throws -> herr_t
    ) throws {
        let context = attributeContext(name)
        let owner = try handle.identifier(for: "H5Acreate2")
        try closing(HDF5Dataspace(shape: shape, maxShape: nil, context)) { space in
            let replacing = try checkTruth(H5Aexists(owner, name), call: "H5Aexists", context)
            var target = name
            if replacing {
                target = name + ".replacing"
                var suffix = 1
                while try checkTruth(H5Aexists(owner, target), call: "H5Aexists", context) {
                    target = name + ".replacing-\(suffix)"
                    suffix += 1
                }
            }
            let identifier = try checkIdentifier(
                H5Acreate2(owner, target, fileType, try space.handle.identifier(for: "H5Acreate2"),
                           hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                call: "H5Acreate2", context)
            let attribute = HDF5Attribute(adopting: identifier, name: target, context: context, owner: file.handle)
            do {
                try checkStatus(try write(identifier), call: "H5Awrite", context)
                try attribute.close()
            } catch {
                try? attribute.close()
                _ = H5Adelete(owner, target)
                throw error
            }
            guard replacing else { return }
            try checkStatus(H5Adelete(owner, name), call: "H5Adelete", context)
            try checkStatus(H5Arename(owner, target, name), call: "H5Arename", context)
        }
    }
}
