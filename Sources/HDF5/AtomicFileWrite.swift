import Foundation

extension HDF5File {
    /// Writes a new HDF5 file at `path` all at once or not at all.
    ///
    /// `contents` fills a fresh file `<path>.tmp-<process id>` in the same folder; the file is closed and
    /// renamed over `path` (`rename(2)` replaces within a folder atomically). A reader, or a crash at any
    /// moment, sees the previous file or the complete new one, never a half-written one. If `contents`,
    /// the close or the rename throws, the temporary file is removed and whatever was at `path` is left
    /// untouched. The process id keeps two processes writing the same path from sharing a temporary file.
    /// (Checkpoints have their own writer, which also syncs to disk before the rename.)
    public static func writeAtomically(to path: String, _ contents: (HDF5File) throws -> Void) throws {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        do {
            let file = try HDF5File(temporary, mode: .truncate)
            do { try contents(file) } catch {
                try? file.close()
                throw error
            }
            try file.close()
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw HDF5Error(.fileSystem, call: "rename", filePath: path, objectPath: "",
                                message: "the finished file \(temporary) could not replace it: \(reason)")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
