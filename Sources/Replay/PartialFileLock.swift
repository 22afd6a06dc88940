#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `flock` a live ``TrajectoryDatasetWriter`` holds on its `<path>.partial` from creating it until
/// it finishes, abandons or discards it, so that a partial file still being written is never taken
/// for one an interrupted write left behind: recovery refuses it, and the messages that point at a
/// partial file say it is being written. The toolkit opens HDF5 files with libhdf5's own locking off
/// (HDF5 ChildProcesses.swift); this lock is the toolkit's, on a descriptor opened close-on-exec, so
/// a child process never inherits it. The operating system drops it when its owner dies, so a crashed
/// writer's file is free at once. (On network file systems `flock` may be local to one machine.)
struct PartialFileLock {
    private let descriptor: Int32

    /// Takes the exclusive lock on `path`; nil when another writer (or recovery) holds it, or the file
    /// cannot be opened.
    static func acquire(_ path: String) -> PartialFileLock? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return PartialFileLock(descriptor: descriptor)
    }

    /// True when a live writer (or a recovery) holds `path`'s lock; false for a free or missing file.
    static func isHeld(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// Drops the lock (closing its descriptor).
    func release() {
        close(descriptor)
    }
}
