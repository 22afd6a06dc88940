import CHDF5

/// How a new dataset is laid out and filtered (its dataset-creation property list).
///
/// Filters run in the order shuffle → gzip → Fletcher-32 when writing (and backwards when
/// reading), so the checksum covers the bytes as stored and corruption is caught at read time.
/// Filters and unlimited axes need a chunked layout; when `chunkShape` is nil and one is needed,
/// the wrapper picks one (see ``automaticChunkShape(shape:elementSize:)``).
public struct HDF5DatasetOptions: Sendable, Equatable {
    /// The largest extent each axis may grow to.
    public enum MaximumShape: Sendable, Equatable {
        /// The creation shape is final.
        case fixed
        /// The first axis is unlimited (grow it with ``HDF5Dataset/append(_:)``); the others fixed.
        case unlimitedFirstAxis
        /// One entry per axis; `nil` is unlimited.
        case explicit([Int?])
    }

    /// The chunk shape (same rank as the dataset, every entry ≥ 1), or nil for contiguous storage
    /// when nothing needs chunks.
    public var chunkShape: [Int]?
    /// Deflate (gzip) level 0…9, or nil for none.
    public var gzipLevel: Int?
    /// The byte-shuffle filter, which helps gzip on numeric data.
    public var shuffle: Bool
    /// The Fletcher-32 checksum filter: a corrupted chunk fails to read instead of returning garbage.
    public var fletcher32: Bool
    public var maxShape: MaximumShape

    public init(
        chunkShape: [Int]? = nil, gzipLevel: Int? = nil, shuffle: Bool = false, fletcher32: Bool = false,
        maxShape: MaximumShape = .fixed
    ) {
        self.chunkShape = chunkShape
        self.gzipLevel = gzipLevel
        self.shuffle = shuffle
        self.fletcher32 = fletcher32
        self.maxShape = maxShape
    }

    /// The maximum extents for a dataset created with `shape` (`nil` = unlimited).
    func maximumExtents(for shape: [Int]) -> [Int?] {
        switch maxShape {
        case .fixed: return shape
        case .unlimitedFirstAxis: return shape.enumerated().map { axis, extent in axis == 0 ? nil : extent }
        case let .explicit(extents): return extents
        }
    }

    /// Whether the layout must be chunked: a filter or a maximum larger than the shape.
    func needsChunks(for shape: [Int]) -> Bool {
        if chunkShape != nil || gzipLevel != nil || shuffle || fletcher32 { return true }
        if shape.isEmpty, case .unlimitedFirstAxis = maxShape { return true }  // rejected for rank 0
        return zip(shape, maximumExtents(for: shape)).contains { extent, maximum in maximum.map { $0 > extent } ?? true }
    }

    /// The chunk shape chosen when none is given: whole rows (every axis but the first at full
    /// extent, at least 1), and along the first axis
    /// rows = max(1, ⌊65 536 bytes / bytes per row⌋), capped at the first extent when that is
    /// positive — so chunks are at most about 64 KiB unless a single row is larger. (Bytes per row
    /// beyond `Int.max` count as `Int.max`: one row per chunk.)
    public static func automaticChunkShape(shape: [Int], elementSize: Int) -> [Int] {
        guard let first = shape.first else { return [] }
        let rowShape = shape.dropFirst().map { max($0, 1) }
        let rowBytes = rowShape.reduce(max(1, elementSize)) { product, extent in
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            return overflow ? Int.max : next
        }
        var rows = max(1, 65_536 / rowBytes)
        if first > 0 { rows = min(rows, first) }
        return [rows] + rowShape
    }

    /// Builds the dataset-creation property list for a dataset of `shape` with elements of
    /// `elementSize` bytes.
    func creationPropertyList(shape: [Int], elementSize: Int, _ context: ErrorContext) throws -> HDF5PropertyList {
        let list = try HDF5PropertyList(class: chdf5_p_dataset_create(), context)
        guard needsChunks(for: shape) else { return list }
        let chunks = chunkShape ?? Self.automaticChunkShape(shape: shape, elementSize: elementSize)
        if shape.isEmpty {
            throw HDF5Error.check(.invalidArgument, call: "H5Pset_chunk", context,
                                  "a scalar (rank-0) dataset cannot be chunked, filtered or extendible")
        }
        guard chunks.count == shape.count, chunks.allSatisfy({ $0 >= 1 }) else {
            throw HDF5Error.check(.invalidArgument, call: "H5Pset_chunk", context,
                                  "chunk shape \(chunks) must have rank \(shape.count) and entries ≥ 1")
        }
        if let gzipLevel, !(0...9).contains(gzipLevel) {
            throw HDF5Error.check(.invalidArgument, call: "H5Pset_deflate", context,
                                  "gzip level \(gzipLevel) is outside 0…9")
        }
        let identifier = try list.handle.identifier(for: "H5Pset_chunk")
        try checkStatus(H5Pset_chunk(identifier, Int32(chunks.count), chunks.map { hsize_t($0) }),
                        call: "H5Pset_chunk", context)
        if shuffle { try checkStatus(H5Pset_shuffle(identifier), call: "H5Pset_shuffle", context) }
        if let gzipLevel {
            try checkStatus(H5Pset_deflate(identifier, UInt32(gzipLevel)), call: "H5Pset_deflate", context)
        }
        if fletcher32 { try checkStatus(H5Pset_fletcher32(identifier), call: "H5Pset_fletcher32", context) }
        return list
    }
}

/// One filter of a chunked dataset's pipeline, as stored in the file.
public enum HDF5Filter: Sendable, Equatable, CustomStringConvertible {
    case shuffle
    case gzip(level: Int)
    case fletcher32
    /// Any other filter (szip, n-bit, scale-offset, plugins), by id and name.
    case other(id: Int, name: String)

    public var description: String {
        switch self {
        case .shuffle: "shuffle"
        case let .gzip(level): "gzip(level \(level))"
        case .fletcher32: "fletcher32"
        case let .other(id, name): name.isEmpty ? "filter \(id)" : "\(name) (filter \(id))"
        }
    }
}

/// How a dataset's elements are stored in the file.
public enum HDF5StorageLayout: Sendable, Equatable, CustomStringConvertible {
    /// Inside the object header (small datasets).
    case compact
    /// One block, in row-major order.
    case contiguous
    /// Chunks of the given shape, each passed through the filter pipeline.
    case chunked([Int])
    /// Mapped from other datasets.
    case virtual

    public var description: String {
        switch self {
        case .compact: "compact"
        case .contiguous: "contiguous"
        case let .chunked(shape): "chunks \(shape)"
        case .virtual: "virtual"
        }
    }
}
