import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeping open files out of child processes.
///
/// libhdf5's POSIX driver opens a file without `O_CLOEXEC`, and with its file locking on (libhdf5's
/// default) it holds an `flock` lock on the open file description until the file closes. A child
/// process spawned while the file is open by `posix_spawn` or `fork`/`exec` without closing
/// descriptors (as swift-testing's exit tests do; Foundation's `Process` closes them) inherits the
/// descriptor and with it the lock, so after the parent closes the file its next open fails with
/// "unable to lock file, errno = 11" for as long as the child runs. Two measures:
///
/// 1. Every ``HDF5File`` marks its descriptor close-on-exec right after opening it, so a child spawned
///    later never holds the file.
/// 2. That leaves the moment between libhdf5's `open` and the marking, which no caller can close (a CI
///    run failed on it once in about twenty). So the toolkit turns libhdf5's `flock` locking off
///    (``HDF5PropertyList``'s file access): an inherited descriptor then holds no lock. The toolkit's
///    files do not rely on that lock — a run folder is locked by the toolkit's own `RunFolderLock`
///    (ExperimentKit, opened close-on-exec), checkpoints and sample files are written to a temporary
///    and renamed, a trajectory dataset is built under `<path>.partial` created exclusively and held
///    by its writer's own lock (Replay's `PartialFileLock`, which recovery respects), and reading a
///    partial file is refused. A process of another program (h5py, say) is no longer
///    refused while a toolkit process writes a file; it should read a run's `metrics.csv`, or the HDF5
///    files once the writer has finished with them.
extension HDF5File {
    /// The POSIX descriptor libhdf5 reads and writes this file through, or nil when the file uses a
    /// driver other than the default POSIX one (`H5FD_SEC2`), which has no single descriptor.
    func fileDescriptor() throws -> Int32? {
        let identifier = try handle.identifier(for: "H5Fget_access_plist")
        let access = H5Fget_access_plist(identifier)
        guard access >= 0 else { throw HDF5Error.libraryFailure(call: "H5Fget_access_plist", handle.context) }
        defer { H5Pclose(access) }
        guard H5Pget_driver(access) == chdf5_fd_sec2() else { return nil }
        var fileHandle: UnsafeMutableRawPointer?
        try checkStatus(H5Fget_vfd_handle(identifier, access, &fileHandle), call: "H5Fget_vfd_handle", handle.context)
        return fileHandle?.load(as: Int32.self)
    }

    /// Sets `FD_CLOEXEC` on the file's descriptor (nothing for a driver without one).
    func markDescriptorCloseOnExec() throws {
        guard let descriptor = try fileDescriptor() else { return }
        let flags = fcntl(descriptor, F_GETFD)
        guard flags >= 0, fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) == 0 else {
            let reason = String(cString: strerror(errno))
            throw HDF5Error.check(.libraryCall, call: "fcntl", handle.context,
                                  "cannot mark the file's descriptor \(descriptor) close-on-exec: \(reason)")
        }
    }
}
