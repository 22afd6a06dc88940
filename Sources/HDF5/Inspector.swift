import CHDF5

/// A readable listing of an HDF5 file, like `h5ls -r -v`, for people and for the CLI's `inspect`.
///
/// One line per object, indented by depth, with its absolute path; below it, one line per
/// attribute with its type and value. Example:
///
/// ```
/// HDF5 file run/trajectories.h5
/// /  group, 3 members
///     @format: string = "consistency-td.trajectories"
///     @seed: uint64 = 7
///   /observations  dataset float32 [100, 11, 2]  maxshape [unlimited, 11, 2]  chunks [8, 11, 2]  filters shuffle → gzip(level 4) → fletcher32
///   /terminations  dataset bool [100, 10]  contiguous
///   /times  dataset float64 [11]  contiguous
///       @units: string = "seconds"
/// ```
///
/// Arrays longer than ``maximumValues`` show their first values and the count; strings longer
/// than ``maximumStringLength`` characters are cut. Members of a group appear in name order; soft
/// and external links are named, not followed. A group is entered once, where it is first met: a
/// further hard link to it — a second name, or a link back up the tree that makes a cycle — shows
/// `group, hard link to <first path> (listed there)` (groups are told apart by file number and
/// object header address, `H5Oget_info_by_name2`). Any libhdf5 failure is thrown, never hidden.
public enum HDF5Inspector {
    /// Attribute arrays longer than this show only their first `maximumValues - 2` values.
    public static let maximumValues = 8
    /// Strings longer than this are cut.
    public static let maximumStringLength = 80
    /// Groups nested deeper than this are not entered (bounds the recursion; hard-link cycles are
    /// caught before, by address).
    public static let maximumDepth = 64

    /// The tree of the file at `path`, opened read-only.
    public static func describe(path: String) throws -> String {
        let file = try HDF5File(path, mode: .readOnly)
        let text = try describe(file)
        try file.close()
        return text
    }

