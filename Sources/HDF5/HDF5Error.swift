import CHDF5

/// Everything that can go wrong in the `HDF5` module.
///
/// A failing libhdf5 call (negative return) becomes an `HDF5Error` of kind ``Kind/libraryCall`` that
/// names the C function (`call`, e.g. "H5Dopen2"), the file on disk and the object inside it, and
/// carries libhdf5's error stack (``stack``), walked with `H5Ewalk2` from the API function down to
/// the most specific cause, with each frame's major and minor messages (`H5Eget_msg`). Checks the
/// wrapper makes itself (a missing file, a file without the HDF5 signature, a closed handle, a wrong
/// element type, a data count that does not fit the dataspace, an extent too large to read, a stored
/// value its type does not allow) throw the other kinds, naming the libhdf5 call they guard. Nothing
/// is ever turned into an empty value.
public struct HDF5Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that want to react to it.
    public enum Kind: String, Sendable, Equatable {
        /// A libhdf5 call returned a negative value; ``HDF5Error/stack`` says why.
        case libraryCall
        /// The file does not exist.
        case fileNotFound
        /// The file exists but has no HDF5 signature (`H5Fis_hdf5` is false): empty, text, …
        case notAnHDF5File
        /// The handle (or the file it belongs to) was closed.
        case closedHandle
        /// The stored element type differs from the Swift element type.
        case typeMismatch
        /// A data count or selection does not fit the dataspace.
        case shapeMismatch
        /// An argument is invalid before libhdf5 is asked (negative extent, rank mismatch, …).
        case invalidArgument
        /// Filtering a chunk outside libhdf5 for a direct chunk write failed (zlib's deflate refused).
        case chunkEncoding
        /// Reading the object would allocate more than the machine's memory (``HDF5ReadLimit``): a
        /// damaged or foreign file declaring a huge extent.
        case exceedsMemory
        /// A file-system call around a file failed (syncing a finished file to disk, renaming it into
        /// place); the message carries the system's reason.
        case fileSystem
        /// A value read from the file is not one its type allows or Swift can hold — a bool element
        /// other than FALSE (0) or TRUE (1), an extent of 2⁶³ or more: a damaged or foreign file.
        case invalidValue
    }

    /// One frame of libhdf5's error stack, outermost (the API function) first.
    public struct Frame: Sendable, Equatable, CustomStringConvertible {
        /// The libhdf5 function that pushed the frame, e.g. "H5Dopen2" or "H5G__loc_find_cb".
        public let function: String
        /// libhdf5's source file (without its folder) and line, e.g. "H5D.c" and 284.
        public let sourceFile: String
        public let line: Int
        /// The frame's own text, e.g. "object 'missing' doesn't exist".
        public let detail: String
        /// The major and minor error messages, e.g. "Symbol table layer" / "Object not found".
        public let major: String
        public let minor: String

        public var description: String {
            "\(function)() at \(sourceFile):\(line): \(detail) [\(major) / \(minor)]"
        }
    }

    public let kind: Kind
    /// The libhdf5 function that failed or that the check guards, e.g. "H5Dopen2".
    public let call: String
    /// The file on disk ("" when the failure concerns no file, e.g. creating a dataspace).
    public let filePath: String
    /// The object inside the file, e.g. "/parameters/w"; an attribute is "<object>@<name>", e.g.
    /// "/optimizer/adam@step" ("" when none).
    public let objectPath: String
    /// A one-line summary.
    public let message: String
    /// libhdf5's error stack at the failure, outermost first (empty for the wrapper's own checks).
    public let stack: [Frame]

    public init(
        _ kind: Kind, call: String, filePath: String, objectPath: String, message: String, stack: [Frame] = []
    ) {
        self.kind = kind
        self.call = call
        self.filePath = filePath
        self.objectPath = objectPath
        self.message = message
        self.stack = stack
    }

    /// The error stack as text, one frame a line ("" when empty).
    public var stackText: String {
        stack.enumerated().map { index, frame in "  #\(index) \(frame)" }.joined(separator: "\n")
    }

    public var description: String {
        var where_: [String] = []
        if !filePath.isEmpty { where_.append("file \"\(filePath)\"") }
        if !objectPath.isEmpty { where_.append("object \"\(objectPath)\"") }
        let location = where_.isEmpty ? "" : " (" + where_.joined(separator: ", ") + ")"
        var text = "HDF5 error in \(call)\(location): \(message)"
        if !stack.isEmpty { text += "\nlibhdf5 error stack:\n" + stackText }
        return text
    }
}

