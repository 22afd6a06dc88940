import CHDF5

/// An open dataset: an N-dimensional array of one element type (rank 0 is a single value).
///
/// Elements move in row-major (C) order, the last axis fastest, as numpy stores them. Every read
/// and write is one `H5Dread`/`H5Dwrite` between the caller's contiguous buffer and the file, with
/// the native memory type of the Swift element type (``HDF5Scalar``); the stored element type must
/// equal the Swift one, else ``HDF5Error/Kind/typeMismatch``. The element count must equal the
/// selection's size (∏ shape, or ∏ count for a hyperslab), else ``HDF5Error/Kind/shapeMismatch``.
///
/// Hyperslabs select the block `start[i] ..< start[i] + count[i]` on every axis i; a rank-0 (scalar)
/// dataset's one hyperslab, `start: [], count: []`, is its single element. A null dataspace (h5py's
/// `Empty`) has no elements: whole reads return `[]` and whole writes take `[]`, while a hyperslab
/// read or write throws ``HDF5Error/Kind/shapeMismatch``, as there is no element to select.
///
/// A stored bool element other than FALSE (0) or TRUE (1) is not a Swift `Bool`: reading it throws
/// ``HDF5Error/Kind/invalidValue`` naming the element and its byte (and leaves only `false` in a
/// caller's buffer).
public final class HDF5Dataset: HDF5AttributeOwner {
    public let file: HDF5File
    public let objectPath: String
    public let handle: HDF5Handle

    init(adopting identifier: hid_t, file: HDF5File, objectPath: String) {
        self.file = file
        self.objectPath = objectPath
        handle = HDF5Handle(adopting: identifier, kind: .dataset,
                            context: ErrorContext(filePath: file.filePath, objectPath: objectPath), owner: file.handle)
    }

    private var context: ErrorContext { handle.context }

    // MARK: Shape and type

    /// The dataset's dataspace (`H5Dget_space`), a copy that you own.
    public func dataspace() throws -> HDF5Dataspace {
        let identifier = try handle.identifier(for: "H5Dget_space")
        return HDF5Dataspace(adopting: try checkIdentifier(H5Dget_space(identifier), call: "H5Dget_space", context),
                             context: context)
    }

    /// The stored datatype (`H5Dget_type`), a copy that you own.
    public func datatype() throws -> HDF5Datatype {
        let identifier = try handle.identifier(for: "H5Dget_type")
        return HDF5Datatype(adopting: try checkIdentifier(H5Dget_type(identifier), call: "H5Dget_type", context),
                            context: context)
    }

    /// The dataset-creation property list (`H5Dget_create_plist`): layout, chunks, filters.
    public func creationProperties() throws -> HDF5PropertyList {
        let identifier = try handle.identifier(for: "H5Dget_create_plist")
        return HDF5PropertyList(
            adopting: try checkIdentifier(H5Dget_create_plist(identifier), call: "H5Dget_create_plist", context),
            context: context)
    }

    /// The current shape (`[]` for a scalar dataset).
    public func shape() throws -> [Int] { try closing(dataspace()) { try $0.shape() } }

    /// The maximum shape; `nil` entries are unlimited.
    public func maxShape() throws -> [Int?] { try closing(dataspace()) { try $0.maxShape() } }

    /// The number of elements: ∏ shape (1 for a scalar dataset, 0 for a null dataspace).
    public func elementCount() throws -> Int { try closing(dataspace()) { try $0.elementCount() } }

    /// What the stored elements are (float32, bool, string, …).
    public func elementType() throws -> HDF5ElementType { try closing(datatype()) { try $0.elementType() } }

    /// How the elements are stored (`H5Pget_layout`, and `H5Pget_chunk` for chunked datasets).
    public func storageLayout() throws -> HDF5StorageLayout {
        try closing(creationProperties()) { list in
            let identifier = try list.handle.identifier(for: "H5Pget_layout")
            switch H5Pget_layout(identifier) {
            case H5D_COMPACT: return .compact
            case H5D_CONTIGUOUS: return .contiguous
            case H5D_VIRTUAL: return .virtual
            case H5D_CHUNKED:
                var dimensions = [hsize_t](repeating: 0, count: 32)
                let rank = try checkStatus(H5Pget_chunk(identifier, 32, &dimensions), call: "H5Pget_chunk", context)
                return .chunked(dimensions.prefix(Int(rank)).map { Int($0) })
            default: throw HDF5Error.libraryFailure(call: "H5Pget_layout", context)
            }
        }
    }

