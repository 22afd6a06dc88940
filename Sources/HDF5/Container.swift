import CHDF5

/// Something that holds groups and datasets: a file (its root group) or a group.
///
/// Paths are relative to the container ("a/b/c") or absolute ("/a/b/c"). Creating a group or a
/// dataset under missing groups fails unless `createIntermediateGroups` is true.
public protocol HDF5Container: HDF5AttributeOwner {}

extension HDF5Container {
    // MARK: Groups

    /// Creates a group (`H5Gcreate2`); with `createIntermediateGroups` missing parents are made.
    public func createGroup(_ path: String, createIntermediateGroups: Bool = false) throws -> HDF5Group {
        let context = childContext(path)
        let location = try handle.identifier(for: "H5Gcreate2")
        let links = try HDF5PropertyList.linkCreation(intermediateGroups: createIntermediateGroups, context)
        let identifier = try checkIdentifier(
            H5Gcreate2(location, path, try links.handle.identifier(for: "H5Gcreate2"), hid_t(H5P_DEFAULT),
                       hid_t(H5P_DEFAULT)),
            call: "H5Gcreate2", context)
        let group = HDF5Group(adopting: identifier, file: file, objectPath: context.objectPath)
        try links.close()
        return group
    }

    /// Opens an existing group (`H5Gopen2`).
    public func openGroup(_ path: String) throws -> HDF5Group {
        let context = childContext(path)
        let identifier = try checkIdentifier(
            H5Gopen2(try handle.identifier(for: "H5Gopen2"), path, hid_t(H5P_DEFAULT)), call: "H5Gopen2", context)
        return HDF5Group(adopting: identifier, file: file, objectPath: context.objectPath)
    }

    /// Opens the group at `path`, creating it and any missing parents if it does not exist (h5py's
    /// `require_group`). Throws if something other than a group is there.
    public func requireGroup(_ path: String) throws -> HDF5Group {
        try contains(path) ? openGroup(path) : createGroup(path, createIntermediateGroups: true)
    }

    // MARK: Datasets

    /// Creates a dataset of `T` elements and `shape` (`H5Dcreate2`), filled with zeros until written.
    public func createDataset<T: HDF5Scalar>(
        _ path: String, of type: T.Type, shape: [Int], options: HDF5DatasetOptions = HDF5DatasetOptions(),
        createIntermediateGroups: Bool = false
    ) throws -> HDF5Dataset {
        try makeDataset(path, fileType: try T.fileType, shape: shape, options: options,
                        createIntermediateGroups: createIntermediateGroups)
    }

    /// Creates a dataset holding `values` with `shape` (default 1-D, `[values.count]`) and writes
    /// them in one `H5Dwrite`.
    @discardableResult
    public func createDataset<T: HDF5Scalar>(
        _ path: String, values: [T], shape: [Int]? = nil, options: HDF5DatasetOptions = HDF5DatasetOptions(),
        createIntermediateGroups: Bool = false
    ) throws -> HDF5Dataset {
        let shape = shape ?? [values.count]
        try requireCount(values.count, fits: shape, path: path)
        let dataset = try createDataset(path, of: T.self, shape: shape, options: options,
                                        createIntermediateGroups: createIntermediateGroups)
        try dataset.write(values)
        return dataset
    }

    /// Creates a dataset of variable-length UTF-8 strings (h5py reads `str` elements) holding
    /// `strings` with `shape` (default 1-D).
    @discardableResult
    public func createStringDataset(
        _ path: String, strings: [String], shape: [Int]? = nil, options: HDF5DatasetOptions = HDF5DatasetOptions(),
        createIntermediateGroups: Bool = false
    ) throws -> HDF5Dataset {
        let shape = shape ?? [strings.count]
        try requireCount(strings.count, fits: shape, path: path)
        let context = childContext(path)
        let dataset = try closing(HDF5Datatype.variableLengthString(context)) { type in
            try makeDataset(path, fileType: try type.handle.identifier(for: "H5Dcreate2"), shape: shape,
                            options: options, createIntermediateGroups: createIntermediateGroups)
        }
        try dataset.writeStrings(strings)
        return dataset
    }

    /// Opens an existing dataset (`H5Dopen2`).
    public func openDataset(_ path: String) throws -> HDF5Dataset {
        let context = childContext(path)
        let identifier = try checkIdentifier(
            H5Dopen2(try handle.identifier(for: "H5Dopen2"), path, hid_t(H5P_DEFAULT)), call: "H5Dopen2", context)
        return HDF5Dataset(adopting: identifier, file: file, objectPath: context.objectPath)
    }

