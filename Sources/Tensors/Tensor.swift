/// A contiguous, row-major buffer of `Float` with an explicit shape.
///
/// A `Tensor` is a *buffer*, not a value: it has reference semantics, so a layer can keep its output
/// tensor and overwrite it on the next call without allocating. Whoever needs a snapshot calls
/// ``copy()``. Storage is 64-byte aligned (one AVX-512 register) and is only reallocated when
/// ``resize(to:)`` asks for more elements than the tensor has ever held, which is what makes a
/// training step allocation-free after its first call.
public final class Tensor {
    /// The extent of each axis, outermost first. `[]` is a scalar with one element.
    public private(set) var shape: [Int]
    /// The number of elements, the product of ``shape``.
    public private(set) var count: Int
    /// The first element. Valid until the next ``resize(to:)`` that grows the tensor.
    public private(set) var data: UnsafeMutablePointer<Float>
    /// How many elements the storage can hold without reallocating.
    public private(set) var capacity: Int

    /// A tensor of zeros. Throws for a negative extent.
    public init(zeros shape: [Int]) throws(TensorError) {
        let count = try Tensor.elementCount(of: shape, operation: "Tensor(zeros:)")
        self.shape = shape
        self.count = count
        self.capacity = max(count, 1)
        self.data = Tensor.allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding `values` (row-major). Throws unless `values.count` equals the shape's size.
    public init(shape: [Int], values: [Float]) throws(TensorError) {
        let count = try Tensor.elementCount(of: shape, operation: "Tensor(shape:values:)")
        guard values.count == count else {
            throw .invalidArgument(
                operation: "Tensor(shape:values:)",
                message: "shape \(formatShape(shape)) holds \(count) elements but \(values.count) values were given")
        }
        self.shape = shape
        self.count = count
        self.capacity = max(count, 1)
        self.data = Tensor.allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { data.update(from: base, count: count) }
        }
    }

    /// A tensor with `shape` whose element at row-major index `i` is `value(i)`.
    public convenience init(shape: [Int], generator value: (Int) -> Float) throws(TensorError) {
        try self.init(zeros: shape)
        for index in 0..<count { data[index] = value(index) }
    }

    deinit { data.deallocate() }

    /// Reshapes to `newShape`, reusing the storage when it is large enough. Contents are kept when the
    /// element count is unchanged (a reshape) and are unspecified otherwise. Never allocates when the
    /// shape is already `newShape` or the storage already holds enough elements.
    public func resize(to newShape: [Int]) throws(TensorError) {
        if newShape == shape { return }
        let newCount = try Tensor.elementCount(of: newShape, operation: "Tensor.resize(to:)")
        if newCount > capacity {
            data.deallocate()
            capacity = newCount
            data = Tensor.allocate(capacity: capacity)
            data.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
        count = newCount
    }

    /// Resizes to a matrix of `rows × columns` without building a shape array when it already is one.
    public func resize(rows: Int, columns: Int) throws(TensorError) {
        if shape.count == 2 && shape[0] == rows && shape[1] == columns { return }
        try resize(to: [rows, columns])
    }

    /// Resizes to `template` with its first axis replaced by `rows`, without building an array when the
    /// tensor already has that shape (the allocation-free path of every backward pass).
    public func resize(like template: [Int], rows: Int) throws(TensorError) {
        if shape.count == template.count, !template.isEmpty, shape[0] == rows,
           shape.dropFirst() == template.dropFirst() { return }
        var newShape = template
        if !newShape.isEmpty { newShape[0] = rows }
        try resize(to: newShape)
    }

    /// An independent tensor with the same shape and contents.
    public func copy() -> Tensor {
        let result = try! Tensor(zeros: shape)  // the shape is already known to be valid
        result.data.update(from: data, count: count)
        return result
    }

    /// Copies `other`'s contents; throws unless the shapes agree.
    public func assign(_ other: Tensor) throws(TensorError) {
        guard other.shape == shape else {
            throw .shapeMismatch(operation: "Tensor.assign", lhs: shape, rhs: other.shape,
                                 expectation: "both tensors must have the same shape")
        }
        data.update(from: other.data, count: count)
    }

    /// The contents as an array (row-major).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The element at row-major position `index`.
    @inlinable public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// The element of a matrix at (`row`, `column`).
    @inlinable public subscript(row: Int, column: Int) -> Float {
        get { data[row * shape[1] + column] }
        set { data[row * shape[1] + column] = newValue }
    }

    /// Rank (number of axes).
    public var rank: Int { shape.count }

    /// Extent of the first axis (the batch, by convention); 1 for a scalar.
    public var rows: Int { shape.first ?? 1 }

    /// Elements per row: the product of every axis after the first.
    public var elementsPerRow: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    static func elementCount(of shape: [Int], operation: String) throws(TensorError) -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else {
                throw .invalidShape(operation: operation, shape: shape, expectation: "extents must be ≥ 0")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw .invalidShape(operation: operation, shape: shape, expectation: "the element count overflows Int")
            }
            count = product
        }
        return count
    }

    static func allocate(capacity: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = (0..<min(count, 8)).map { String(data[$0]) }.joined(separator: ", ")
        return "Tensor\(formatShape(shape)) [\(preview)\(count > 8 ? ", …" : "")]"
    }
}