    /// The chunk shape, or nil when the layout is not chunked.
    public func chunkShape() throws -> [Int]? {
        if case let .chunked(shape) = try storageLayout() { return shape }
        return nil
    }

    /// The filter pipeline in write order (`H5Pget_nfilters`, `H5Pget_filter2`).
    public func filters() throws -> [HDF5Filter] {
        try closing(creationProperties()) { list in
            let identifier = try list.handle.identifier(for: "H5Pget_nfilters")
            let count = try checkStatus(H5Pget_nfilters(identifier), call: "H5Pget_nfilters", context)
            return try (0..<UInt32(count)).map { index in
                var flags: UInt32 = 0, configuration: UInt32 = 0
                var valueCount = 8
                var values = [UInt32](repeating: 0, count: valueCount)
                var name = [CChar](repeating: 0, count: 256)
                let filter = H5Pget_filter2(identifier, index, &flags, &valueCount, &values, name.count, &name,
                                            &configuration)
                try checkStatus(filter, call: "H5Pget_filter2", context)
                switch filter {
                case H5Z_FILTER_DEFLATE: return .gzip(level: valueCount > 0 ? Int(values[0]) : -1)
                case H5Z_FILTER_SHUFFLE: return .shuffle
                case H5Z_FILTER_FLETCHER32: return .fletcher32
                default:
                    let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    return .other(id: Int(filter), name: text)
                }
            }
        }
    }

    /// Throws ``HDF5Error/Kind/typeMismatch`` unless the stored type is `T`'s.
    private func requireElementType<T: HDF5Scalar>(_: T.Type, call: String) throws {
        let stored = try elementType()
        guard stored == T.elementType else {
            throw HDF5Error.check(.typeMismatch, call: call, context,
                                  "the dataset stores \(stored), but the Swift element type \(T.self) is \(T.elementType)")
        }
    }

    // MARK: Whole-dataset and hyperslab transfers