    // MARK: Members

    /// The direct members in name order (`H5Gget_info`, `H5Lget_name_by_idx`), each with what it is.
    public func members() throws -> [HDF5Member] {
        let context = ErrorContext(filePath: file.filePath, objectPath: objectPath)
        let location = try handle.identifier(for: "H5Gget_info")
        var info = H5G_info_t()
        try checkStatus(H5Gget_info(location, &info), call: "H5Gget_info", context)
        return try (0..<info.nlinks).map { index in
            let length = try checkSize(
                H5Lget_name_by_idx(location, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT)),
                call: "H5Lget_name_by_idx", context)
            var buffer = [CChar](repeating: 0, count: length + 1)
            _ = try checkSize(
                H5Lget_name_by_idx(location, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                   hid_t(H5P_DEFAULT)),
                call: "H5Lget_name_by_idx", context)
            let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return try HDF5Member.describe(name, in: location, childContext(name))
        }
    }

    /// Whether `path` names an existing object (following soft links); false if any part of the
    /// path is missing or is not a group (`H5Lexists` and `H5Oexists_by_name` component by component).
    public func contains(_ path: String) throws -> Bool {
        let context = childContext(path)
        let location = try handle.identifier(for: "H5Lexists")
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        var prefix = path.hasPrefix("/") ? "" : "."
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            guard try checkTruth(H5Lexists(location, prefix, hid_t(H5P_DEFAULT)), call: "H5Lexists", context),
                  try checkTruth(H5Oexists_by_name(location, prefix, hid_t(H5P_DEFAULT)), call: "H5Oexists_by_name",
                                 context)
            else { return false }
            if index < components.count - 1, try HDF5Member.objectKind(prefix, in: location, context) != .group {
                return false
            }
        }
        return true
    }

    /// Removes the link `path` (`H5Ldelete`); the space is reused by libhdf5 but not returned to the
    /// file system.
    public func delete(_ path: String) throws {
        try checkStatus(H5Ldelete(try handle.identifier(for: "H5Ldelete"), path, hid_t(H5P_DEFAULT)),
                        call: "H5Ldelete", childContext(path))
    }

    // MARK: Helpers

    /// Errors about `path` point at its absolute path.
    func childContext(_ path: String) -> ErrorContext {
        ErrorContext(filePath: file.filePath, objectPath: joinObjectPath(objectPath, path))
    }

    private func requireCount(_ count: Int, fits shape: [Int], path: String) throws {
        if let negative = shape.first(where: { $0 < 0 }) {
            throw HDF5Error.check(.invalidArgument, call: "H5Dcreate2", childContext(path),
                                  "extent \(negative) in shape \(shape) is negative")
        }
        let expected = try extentProduct(shape, call: "H5Dcreate2", childContext(path))
        guard count == expected else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dwrite", childContext(path),
                                  "\(count) values given for shape \(shape) (\(expected) elements)")
        }
    }

    private func makeDataset(
        _ path: String, fileType: hid_t, shape: [Int], options: HDF5DatasetOptions, createIntermediateGroups: Bool
    ) throws -> HDF5Dataset {
        let context = childContext(path)
        let location = try handle.identifier(for: "H5Dcreate2")
        let elementSize = H5Tget_size(fileType)
        if elementSize == 0 { throw HDF5Error.libraryFailure(call: "H5Tget_size", context) }
        let space = try HDF5Dataspace(shape: shape, maxShape: options.maximumExtents(for: shape), context)
        let creation = try options.creationPropertyList(shape: shape, elementSize: elementSize, context)
        let links = try HDF5PropertyList.linkCreation(intermediateGroups: createIntermediateGroups, context)
        let identifier = try checkIdentifier(
            H5Dcreate2(location, path, fileType, try space.handle.identifier(for: "H5Dcreate2"),
                       try links.handle.identifier(for: "H5Dcreate2"), try creation.handle.identifier(for: "H5Dcreate2"),
                       hid_t(H5P_DEFAULT)),
            call: "H5Dcreate2", context)
        let dataset = HDF5Dataset(adopting: identifier, file: file, objectPath: context.objectPath)
        try links.close()
        try creation.close()
        try space.close()
        return dataset
    }
}

/// The absolute path of `path` seen from the object at `base`: "/a" + "b/c" → "/a/b/c"; an
/// absolute `path` stands alone. "." components are dropped.
func joinObjectPath(_ base: String, _ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : base + "/" + path
    let components = joined.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    return "/" + components.joined(separator: "/")
}
