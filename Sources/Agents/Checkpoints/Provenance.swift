import Foundation
import HDF5
import Tensors

/// The toolkit's version, stamped into every file it writes.
public enum ToolkitVersion {
    public static let current = "0.1.0-dev"
}

/// Where a file came from — what a reader needs to reproduce it (STYLE.md §10): the toolkit version,
/// `git describe` of the source tree it was built from, the libhdf5 and OpenBLAS builds, OpenBLAS's
/// kernel family and thread count.
public struct Provenance: Codable, Equatable, Sendable {
    public var toolkitVersion: String
    public var gitDescribe: String
    public var hdf5Version: String
    public var openBLASConfiguration: String
    public var openBLASCore: String
    public var openBLASThreads: Int

    public init(toolkitVersion: String, gitDescribe: String, hdf5Version: String, openBLASConfiguration: String,
                openBLASCore: String, openBLASThreads: Int) {
        self.toolkitVersion = toolkitVersion
        self.gitDescribe = gitDescribe
        self.hdf5Version = hdf5Version
        self.openBLASConfiguration = openBLASConfiguration
        self.openBLASCore = openBLASCore
        self.openBLASThreads = openBLASThreads
    }

    /// This process's provenance. `git describe` runs once per process, in the source tree this file
    /// was compiled from ("unknown" when that is not a git checkout or git is missing).
    public static var current: Provenance {
        Provenance(toolkitVersion: ToolkitVersion.current, gitDescribe: gitDescription, hdf5Version: HDF5Library.version,
                   openBLASConfiguration: BLASRuntime.configuration, openBLASCore: BLASRuntime.coreName,
                   openBLASThreads: BLASRuntime.threadCount)
    }

    /// The fields as attribute name/value pairs (`provenance_<field>`), as written into file roots.
    public var attributes: [(String, String)] {
        [("toolkit_version", toolkitVersion), ("git_describe", gitDescribe), ("hdf5_version", hdf5Version),
         ("openblas_config", openBLASConfiguration), ("openblas_core", openBLASCore),
         ("openblas_threads", String(openBLASThreads))]
    }

    private static let gitDescription: String = {
        let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", sourceDirectory.path, "describe", "--always", "--dirty", "--tags"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return "unknown"
        }
        guard process.terminationStatus == 0 else { return "unknown" }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()
}