    /// Every element, in row-major order.
    ///
    /// A dataset stored as one chunk with at most a Fletcher-32 filter, in a file opened read-only, is
    /// read as its stored chunk (``readSingleStoredChunk(as:)``: no filter pass or copy inside libhdf5).
    /// An extent larger than the machine's memory throws ``HDF5Error/Kind/exceedsMemory`` before
    /// anything is allocated (``HDF5ReadLimit``).
    public func read<T: HDF5Scalar>(as type: T.Type = T.self) throws -> [T] {
        let count = try elementCount()
        try HDF5ReadLimit.check(elements: count, bytesPerElement: MemoryLayout<T>.stride, call: "H5Dread", context)
        if let values = try readSingleStoredChunk(as: T.self) { return values }
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            try read(into: buffer)
            initialised = count
        }
    }

    /// Reads every element into `buffer`, whose count must equal the dataset's element count.
    public func read<T: HDF5Scalar>(into buffer: UnsafeMutableBufferPointer<T>) throws {
        try transfer(T.self, .reading(UnsafeMutableRawPointer(buffer.baseAddress)), count: buffer.count, selection: nil)
    }

    /// The elements of the block `start ..< start + count`, in row-major order.
    public func read<T: HDF5Scalar>(as type: T.Type = T.self, start: [Int], count: [Int]) throws -> [T] {
        try closing(dataspace()) { try validate(start: start, count: count, within: $0, call: "H5Dread") }
        let total = try extentProduct(count, call: "H5Dread", context)
        try HDF5ReadLimit.check(elements: total, bytesPerElement: MemoryLayout<T>.stride, call: "H5Dread", context)
        return try [T](unsafeUninitializedCapacity: total) { buffer, initialised in
            try read(into: buffer, start: start, count: count)
            initialised = total
        }
    }

    /// Reads the block `start ..< start + count` into `buffer` (∏ count elements).
    public func read<T: HDF5Scalar>(into buffer: UnsafeMutableBufferPointer<T>, start: [Int], count: [Int]) throws {
        try transfer(T.self, .reading(UnsafeMutableRawPointer(buffer.baseAddress)), count: buffer.count,
                     selection: (start, count))
    }

    /// Writes every element; `values.count` must equal the dataset's element count.
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        try values.withUnsafeBufferPointer { try write(from: $0) }
    }

    /// Writes every element from `buffer` in one `H5Dwrite`.
    public func write<T: HDF5Scalar>(from buffer: UnsafeBufferPointer<T>) throws {
        try transfer(T.self, .writing(UnsafeRawPointer(buffer.baseAddress)), count: buffer.count, selection: nil)
    }

    /// Writes the block `start ..< start + count` (∏ count values); the rest is untouched.
    public func write<T: HDF5Scalar>(_ values: [T], start: [Int], count: [Int]) throws {
        try values.withUnsafeBufferPointer { try write(from: $0, start: start, count: count) }
    }

    /// Writes the block `start ..< start + count` from `buffer` in one `H5Dwrite`.
    public func write<T: HDF5Scalar>(from buffer: UnsafeBufferPointer<T>, start: [Int], count: [Int]) throws {
        try transfer(T.self, .writing(UnsafeRawPointer(buffer.baseAddress)), count: buffer.count,
                     selection: (start, count))
    }

    /// The caller's buffer and the direction data moves.
    private enum Buffer {
        case reading(UnsafeMutableRawPointer?)
        case writing(UnsafeRawPointer?)
    }

    /// Checks the element type and the count, then moves the data in one `H5Dread`/`H5Dwrite` with
    /// `T`'s native memory type: the whole dataset (`H5S_ALL`), or a hyperslab of the file
    /// dataspace against a memory dataspace of shape `count`. Nothing moves if nothing is selected.
    private func transfer<T: HDF5Scalar>(
        _: T.Type, _ buffer: Buffer, count bufferCount: Int, selection: (start: [Int], count: [Int])?
    ) throws {
        let call: String
        switch buffer {
        case .reading: call = "H5Dread"
        case .writing: call = "H5Dwrite"
        }
        try requireElementType(T.self, call: call)
        let identifier = try handle.identifier(for: call)
        let memoryType = try T.nativeMemoryType
        func move(memorySpace: hid_t, fileSpace: hid_t) throws {
            switch buffer {
            case let .reading(pointer):
                try checkStatus(H5Dread(identifier, memoryType, memorySpace, fileSpace, hid_t(H5P_DEFAULT), pointer),
                                call: call, context)
                try requireValidElements(T.self, UnsafeMutableRawBufferPointer(start: pointer, count: bufferCount * MemoryLayout<T>.stride),
                                         call: call, context)
            case let .writing(pointer):
                try checkStatus(H5Dwrite(identifier, memoryType, memorySpace, fileSpace, hid_t(H5P_DEFAULT), pointer),
                                call: call, context)
            }
        }

        let all = chdf5_s_all()
        guard let selection else {
            let expected = try elementCount()
            guard bufferCount == expected else {
                throw HDF5Error.check(.shapeMismatch, call: call, context,
                                      "\(bufferCount) values given but the dataset has shape \(try shape()) (\(expected) elements)")
            }
            if expected > 0 { try move(memorySpace: all, fileSpace: all) }
            return
        }
        let fileSpace = try dataspace()
        let shape = try fileSpace.shape()
        try validate(start: selection.start, count: selection.count, within: fileSpace, call: call)
        let expected = try extentProduct(selection.count, call: call, context)
        guard bufferCount == expected else {
            throw HDF5Error.check(.shapeMismatch, call: call, context,
                                  "\(bufferCount) values given for a block of shape \(selection.count) (\(expected) elements)")
        }
        if expected > 0 && shape.isEmpty {  // a scalar has one element and no hyperslabs
            try move(memorySpace: all, fileSpace: all)
        } else if expected > 0 {
            try fileSpace.selectHyperslab(start: selection.start, count: selection.count)
            try closing(HDF5Dataspace(shape: selection.count, maxShape: nil, context)) { memorySpace in
                try move(memorySpace: try memorySpace.handle.identifier(for: call),
                         fileSpace: try fileSpace.handle.identifier(for: call))
            }
        }
        try fileSpace.close()
    }

    /// Throws unless the dataspace `space` is not null, and `start` and `count` have its rank, are
    /// non-negative and `start[i] + count[i] ≤ shape[i]` on every axis (a sum that overflows `Int`
    /// leaves the shape).
    private func validate(start: [Int], count: [Int], within space: HDF5Dataspace, call: String) throws {
        if try space.extent() == .null {
            throw HDF5Error.check(.shapeMismatch, call: call, context,
                                  "the dataset has a null dataspace (h5py's Empty, no elements), so hyperslab start \(start) count \(count) selects nothing that exists; read or write it whole, as []")
        }
        let shape = try space.shape()
        guard start.count == shape.count, count.count == shape.count else {
            throw HDF5Error.check(.invalidArgument, call: call, context,
                                  "hyperslab start \(start) and count \(count) must both have the dataset's rank \(shape.count) (shape \(shape))")
        }
        for axis in shape.indices {
            let (end, overflow) = start[axis].addingReportingOverflow(count[axis])
            guard start[axis] < 0 || count[axis] < 0 || overflow || end > shape[axis] else { continue }
            throw HDF5Error.check(.shapeMismatch, call: call, context,
                                  "hyperslab start \(start) count \(count) leaves the dataset's shape \(shape) on axis \(axis)")
        }
    }

    // MARK: Growing

    /// Changes the current shape (`H5Dset_extent`) within the maximum shape; new elements hold the
    /// fill value (zero).
    public func resize(to shape: [Int]) throws {
        let current = try self.shape()
        guard shape.count == current.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dset_extent", context,
                                  "new shape \(shape) must have the dataset's rank \(current.count) and no negative extent")
        }
        let identifier = try handle.identifier(for: "H5Dset_extent")
        try checkStatus(H5Dset_extent(identifier, shape.map { hsize_t($0) }), call: "H5Dset_extent", context)
    }

    /// Appends whole rows along the first axis: with shape [n, d₁, …], `values.count` must be a
    /// multiple k of d₁·d₂·…; the dataset grows to [n + k, d₁, …] (`H5Dset_extent`) and the values
    /// fill the new rows (one hyperslab `H5Dwrite`). The first axis must be extendible. If the
    /// write fails after the resize, the new rows stay, holding zeros.
    public func append<T: HDF5Scalar>(_ values: [T]) throws {
        try values.withUnsafeBufferPointer { try append(from: $0) }
    }

    /// Appends the rows in `buffer`; see ``append(_:)``.
    public func append<T: HDF5Scalar>(from buffer: UnsafeBufferPointer<T>) throws {
        try requireElementType(T.self, call: "H5Dset_extent")
        let shape = try self.shape()
        guard let length = shape.first else {
            throw HDF5Error.check(.invalidArgument, call: "H5Dset_extent", context,
                                  "a scalar (rank-0) dataset cannot be appended to")
        }
        let rowShape = Array(shape.dropFirst())
        let rowSize = try extentProduct(rowShape, call: "H5Dset_extent", context)
        guard rowSize > 0 ? buffer.count % rowSize == 0 : buffer.isEmpty else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dset_extent", context,
                                  "\(buffer.count) values are not whole rows of shape \(rowShape) (\(rowSize) elements each)")
        }
        guard rowSize > 0, !buffer.isEmpty else { return }
        let rows = buffer.count / rowSize
        let (newLength, overflow) = length.addingReportingOverflow(rows)
        if overflow {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dset_extent", context,
                                  "appending \(rows) rows to \(length) exceeds the largest extent \(Int.max)")
        }
        if let maximum = try maxShape().first, let maximum, newLength > maximum {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dset_extent", context,
                                  "appending \(rows) rows to \(length) exceeds the maximum first extent \(maximum); create the dataset with maxShape: .unlimitedFirstAxis")
        }
        try resize(to: [newLength] + rowShape)
        try write(from: buffer, start: [length] + rowShape.map { _ in 0 }, count: [rows] + rowShape)
    }

    // MARK: Strings

    /// Every element of a string dataset (variable- or fixed-length), in row-major order.
    public func readStrings() throws -> [String] {
        let stored = try elementType()
        let identifier = try handle.identifier(for: "H5Dread")
        return try closing(datatype()) { type in
            try closing(dataspace()) { space in
                try StringTransfer.read(
                    count: try space.elementCount(), storedType: stored,
                    storedTypeIdentifier: try type.handle.identifier(for: "H5Dread"),
                    space: try space.handle.identifier(for: "H5Dread"), call: "H5Dread", context
                ) { memoryType, buffer in
                    H5Dread(identifier, memoryType, chdf5_s_all(), chdf5_s_all(), hid_t(H5P_DEFAULT), buffer)
                }
            }
        }
    }

    /// Writes every element of a variable-length string dataset (as UTF-8); `strings.count` must
    /// equal the element count.
    public func writeStrings(_ strings: [String]) throws {
        let stored = try elementType()
        guard case .string(length: nil, _) = stored else {
            throw HDF5Error.check(.typeMismatch, call: "H5Dwrite", context,
                                  "the dataset stores \(stored), not variable-length strings")
        }
        let expected = try elementCount()
        guard strings.count == expected else {
            throw HDF5Error.check(.shapeMismatch, call: "H5Dwrite", context,
                                  "\(strings.count) strings given but the dataset has shape \(try shape()) (\(expected) elements)")
        }
        let identifier = try handle.identifier(for: "H5Dwrite")
        try StringTransfer.write(strings, call: "H5Dwrite", context) { memoryType, buffer in
            H5Dwrite(identifier, memoryType, chdf5_s_all(), chdf5_s_all(), hid_t(H5P_DEFAULT), buffer)
        }
    }
}
