import CHDF5

/// An owned libhdf5 dataspace: the shape of a dataset or attribute, plus a selection.
///
/// Rank 0 is a scalar dataspace (one element, shape `[]`); a null dataspace (h5py's `Empty`) has no
/// elements. Extents are `Int` in Swift and `hsize_t` in libhdf5; a maximum extent of `nil` means
/// unlimited (`H5S_UNLIMITED`).
public final class HDF5Dataspace: HDF5Object {
    public enum Extent: String, Sendable { case null, scalar, simple }

    public let handle: HDF5Handle

    init(adopting identifier: hid_t, context: ErrorContext) {
        handle = HDF5Handle(adopting: identifier, kind: .dataspace, context: context)
    }

    /// A dataspace of `shape` (`H5Screate` for rank 0, else `H5Screate_simple`); `maxShape`
    /// defaults to `shape` (fixed size), and a `nil` entry makes that axis unlimited.
    public convenience init(shape: [Int], maxShape: [Int?]? = nil) throws {
        try self.init(shape: shape, maxShape: maxShape, .library)
    }

    init(shape: [Int], maxShape: [Int?]?, _ context: ErrorContext) throws {
        try HDF5Library.prepareCurrentThread()
        if let negative = shape.first(where: { $0 < 0 }) {
            throw HDF5Error.check(.invalidArgument, call: "H5Screate_simple", context,
                                  "extent \(negative) in shape \(shape) is negative")
        }
        _ = try extentProduct(shape, call: "H5Screate_simple", context)
        let identifier: hid_t
        if shape.isEmpty {
            if let maxShape, !maxShape.isEmpty {
                throw HDF5Error.check(.invalidArgument, call: "H5Screate", context,
                                      "a scalar (rank-0) dataspace has no maximum shape, got \(maxShape.map(describeExtent))")
            }
            identifier = try checkIdentifier(H5Screate(H5S_SCALAR), call: "H5Screate", context)
        } else {
            let dimensions = shape.map { hsize_t($0) }
            if let maxShape {
                guard maxShape.count == shape.count else {
                    throw HDF5Error.check(.invalidArgument, call: "H5Screate_simple", context,
                                          "maximum shape \(maxShape.map(describeExtent)) has rank \(maxShape.count), shape \(shape) has rank \(shape.count)")
                }
                let maxima = maxShape.map { $0.map { hsize_t(max($0, 0)) } ?? chdf5_s_unlimited() }
                identifier = try checkIdentifier(H5Screate_simple(Int32(shape.count), dimensions, maxima),
                                                 call: "H5Screate_simple", context)
            } else {
                identifier = try checkIdentifier(H5Screate_simple(Int32(shape.count), dimensions, nil),
                                                 call: "H5Screate_simple", context)
            }
        }
        handle = HDF5Handle(adopting: identifier, kind: .dataspace, context: context)
    }

    /// Null, scalar or simple (`H5Sget_simple_extent_type`).
    public func extent() throws -> Extent {
        let identifier = try handle.identifier(for: "H5Sget_simple_extent_type")
        switch H5Sget_simple_extent_type(identifier) {
        case H5S_NULL: return .null
        case H5S_SCALAR: return .scalar
        case H5S_SIMPLE: return .simple
        default: throw HDF5Error.libraryFailure(call: "H5Sget_simple_extent_type", handle.context)
        }
    }

    /// The current shape (`[]` for scalar and null dataspaces).
    public func shape() throws -> [Int] {
        try dimensions().current
    }

    /// The maximum shape; `nil` entries are unlimited.
    public func maxShape() throws -> [Int?] {
        try dimensions().maximum
    }

    /// The number of elements (`H5Sget_simple_extent_npoints`): 1 for scalar, 0 for null.
    public func elementCount() throws -> Int {
        let identifier = try handle.identifier(for: "H5Sget_simple_extent_npoints")
        let count = H5Sget_simple_extent_npoints(identifier)
        return try checkSize(Int(count), call: "H5Sget_simple_extent_npoints", handle.context)
    }

    /// The current and maximum extents; an extent of 2⁶³ or more (which `Int` cannot hold, so only
    /// a damaged or foreign file declares it) throws ``HDF5Error/Kind/invalidValue``.
    private func dimensions() throws -> (current: [Int], maximum: [Int?]) {
        let identifier = try handle.identifier(for: "H5Sget_simple_extent_ndims")
        let rank = Int(try checkStatus(H5Sget_simple_extent_ndims(identifier), call: "H5Sget_simple_extent_ndims",
                                       handle.context))
        guard rank > 0 else { return ([], []) }
        var current = [hsize_t](repeating: 0, count: rank), maximum = current
        try checkStatus(H5Sget_simple_extent_dims(identifier, &current, &maximum), call: "H5Sget_simple_extent_dims",
                        handle.context)
        let unlimited = chdf5_s_unlimited()
        func extent(_ value: hsize_t) throws -> Int {
            guard let extent = Int(exactly: value) else {
                throw HDF5Error.check(.invalidValue, call: "H5Sget_simple_extent_dims", handle.context,
                                      "the stored shape \(current) has extent \(value), more than the largest Int (\(Int.max)); the file is damaged")
            }
            return extent
        }
        return (try current.map(extent), try maximum.map { $0 == unlimited ? nil : try extent($0) })
    }

    /// Selects the block `start ..< start + count` on every axis (`H5Sselect_hyperslab`, stride and
    /// block 1). The caller checks bounds.
    func selectHyperslab(start: [Int], count: [Int]) throws {
        let identifier = try handle.identifier(for: "H5Sselect_hyperslab")
        try checkStatus(H5Sselect_hyperslab(identifier, H5S_SELECT_SET, start.map { hsize_t($0) }, nil,
                                            count.map { hsize_t($0) }, nil),
                        call: "H5Sselect_hyperslab", handle.context)
    }
}

/// "unlimited" or the extent, for messages and the inspector.
func describeExtent(_ extent: Int?) -> String {
    extent.map(String.init) ?? "unlimited"
}

/// Number of elements of a shape: ∏ shape (1 for rank 0, 0 when any extent is 0). A product larger
/// than `Int.max` throws ``HDF5Error/Kind/invalidArgument`` naming the shape, as `call`'s error.
func extentProduct(_ shape: [Int], call: String, _ context: ErrorContext) throws -> Int {
    if shape.contains(0) { return 0 }
    var product = 1
    for extent in shape {
        let (next, overflow) = product.multipliedReportingOverflow(by: extent)
        guard !overflow else {
            throw HDF5Error.check(.invalidArgument, call: call, context,
                                  "shape \(shape) has more elements than an Int can count (∏ shape > \(Int.max))")
        }
        product = next
    }
    return product
}
