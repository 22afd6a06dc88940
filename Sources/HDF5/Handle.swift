import CHDF5
import Foundation

/// The one owner of a libhdf5 identifier (`hid_t`).
///
/// `close()` releases the identifier with the matching `H5?close` call and is idempotent: the first
/// call closes (and throws if libhdf5 fails), later calls do nothing. `deinit` closes an identifier
/// nobody closed, as a fallback; it cannot throw, so a failure there is lost — close explicitly
/// where it matters (files you are about to rename, for instance).
///
/// Objects inside a file (groups, datasets, attributes) keep a strong reference to the file's
/// handle, their `owner`. Files are opened with `H5F_CLOSE_STRONG`, so closing a file explicitly
/// also closes everything opened from it; afterwards those handles report `isOpen == false` and
/// throw ``HDF5Error/Kind/closedHandle`` instead of passing a dead identifier to libhdf5. While any
/// object is alive, ARC keeps its file open even if the `HDF5File` value itself is gone.
///
/// Using a closed handle throws; it never crashes.
public final class HDF5Handle: @unchecked Sendable {
    /// Which libhdf5 interface the identifier belongs to, and so which `H5?close` releases it.
    public enum Kind: String, Sendable {
        case file, group, dataset, dataspace, datatype, attribute, propertyList

        /// The close function's name, for error messages.
        var closeCall: String {
            switch self {
            case .file: "H5Fclose"
            case .group: "H5Gclose"
            case .dataset: "H5Dclose"
            case .dataspace: "H5Sclose"
            case .datatype: "H5Tclose"
            case .attribute: "H5Aclose"
            case .propertyList: "H5Pclose"
            }
        }

        func close(_ identifier: hid_t) -> herr_t {
            switch self {
            case .file: H5Fclose(identifier)
            case .group: H5Gclose(identifier)
            case .dataset: H5Dclose(identifier)
            case .dataspace: H5Sclose(identifier)
            case .datatype: H5Tclose(identifier)
            case .attribute: H5Aclose(identifier)
            case .propertyList: H5Pclose(identifier)
            }
        }
    }

    public let kind: Kind
    /// Where errors about this handle point.
    let context: ErrorContext
    /// The file handle whose strong close also closes this identifier (nil for files and for
    /// file-independent objects: dataspaces, datatypes, property lists).
    private let owner: HDF5Handle?
    private let lock = NSLock()
    /// nil once closed.
    private var identifier: hid_t?

    /// Takes ownership of `identifier`, which must be valid (checked by the caller).
    init(adopting identifier: hid_t, kind: Kind, context: ErrorContext, owner: HDF5Handle? = nil) {
        self.identifier = identifier
        self.kind = kind
        self.context = context
        self.owner = owner
    }

    /// Whether the identifier is still open (false after `close()` or after its file was closed).
    public var isOpen: Bool {
        lock.withLock { identifier != nil } && (owner?.isOpen ?? true)
    }

    /// The identifier for a libhdf5 call named `call`; throws if the handle or its file is closed.
    func identifier(for call: String) throws -> hid_t {
        try HDF5Library.prepareCurrentThread()
        guard let identifier = lock.withLock({ self.identifier }) else {
            throw HDF5Error.check(.closedHandle, call: call, context, "the \(kind.rawValue) handle was closed")
        }
        if let owner, !owner.isOpen {
            throw HDF5Error.check(.closedHandle, call: call, context,
                                  "the file this \(kind.rawValue) belongs to was closed")
        }
        return identifier
    }

    /// Closes the identifier; idempotent. Throws if libhdf5 fails to close it.
    public func close() throws {
        let taken: hid_t? = lock.withLock {
            defer { identifier = nil }
            return identifier
        }
        guard let taken else { return }
        // The file's strong close has already released this identifier.
        if let owner, !owner.isOpen { return }
        try HDF5Library.prepareCurrentThread()
        try checkStatus(kind.close(taken), call: kind.closeCall, context)
    }

    deinit {
        guard let identifier, owner?.isOpen ?? true else { return }
        _ = chdf5_silence_error_printing_on_this_thread()
        if kind.close(identifier) < 0 { _ = H5Eclear2(chdf5_e_default()) }
    }
}

/// Anything that owns an ``HDF5Handle``: files, groups, datasets, attributes, dataspaces,
/// datatypes, property lists.
public protocol HDF5Object: AnyObject, Sendable {
    var handle: HDF5Handle { get }
}

extension HDF5Object {
    /// Whether the object is still open.
    public var isOpen: Bool { handle.isOpen }

    /// Releases the object's identifier; idempotent. See ``HDF5Handle``.
    public func close() throws { try handle.close() }
}

/// Runs `body` with a freshly made object and closes it afterwards, throwing the close error if
/// `body` succeeded (if `body` threw, its error wins and `deinit` closes the object).
func closing<Object: HDF5Object, Result>(_ object: Object, _ body: (Object) throws -> Result) throws -> Result {
    let result = try body(object)
    try object.close()
    return result
}
