import Tensors

/// A learned label embedding added to a conditioning vector (EDM's `map_label`, Karras et al. 2022; the
/// class input of classifier-free guidance, Ho & Salimans 2022): a table V of K + 1 rows of E features,
/// row K being the "null" class used when no label is given,
///
///     forward:   e[r] += V[y_r]            (y_r ∈ 0…K; nil labels mean y_r = K)
///     backward:  dV[y_r] += de[r]           for the leading b rows (de passes through unchanged)
///
/// Parameter: `<scope>.weight` `[K + 1, E]`, N(0, 1), not decayed. Keeps the last forward's labels.
final class ClassEmbedding {
    let classCount: Int
    let features: Int
    let table: ParameterHandle
    let store: ParameterStore
    private var labels: UnsafeMutablePointer<Int32>
    private var labelCapacity = 0
    private var rows = 0

    init(classCount: Int, features: Int, scope: ParameterScope) throws(TensorError) {
        self.classCount = classCount
        self.features = features
        self.store = scope.store
        table = try scope.register("weight", shape: [classCount + 1, features],
                                   initializer: .normal(standardDeviation: 1), decays: false)
        labels = .allocate(capacity: 1)
    }

    deinit { labels.deallocate() }

    /// Checks the labels (each in 0…K) and adds their rows of V to the `rows` rows of `matrix` (E columns).
    func add(labels given: UnsafeBufferPointer<Int32>?, rows: Int, to matrix: UnsafeMutablePointer<Float>) throws(TensorError) {
        if let given {
            guard given.count == rows else {
                throw .shapeMismatch(operation: "TimeConditionedUNet.forward (labels)", lhs: [given.count], rhs: [rows],
                                     expectation: "one class label per input row")
            }
            for row in 0..<rows where given[row] < 0 || Int(given[row]) > classCount {
                throw .invalidArgument(operation: "TimeConditionedUNet.forward",
                                       message: "label \(given[row]) at row \(row) is not a class of this network: expected 0…\(classCount - 1), or \(classCount) for the unconditional (null) class")
            }
        }
        if rows > labelCapacity {
            labels.deallocate()
            labels = .allocate(capacity: rows)
            labelCapacity = rows
        }
        self.rows = rows
        let values = store.values + table.offset
        for row in 0..<rows {
            let label = given.map { Int($0[row]) } ?? classCount
            labels[row] = Int32(label)
            Kernels.addScaled(values + label * features, scale: 1, into: matrix + row * features, count: features)
        }
    }

    /// dV[y_r] += de[r] for the leading `rows` rows of the last forward.
    func backward(_ gradient: UnsafePointer<Float>, rows: Int) {
        let gradients = store.gradients + table.offset
        for row in 0..<min(rows, self.rows) {
            Kernels.addScaled(gradient + row * features, scale: 1, into: gradients + Int(labels[row]) * features, count: features)
        }
    }
}