/// The file and object an operation concerns, carried into every error it throws.
struct ErrorContext: Sendable {
    var filePath: String
    var objectPath: String

    /// For calls that concern no file (creating dataspaces, types, property lists).
    static let library = ErrorContext(filePath: "", objectPath: "")
}

extension HDF5Error {
    /// The error for a libhdf5 call that just failed on this thread: takes (and clears) the
    /// thread's error stack. Call it before any other libhdf5 call, which would clear the stack.
    static func libraryFailure(call: String, _ context: ErrorContext, message: String? = nil) -> HDF5Error {
        let stack = takeErrorStack()
        let summary: String
        if let message {
            summary = message
        } else if let outer = stack.first, let inner = stack.last {
            summary = outer.detail == inner.detail ? outer.detail : "\(outer.detail): \(inner.detail)"
        } else {
            summary = "the call failed (libhdf5 left no error stack)"
        }
        return HDF5Error(.libraryCall, call: call, filePath: context.filePath, objectPath: context.objectPath,
                         message: summary, stack: stack)
    }

    /// An error found by the wrapper's own checks.
    static func check(_ kind: Kind, call: String, _ context: ErrorContext, _ message: String) -> HDF5Error {
        HDF5Error(kind, call: call, filePath: context.filePath, objectPath: context.objectPath, message: message)
    }
}

// MARK: - Checking return values

/// `herr_t` (and `int` counts): negative means failure.
@discardableResult
func checkStatus(_ status: Int32, call: String, _ context: ErrorContext) throws -> Int32 {
    if status < 0 { throw HDF5Error.libraryFailure(call: call, context) }
    return status
}

/// `hid_t`: negative means failure.
func checkIdentifier(_ identifier: hid_t, call: String, _ context: ErrorContext) throws -> hid_t {
    if identifier < 0 { throw HDF5Error.libraryFailure(call: call, context) }
    return identifier
}

/// `htri_t`: positive is true, zero false, negative failure.
func checkTruth(_ value: htri_t, call: String, _ context: ErrorContext) throws -> Bool {
    if value < 0 { throw HDF5Error.libraryFailure(call: call, context) }
    return value > 0
}

/// `ssize_t` sizes and counts: negative means failure.
func checkSize(_ size: Int, call: String, _ context: ErrorContext) throws -> Int {
    if size < 0 { throw HDF5Error.libraryFailure(call: call, context) }
    return size
}

// MARK: - Reading libhdf5's error stack

/// A frame as copied inside the `H5Ewalk2` callback (strings copied, messages looked up after).
private struct RawFrame {
    var major: hid_t, minor: hid_t
    var function: String, sourceFile: String, line: Int, detail: String
}

/// Walks the calling thread's error stack from the API function down, then clears it.
///
/// The callback only copies; the messages of the major/minor ids are looked up with `H5Eget_msg`
/// after the walk because API calls may reset the stack being walked.
private func takeErrorStack() -> [HDF5Error.Frame] {
    var raw: [RawFrame] = []
    withUnsafeMutablePointer(to: &raw) { pointer in
        _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, frame, clientData in
            guard let frame, let clientData else { return 0 }
            let frames = clientData.assumingMemoryBound(to: [RawFrame].self)
            let text = { (c: UnsafePointer<CChar>?) in c.map { String(cString: $0) } ?? "" }
            frames.pointee.append(RawFrame(
                major: frame.pointee.maj_num, minor: frame.pointee.min_num,
                function: text(frame.pointee.func_name),
                sourceFile: String(text(frame.pointee.file_name).split(separator: "/").last ?? ""),
                line: Int(frame.pointee.line), detail: text(frame.pointee.desc)))
            return 0
        }, pointer)
    }
    _ = H5Eclear2(chdf5_e_default())
    return raw.map { frame in
        HDF5Error.Frame(function: frame.function, sourceFile: frame.sourceFile, line: frame.line,
                        detail: frame.detail, major: errorMessage(frame.major), minor: errorMessage(frame.minor))
    }
}

/// The text of a major or minor error id (`H5Eget_msg`), or the id itself if it has none.
private func errorMessage(_ identifier: hid_t) -> String {
    let length = H5Eget_msg(identifier, nil, nil, 0)
    guard length > 0 else { return "error \(identifier)" }
    var buffer = [CChar](repeating: 0, count: length + 1)
    _ = H5Eget_msg(identifier, nil, &buffer, buffer.count)
    _ = H5Eclear2(chdf5_e_default())
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
