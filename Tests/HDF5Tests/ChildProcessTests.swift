import Foundation
@testable import HDF5
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Open HDF5 files are not inherited by child processes. libhdf5 opens files without
/// `O_CLOEXEC` and holds an `flock` lock on the open file description, so a child spawned while a
/// file is open without its descriptors being closed (a swift-testing exit test) would keep the lock
/// after the parent closes the file, and the parent's next open of it would fail with "unable to lock
/// file, errno = 11" (the CI failure of MetricsErrorTests this suite reproduces).
@Suite("Open files and child processes")
struct ChildProcessTests {
    /// Spawns `/bin/sleep 30` with `posix_spawn` and no file actions, as swift-testing's exit tests
    /// do (every descriptor without close-on-exec is inherited), runs `body` with its process id, then
    /// kills it.
    static func whileAChildRuns(_ body: (pid_t) throws -> Void) throws {
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { arguments.forEach { free($0) } }
        let spawned = posix_spawn(&child, "/bin/sleep", nil, nil, arguments, environ)
        try #require(spawned == 0, "posix_spawn failed: \(String(cString: strerror(spawned)))")
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        try body(child)
    }

    /// The files `process` has open once it runs `/bin/sleep`, read from `/proc/<pid>/fd`. The kernel
    /// closes close-on-exec descriptors a moment after `posix_spawn` returns in the parent, so this
    /// waits (up to two seconds) for the list to stop containing `path`.
    static func openFiles(of process: pid_t, waitingToLose path: String) throws -> [String] {
        let folder = "/proc/\(process)/fd"
        var files: [String] = []
        for _ in 0..<200 {
            let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
            files = entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0) }
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process)/exe")
            if executable?.hasSuffix("sleep") == true, !files.contains(path) { break }
            usleep(10_000)
        }
        return files
    }

    @Test("every open mode marks libhdf5's descriptor close-on-exec",
          arguments: [HDF5File.Mode.truncate, .exclusive, .readWrite, .readOnly])
    func descriptorIsCloseOnExec(mode: HDF5File.Mode) throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("x.h5").path
            if mode == .readWrite || mode == .readOnly { try HDF5File(path, mode: .truncate).close() }
            let file = try HDF5File(path, mode: mode)
            let descriptor = try #require(try file.fileDescriptor())
            #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
            try file.close()
        }
    }

    @Test("libhdf5 takes no flock lock: a separate descriptor locks the open file exclusively, in every open mode",
          arguments: [HDF5File.Mode.truncate, .exclusive, .readWrite, .readOnly])
    func libraryTakesNoLock(mode: HDF5File.Mode) throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("x.h5").path
            if mode == .readWrite || mode == .readOnly { try HDF5File(path, mode: .truncate).close() }
            let file = try HDF5File(path, mode: mode)
            let probe = open(path, O_RDONLY | O_CLOEXEC)
            try #require(probe >= 0)
            defer { close(probe) }
            #expect(flock(probe, LOCK_EX | LOCK_NB) == 0, "libhdf5 holds a lock: \(String(cString: strerror(errno)))")
            flock(probe, LOCK_UN)
            try file.close()
        }
    }

    /// The moment between libhdf5's open and the close-on-exec marking, made permanent: a child spawned
    /// then holds the descriptor, yet the parent closes and reopens the file (with libhdf5's locking
    /// on, the reopen failed with "unable to lock file, errno = 11" while the child ran).
    @Test("a child that inherited the descriptor does not stop the file from being reopened for writing")
    func inheritedDescriptorHoldsNoLock() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("x.h5").resolvingSymlinksInPath().path
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("x", values: [Float(1), 2, 3])
            let descriptor = try #require(try file.fileDescriptor())
            #expect(fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) & ~FD_CLOEXEC) == 0)
            try Self.whileAChildRuns { child in
                #expect(try Self.openFiles(of: child, waitingToLose: "").contains(path), "the child did not inherit \(path)")
                try file.close()
                let reopened = try HDF5File(path, mode: .readWrite)
                #expect(try reopened.openDataset("x").read(as: Float.self) == [1, 2, 3])
                try reopened.close()
            }
        }
    }

    @Test("a child spawned while a file is open does not hold it: the file closes and reopens for writing")
    func childDoesNotInheritTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("x.h5").resolvingSymlinksInPath().path
            let file = try HDF5File(path, mode: .truncate)
            try file.createDataset("x", values: [Float(1), 2, 3])
            try Self.whileAChildRuns { child in
                let childFiles = try Self.openFiles(of: child, waitingToLose: path)
                #expect(!childFiles.contains(path), "the child inherited \(path): \(childFiles)")
                try file.close()
                let reopened = try HDF5File(path, mode: .readWrite)
                #expect(try reopened.openDataset("x").read(as: Float.self) == [1, 2, 3])
                try reopened.close()
            }
        }
    }
}
