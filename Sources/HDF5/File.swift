import CHDF5
import Foundation

/// An open HDF5 file; as a container it is the root group "/".
///
/// ```swift
/// let file = try HDF5File("run/metrics.h5", mode: .truncate)
/// try file.setAttribute("format", "consistency-td.metrics")
/// try file.createDataset("scalars/loss", values: losses, createIntermediateGroups: true)
/// try file.close()
/// ```
///
/// Opening checks first that the file exists and carries the HDF5 signature (`H5Fis_hdf5`), so a
/// missing, empty or foreign file gets a plain message rather than libhdf5's stack alone; a
/// truncated HDF5 file fails in `H5Fopen` with libhdf5's "truncated file" stack. Files use
/// `H5F_CLOSE_STRONG`: ``close()`` closes every object opened from this file too (see
/// ``HDF5Handle``). The file's descriptor is close-on-exec, so child processes never inherit it, and
/// libhdf5's `flock` file locking is off, so none can hold a lock on it (ChildProcesses.swift).
public final class HDF5File: HDF5Container {
    /// How to open or create the file (h5py's "r", "r+", "w", "x").
    public enum Mode: String, Sendable {
        /// Open an existing file for reading (`H5F_ACC_RDONLY`).
        case readOnly
        /// Open an existing file for reading and writing (`H5F_ACC_RDWR`).
        case readWrite
        /// Create the file, replacing any existing one (`H5F_ACC_TRUNC`).
        case truncate
        /// Create the file; fail if it exists (`H5F_ACC_EXCL`).
        case exclusive
    }

    /// The path on disk, as given.
    public let filePath: String
    public let mode: Mode
    public let handle: HDF5Handle
    public var file: HDF5File { self }
    /// Always "/": the file stands for its root group.
    public var objectPath: String { "/" }

    public init(_ filePath: String, mode: Mode = .readOnly) throws {
        self.filePath = filePath
        self.mode = mode
        let context = ErrorContext(filePath: filePath, objectPath: "/")
        try HDF5Library.prepareCurrentThread()
        let access = try HDF5PropertyList.fileAccess(context)
        let accessIdentifier = try access.handle.identifier(for: "H5Fopen")
        let identifier: hid_t
        switch mode {
        case .readOnly, .readWrite:
            try Self.requireHDF5Signature(filePath, context)
            let flags = mode == .readOnly ? chdf5_f_acc_rdonly() : chdf5_f_acc_rdwr()
            identifier = try checkIdentifier(H5Fopen(filePath, flags, accessIdentifier), call: "H5Fopen", context)
        case .truncate, .exclusive:
            let flags = mode == .truncate ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
            let created = H5Fcreate(filePath, flags, hid_t(H5P_DEFAULT), accessIdentifier)
            if created < 0 {
                let exists = mode == .exclusive && FileManager.default.fileExists(atPath: filePath)
                throw HDF5Error.libraryFailure(
                    call: "H5Fcreate", context,
                    message: exists ? "the file already exists and exclusive creation never replaces a file" : nil)
            }
            identifier = created
        }
        handle = HDF5Handle(adopting: identifier, kind: .file, context: context)
        try access.close()
        try markDescriptorCloseOnExec()
    }

    /// Writes everything buffered for this file to disk (`H5Fflush`, global scope). Follow with
    /// `fsync` for durability across power loss.
    public func flush() throws {
        try checkStatus(H5Fflush(try handle.identifier(for: "H5Fflush"), H5F_SCOPE_GLOBAL), call: "H5Fflush",
                        handle.context)
    }

    /// Whether `path` is an HDF5 file (`H5Fis_hdf5`); throws if it cannot be checked (missing…).
    public static func isHDF5(_ path: String) throws -> Bool {
        try HDF5Library.prepareCurrentThread()
        return try checkTruth(H5Fis_hdf5(path), call: "H5Fis_hdf5", ErrorContext(filePath: path, objectPath: ""))
    }

    /// Throws a readable error unless `path` exists and starts with the HDF5 signature.
    private static func requireHDF5Signature(_ path: String, _ context: ErrorContext) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5Error.check(.fileNotFound, call: "H5Fopen", context, "no such file")
        }
        guard !isDirectory.boolValue else {
            throw HDF5Error.check(.notAnHDF5File, call: "H5Fopen", context, "the path is a directory")
        }
        let isHDF5 = H5Fis_hdf5(path)
        if isHDF5 < 0 { throw HDF5Error.libraryFailure(call: "H5Fis_hdf5", context) }
        if isHDF5 == 0 {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            let what = size == 0 ? "the file is empty" : "the file has no HDF5 signature"
            throw HDF5Error.check(.notAnHDF5File, call: "H5Fis_hdf5", context,
                                  "not an HDF5 file: \(what)\(size.map { " (\($0) bytes)" } ?? "")")
        }
    }
}
