import Foundation

/// fsync helpers for atomic publication (write `<name>.tmp`, fsync, rename, fsync the directory).
enum FileSystem {
    static func lastError() -> String { String(cString: strerror(errno)) }

    static func synchronizeFile(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ReplayError("cannot open '\(path)' to fsync it: \(lastError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ReplayError("fsync of '\(path)' failed: \(lastError())") }
    }

    static func synchronizeDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard descriptor >= 0 else { throw ReplayError("cannot open the directory of '\(path)' to fsync it: \(lastError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ReplayError("fsync of the directory of '\(path)' failed: \(lastError())") }
    }
}
