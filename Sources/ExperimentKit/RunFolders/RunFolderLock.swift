#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The exclusive lock of a run folder: `<run>/.lock`, holding the owner's process id and host name,
/// locked with `flock(2)` (`LOCK_EX | LOCK_NB`). Two processes pointed at one run folder would
/// interleave checkpoints and metrics rows; with the lock the second refuses at once with
/// ``RunFolderLockError/held(lockPath:ownerProcess:ownerHost:)``, naming the owner.
///
/// The operating system releases a `flock` lock when its owner exits — cleanly, by an uncaught
/// signal or by `kill -9` — so a crashed owner never leaves a stale lock: the file stays behind but
/// is not locked, and the next ``acquire(runFolder:)`` takes it. The file's text (`pid host`) only
/// names the owner in the refusal message; the `flock` state alone decides.
///
/// The lock excludes other *processes*. Within one process it is reentrant: acquiring a folder the
/// process already holds returns another handle on the same lock (the CLI takes it before writing
/// `run.json` and the ``Trainer`` takes it again), and the lock is released when the last handle is
/// released. The descriptor is opened close-on-exec, so child processes never inherit the lock.
/// On network file systems `flock` may be local to one machine.
///
/// ```swift
/// let lock = try RunFolderLock.acquire(runFolder: "runs/ect")   // throws if another process trains there
/// defer { lock.release() }
/// ```
public final class RunFolderLock: Sendable {
    /// The lock file's name inside the run folder.
    public static let fileName = ".lock"

    /// The path of the lock file.
    public let path: String
    private let released = Atomic<Bool>(false)

    private init(path: String) { self.path = path }

    /// `<runFolder>/.lock`.
    public static func path(ofRunFolder runFolder: String) -> String {
        (runFolder as NSString).appendingPathComponent(fileName)
    }

    /// Takes the lock of `runFolder` (which must exist), creating the lock file when missing and
    /// writing `"<pid> <host>\n"` into it (best effort: a file that cannot be written, e.g. on a full
    /// disk, is emptied and the lock still taken). Throws ``RunFolderLockError/held(lockPath:ownerProcess:ownerHost:)``
    /// when another live process holds it, ``RunFolderLockError/unavailable(lockPath:reason:)`` when the
    /// file cannot be created or locked (a read-only or full file system, a missing folder).
    public static func acquire(runFolder: String) throws(RunFolderLockError) -> RunFolderLock {
        let lockPath = path(ofRunFolder: runFolder)
        let key = URL(fileURLWithPath: lockPath).standardizedFileURL.path
        return try registry.withLock { (held: inout [String: HeldLock]) throws(RunFolderLockError) -> RunFolderLock in
            if var existing = held[key] {
                existing.handles += 1
                held[key] = existing
                return RunFolderLock(path: lockPath)
            }
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw .unavailable(lockPath: lockPath, reason: "cannot create or open it: \(systemErrorText())")
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let owner = readOwner(descriptor)
                close(descriptor)
                if code == EWOULDBLOCK {
                    throw .held(lockPath: lockPath, ownerProcess: owner.process, ownerHost: owner.host)
                }
                throw .unavailable(lockPath: lockPath, reason: "flock: \(String(cString: strerror(code)))")
            }
            // The owner's name is informational: on a full disk the lock is still taken (and the run
            // then fails on its first real write, naming that file), the file just names no owner.
            let text = "\(getpid()) \(ProcessInfo.processInfo.hostName)\n"
            let written = text.utf8CString.withUnsafeBufferPointer { buffer -> Bool in
                pwrite(descriptor, buffer.baseAddress, buffer.count - 1, 0) == buffer.count - 1
                    && ftruncate(descriptor, off_t(buffer.count - 1)) == 0
            }
            if !written { _ = ftruncate(descriptor, 0) }
            held[key] = HeldLock(descriptor: descriptor, handles: 1)
            return RunFolderLock(path: lockPath)
        }
    }

    /// The owner named in `runFolder`'s lock file when another process holds the lock now; nil when
    /// the folder is free (no file, or a file left by an owner that exited) or held by this process.
    public static func currentOwner(ofRunFolder runFolder: String) -> (process: Int32?, host: String?)? {
        let lockPath = path(ofRunFolder: runFolder)
        let descriptor = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        let owner = readOwner(descriptor)
        return owner.process == getpid() ? nil : owner
    }

    /// Gives this handle up; the lock is released (unlocked; the file and its text stay) when the
    /// process's last handle on it is. Idempotent; `deinit` releases a handle that was not.
    public func release() {
        guard !released.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        Self.registry.withLock { held in
            guard var existing = held[key] else { return }
            existing.handles -= 1
            if existing.handles > 0 {
                held[key] = existing
                return
            }
            held[key] = nil
            _ = flock(existing.descriptor, LOCK_UN)
            close(existing.descriptor)
        }
    }

    deinit { release() }

    // MARK: Internals

    struct HeldLock {
        let descriptor: Int32
        var handles: Int
    }

    /// The locks this process holds, by standardized lock-file path.
    private static let registry = Mutex<[String: HeldLock]>([:])

    /// `pid host` from the start of the file (either part nil when unreadable).
    private static func readOwner(_ descriptor: Int32) -> (process: Int32?, host: String?) {
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return (nil, nil) }
        let text = String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        return (parts.first.flatMap { Int32($0) }, parts.count > 1 ? parts[1] : nil)
    }

    private static func systemErrorText() -> String { String(cString: strerror(errno)) }
}

/// Why a run folder's lock could not be taken (DESIGN.md §7): one line naming the lock file and
/// what to do.
public enum RunFolderLockError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another live process holds the lock (its pid and host as written in the file, when readable).
    case held(lockPath: String, ownerProcess: Int32?, ownerHost: String?)
    /// The lock file cannot be created, written or locked (`reason` is the system's).
    case unavailable(lockPath: String, reason: String)

    public var description: String {
        switch self {
        case let .held(lockPath, process, host):
            let owner = process.map { "process \($0)" } ?? "another process"
            let place = host.map { " on \($0)" } ?? ""
            let folder = (lockPath as NSString).deletingLastPathComponent
            return "run folder \(folder) is in use by \(owner)\(place) (lock \(lockPath)); "
                + "wait for that run to finish or stop it, or choose another run folder"
        case let .unavailable(lockPath, reason):
            return "cannot lock the run folder: lock file \(lockPath): \(reason)"
        }
    }
}
