import Foundation
import Synchronization

/// Numbers the temporary files of ``HDF5File/writeAtomically(to:_:)`` within the process.
private let atomicWriteSerial = Atomic<Int>(0)

extension HDF5File {
    /// Writes a new HDF5 file at `path` all at once or not at all.
    ///
    /// `contents` fills a fresh file `<path>.tmp-<process id>-<n>` in the same folder, where n counts
    /// the calls in this process, so no two calls — from two processes or two threads of one — share
    /// a temporary file. The file is closed, synced to disk (`fsync` on a descriptor opened after
    /// the close, which holds everything libhdf5 wrote) and renamed over `path` (`rename(2)` replaces
    /// within a folder atomically); then the folder is synced so that the rename itself is on disk.
    /// A reader, or a crash at any moment, sees the previous file or the complete new one, never a
    /// half-written one. If `contents`, the close, the sync or the rename throws, the temporary file
    /// is removed and whatever was at `path` is left untouched. A failing sync of the folder, after
    /// the rename, is not reported: the new file is in place, only its durability across a power loss
    /// is not guaranteed.
    public static func writeAtomically(to path: String, _ contents: (HDF5File) throws -> Void) throws {
        let serial = atomicWriteSerial.add(1, ordering: .relaxed).oldValue
        let temporary = path + ".tmp-\(getpid())-\(serial)"
        unlink(temporary)
        do {
            let file = try HDF5File(temporary, mode: .truncate)
            do { try contents(file) } catch {
                try? file.close()
                throw error
            }
            try file.close()
            if let failure = syncToDisk(temporary, directory: false) {
                throw HDF5Error(.fileSystem, call: "fsync", filePath: path, objectPath: "",
                                message: "the finished file \(temporary) could not be synced to disk: \(failure)")
            }
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw HDF5Error(.fileSystem, call: "rename", filePath: path, objectPath: "",
                                message: "the finished file \(temporary) could not replace it: \(reason)")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        let folder = (path as NSString).deletingLastPathComponent
        _ = syncToDisk(folder.isEmpty ? "." : folder, directory: true)
    }
}

/// `fsync` of the file or folder at `path` through a descriptor opened read-only for it; nil when
/// that worked, else the system's reason.
private func syncToDisk(_ path: String, directory: Bool) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    defer { close(descriptor) }
    return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
}
