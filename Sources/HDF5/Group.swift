import CHDF5

/// An open group: a folder of groups and datasets, with attributes.
public final class HDF5Group: HDF5Container {
    public let file: HDF5File
    public let objectPath: String
    public let handle: HDF5Handle

    init(adopting identifier: hid_t, file: HDF5File, objectPath: String) {
        self.file = file
        self.objectPath = objectPath
        handle = HDF5Handle(adopting: identifier, kind: .group,
                            context: ErrorContext(filePath: file.filePath, objectPath: objectPath), owner: file.handle)
    }
}

/// One entry of a group, as listed by ``HDF5Container/members()``.
public struct HDF5Member: Sendable, Equatable, CustomStringConvertible {
    /// What the link leads to.
    public enum Kind: String, Sendable, Equatable {
        case group, dataset
        /// A committed (named) datatype.
        case namedDatatype
        /// A soft link whose target does not exist, or an external link (not followed).
        case unresolved
    }

    /// How the entry is linked: hard links are the object itself; soft links are paths; external
    /// links point into other files.
    public enum Link: String, Sendable, Equatable { case hard, soft, external }

    /// The link name inside the group (no slashes).
    public let name: String
    public let kind: Kind
    public let link: Link

    public init(name: String, kind: Kind, link: Link) {
        self.name = name
        self.kind = kind
        self.link = link
    }

    public var description: String {
        "\(name) (\(kind.rawValue)\(link == .hard ? "" : ", \(link.rawValue) link"))"
    }

    /// Describes the link `name` in the group `location` (`H5Lget_info`, then `H5Oopen` and
    /// `H5Iget_type` on what it resolves to).
    static func describe(_ name: String, in location: hid_t, _ context: ErrorContext) throws -> HDF5Member {
        let linkType = chdf5_link_type(location, name)
        if linkType < 0 { throw HDF5Error.libraryFailure(call: "H5Lget_info", context) }
        let link: Link = switch Int(linkType) {
        case Int(H5L_TYPE_HARD.rawValue): .hard
        case Int(H5L_TYPE_SOFT.rawValue): .soft
        default: .external
        }
        if link == .external { return HDF5Member(name: name, kind: .unresolved, link: link) }
        if link == .soft,
           !(try checkTruth(H5Oexists_by_name(location, name, hid_t(H5P_DEFAULT)), call: "H5Oexists_by_name", context)) {
            return HDF5Member(name: name, kind: .unresolved, link: link)
        }
        return HDF5Member(name: name, kind: try objectKind(name, in: location, context), link: link)
    }

    /// What the object at `path` (relative to `location`) is: `H5Oopen`, `H5Iget_type`, `H5Oclose`.
    static func objectKind(_ path: String, in location: hid_t, _ context: ErrorContext) throws -> Kind {
        let object = try checkIdentifier(H5Oopen(location, path, hid_t(H5P_DEFAULT)), call: "H5Oopen", context)
        let type = H5Iget_type(object)
        try checkStatus(H5Oclose(object), call: "H5Oclose", context)
        switch type {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .namedDatatype
        default: throw HDF5Error.libraryFailure(call: "H5Iget_type", context)
        }
    }
}
