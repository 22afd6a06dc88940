import Foundation

/// Atomic replacement of a file by a finished temporary file (rename(2)).
enum FileSystemMove {
    static func replace(_ path: String, with temporary: String) throws {
        guard rename(temporary, path) == 0 else {
            throw CommandLineFailure("cannot move '\(temporary)' to '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