    /// The tree of an open file.
    public static func describe(_ file: HDF5File) throws -> String {
        var lines = ["HDF5 file \(file.filePath)"]
        var visited = [try address(of: ".", in: file): "/"]
        try describeGroup(file, depth: 0, visited: &visited, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func indent(_ depth: Int) -> String { String(repeating: "  ", count: depth) }

    /// Where an object's header is: the same for every hard link to the object.
    private struct ObjectAddress: Hashable {
        let fileNumber: UInt
        let address: haddr_t
    }

    /// The address of the object `name` links to in `group` (`H5Oget_info_by_name2`, basic fields).
    private static func address(of name: String, in group: some HDF5Container) throws -> ObjectAddress {
        var info = H5O_info_t()
        try checkStatus(H5Oget_info_by_name2(try group.handle.identifier(for: "H5Oget_info_by_name2"), name, &info,
                                             UInt32(H5O_INFO_BASIC), hid_t(H5P_DEFAULT)),
                        call: "H5Oget_info_by_name2", group.childContext(name))
        return ObjectAddress(fileNumber: UInt(info.fileno), address: info.addr)
    }

    /// Lists `group` and what it holds; `visited` maps each group entered so far to its listed path.
    private static func describeGroup(
        _ group: some HDF5Container, depth: Int, visited: inout [ObjectAddress: String], into lines: inout [String]
    ) throws {
        let members = try group.members()
        lines.append("\(indent(depth))\(group.objectPath)  group, \(members.count) member\(members.count == 1 ? "" : "s")")
        try describeAttributes(of: group, depth: depth, into: &lines)
        for member in members {
            let path = joinObjectPath(group.objectPath, member.name)
            let prefix = indent(depth + 1) + path
            switch (member.kind, member.link) {
            case (.unresolved, let link):
                lines.append("\(prefix)  \(link.rawValue) link (target not found or in another file)")
            case (.group, .soft):
                lines.append("\(prefix)  soft link to a group (not followed)")
            case (.group, _):
                let address = try address(of: member.name, in: group)
                if let earlier = visited[address] {
                    lines.append("\(prefix)  group, hard link to \(earlier) (listed there)")
                    continue
                }
                guard depth + 1 < maximumDepth else {
                    lines.append("\(prefix)  group (deeper than \(maximumDepth) levels, not entered)")
                    continue
                }
                visited[address] = path
                let child = try group.openGroup(member.name)
                try describeGroup(child, depth: depth + 1, visited: &visited, into: &lines)
                try child.close()
            case (.dataset, let link):
                let dataset = try group.openDataset(member.name)
                try describeDataset(dataset, depth: depth + 1, link: link, into: &lines)
                try dataset.close()
            case (.namedDatatype, _):
                lines.append("\(prefix)  named datatype")
            }
        }
    }

    private static func describeDataset(
        _ dataset: HDF5Dataset, depth: Int, link: HDF5Member.Link, into lines: inout [String]
    ) throws {
        var parts = ["\(indent(depth))\(dataset.objectPath)", "dataset \(try dataset.elementType()) \(try shapeText(dataset))"]
        let maxShape = try dataset.maxShape()
        if maxShape != (try dataset.shape()).map({ Optional($0) }) {
            parts.append("maxshape [\(maxShape.map(describeExtent).joined(separator: ", "))]")
        }
        parts.append(try dataset.storageLayout().description)
        let filters = try dataset.filters()
        if !filters.isEmpty { parts.append("filters " + filters.map(\.description).joined(separator: " → ")) }
        if link == .soft { parts.append("(soft link)") }
        lines.append(parts.joined(separator: "  "))
        try describeAttributes(of: dataset, depth: depth, into: &lines)
    }

    private static func shapeText(_ dataset: HDF5Dataset) throws -> String {
        try closing(dataset.dataspace()) { space in
            switch try space.extent() {
            case .null: "empty (null dataspace)"
            case .scalar: "scalar"
            case .simple: "\(try space.shape())"
            }
        }
    }

    private static func describeAttributes(
        of owner: some HDF5AttributeOwner, depth: Int, into lines: inout [String]
    ) throws {
        for name in try owner.attributeNames() {
            let attribute = try owner.openAttribute(name)
            let type = try attribute.elementType()
            let shape = try attribute.shape()
            let shapeText = shape.isEmpty ? "" : " \(shape)"
            lines.append("\(indent(depth + 2))@\(name): \(type)\(shapeText) = \(try valueText(attribute, type: type))")
            try attribute.close()
        }
    }

    /// The attribute's value: one value alone, several in brackets, cut after `maximumValues`.
    private static func valueText(_ attribute: HDF5Attribute, type: HDF5ElementType) throws -> String {
        let values: [String]
        switch type {
        case .float32: values = try attribute.read(as: Float.self).map { "\($0)" }
        case .float64: values = try attribute.read(as: Double.self).map { "\($0)" }
        case .int8: values = try attribute.read(as: Int8.self).map { "\($0)" }
        case .int16: values = try attribute.read(as: Int16.self).map { "\($0)" }
        case .int32: values = try attribute.read(as: Int32.self).map { "\($0)" }
        case .int64: values = try attribute.read(as: Int64.self).map { "\($0)" }
        case .uint8: values = try attribute.read(as: UInt8.self).map { "\($0)" }
        case .uint16: values = try attribute.read(as: UInt16.self).map { "\($0)" }
        case .uint32: values = try attribute.read(as: UInt32.self).map { "\($0)" }
        case .uint64: values = try attribute.read(as: UInt64.self).map { "\($0)" }
        case .bool: values = try attribute.read(as: Bool.self).map { "\($0)" }
        case .string: values = try attribute.readStrings().map(quoted)
        case let .other(words): return "<\(words), not shown>"
        }
        if try closing(attribute.dataspace(), { try $0.extent() }) == .scalar, values.count == 1 { return values[0] }
        if values.count <= maximumValues { return "[" + values.joined(separator: ", ") + "]" }
        return "[" + values.prefix(maximumValues - 2).joined(separator: ", ") + ", …] (\(values.count) values)"
    }

    /// A string in double quotes with escapes, cut after `maximumStringLength` characters.
    static func quoted(_ string: String) -> String {
        guard string.count > maximumStringLength else { return string.debugDescription }
        return String(string.prefix(maximumStringLength - 1)).debugDescription
            + "… (\(string.count) characters)"
    }
}
