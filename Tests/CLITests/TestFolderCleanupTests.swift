import Foundation
import Testing
import TestFolders

/// The tests' temporary folders are removed when the test process exits (a whole run used to leave
/// about 85 MB behind). Each case makes folders in a child process (an exit test), so removing them
/// cannot touch the folders of tests running in this process; the child names them after its parent's
/// process id, which the parent then checks.
@Suite("Test folders: removed when the test process exits")
struct TestFolderCleanupTests {
    static func folder(_ name: String, parent: Int32) -> String {
        NSTemporaryDirectory() + "test-folders-\(parent)-\(name)"
    }

    @Test("a fresh folder, a unique one, a registered file and a read-only subfolder are gone after exit")
    func removedAtExit() async throws {
        await #expect(processExitsWith: .success) {
            let parent = getppid()
            let fresh = try TemporaryFolders.fresh(named: "test-folders-\(parent)-fresh")
            try Data("x".utf8).write(to: URL(fileURLWithPath: fresh + "/file"))
            try FileManager.default.createDirectory(atPath: fresh + "/locked/inner", withIntermediateDirectories: true)
            try Data("y".utf8).write(to: URL(fileURLWithPath: fresh + "/locked/inner/file"))
            guard chmod(fresh + "/locked/inner", 0o500) == 0, chmod(fresh + "/locked", 0o500) == 0 else { exit(3) }
            let unique = try TemporaryFolders.unique(prefix: "test-folders-\(parent)-unique")
            guard unique != (try TemporaryFolders.unique(prefix: "test-folders-\(parent)-unique")) else { exit(4) }
            _ = FileManager.default.createFile(atPath: TestFolderCleanupTests.folder("file", parent: parent), contents: Data("z".utf8))
            TemporaryFolders.removeAtExit(TestFolderCleanupTests.folder("file", parent: parent))
            TemporaryFolders.removeAtExit(fresh)   // twice: removed once, no complaint
            guard TemporaryFolders.registeredPaths.count == 4 else { exit(5) }
            exit(0)
        }
        let pid = getpid()
        #expect(!FileManager.default.fileExists(atPath: Self.folder("fresh", parent: pid)))
        #expect(!FileManager.default.fileExists(atPath: Self.folder("file", parent: pid)))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("test-folders-\(pid)-unique-") }
        #expect(leftovers.isEmpty, "unique folders left behind: \(leftovers)")
    }

    @Test("fresh(named:) empties an existing folder of that name")
    func freshEmptiesTheFolder() async throws {
        await #expect(processExitsWith: .success) {
            let name = "test-folders-\(getppid())-again"
            let first = try TemporaryFolders.fresh(named: name)
            try Data("old".utf8).write(to: URL(fileURLWithPath: first + "/old"))
            let second = try TemporaryFolders.fresh(named: name)
            guard first == second, (try FileManager.default.contentsOfDirectory(atPath: second)).isEmpty else { exit(1) }
            exit(0)
        }
        #expect(!FileManager.default.fileExists(atPath: Self.folder("again", parent: getpid())))
    }

    @Test("CONSISTENCY_TD_KEEP_TEST_FOLDERS=1 keeps them and says so on standard error")
    func keepVariableKeepsThem() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv(TemporaryFolders.keepVariable, "1", 1)
            let kept = try TemporaryFolders.fresh(named: "test-folders-\(getppid())-kept")
            try Data("x".utf8).write(to: URL(fileURLWithPath: kept + "/file"))
            exit(0)
        }
        let kept = Self.folder("kept", parent: getpid())
        defer { try? FileManager.default.removeItem(atPath: kept) }
        #expect(FileManager.default.fileExists(atPath: kept + "/file"))
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("test folders: kept 1 (CONSISTENCY_TD_KEEP_TEST_FOLDERS is set)"), "\(message)")
    }
}
