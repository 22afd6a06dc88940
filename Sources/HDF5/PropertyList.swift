import CHDF5

/// An owned libhdf5 property list (`H5Pcreate` … `H5Pclose`): file access, dataset creation, link
/// creation. The wrapper builds these itself; the type is public so that callers can read the
/// settings of a dataset (``HDF5Dataset/creationProperties()``).
public final class HDF5PropertyList: HDF5Object {
    public let handle: HDF5Handle

    init(adopting identifier: hid_t, context: ErrorContext) {
        handle = HDF5Handle(adopting: identifier, kind: .propertyList, context: context)
    }

    /// A new list of class `classIdentifier` (e.g. `chdf5_p_dataset_create()`).
    init(class classIdentifier: hid_t, _ context: ErrorContext) throws {
        try HDF5Library.prepareCurrentThread()
        let identifier = try checkIdentifier(H5Pcreate(classIdentifier), call: "H5Pcreate", context)
        handle = HDF5Handle(adopting: identifier, kind: .propertyList, context: context)
    }

    /// File access: `H5F_CLOSE_STRONG`, so closing the file closes every object opened from it
    /// (as h5py does); see ``HDF5Handle``. libhdf5's own `flock` file locking is off
    /// (`H5Pset_file_locking(false)`; the `HDF5_USE_FILE_LOCKING` variable still overrides it) — see
    /// ChildProcesses.swift for why and for what guards the toolkit's files instead.
    static func fileAccess(_ context: ErrorContext) throws -> HDF5PropertyList {
        let list = try HDF5PropertyList(class: chdf5_p_file_access(), context)
        let identifier = try list.handle.identifier(for: "H5Pset_fclose_degree")
        try checkStatus(H5Pset_fclose_degree(identifier, H5F_CLOSE_STRONG), call: "H5Pset_fclose_degree", context)
        try checkStatus(H5Pset_file_locking(identifier, false, true), call: "H5Pset_file_locking", context)
        return list
    }

    /// Link creation; with `intermediateGroups` missing groups along a path are created.
    static func linkCreation(intermediateGroups: Bool, _ context: ErrorContext) throws -> HDF5PropertyList {
        let list = try HDF5PropertyList(class: chdf5_p_link_create(), context)
        let identifier = try list.handle.identifier(for: "H5Pset_create_intermediate_group")
        try checkStatus(H5Pset_create_intermediate_group(identifier, intermediateGroups ? 1 : 0),
                        call: "H5Pset_create_intermediate_group", context)
        return list
    }
}
