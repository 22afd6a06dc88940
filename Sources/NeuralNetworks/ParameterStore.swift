import Tensors

/// How a parameter's initial values are drawn. Random initialisers draw from the stream
/// `(store seed, "init/<parameter name>")`, so a parameter's initial values depend only on the seed
/// and its name — not on the order in which layers were built.
public enum ParameterInitializer: Equatable, Sendable {
    case zeros
    case ones
    case constant(Float)
    /// Uniform in [−bound, bound).
    case uniform(bound: Float)
    /// Normal with mean 0 and the given standard deviation.
    case normal(standardDeviation: Float)
    /// LeCun normal, `N(0, 1/fanIn)` (the reference step's initialisation).
    case lecunNormal(fanIn: Int)
    /// PyTorch's default for linear and convolution layers, `U(−1/√fanIn, 1/√fanIn)`.
    case fanInUniform(fanIn: Int)
}

/// Where a parameter lives inside its store: `count` elements from `offset`, with a shape.
public struct ParameterHandle: Equatable, Sendable {
    public let offset: Int
    public let count: Int
    public let shape: [Int]
}

/// Every parameter of one network in one contiguous buffer, with named views.
///
/// Names are stable dotted paths ("blocks.2.linear.weight") that double as storage paths in
/// checkpoints (STYLE.md §4). Values and gradients are two parallel buffers with the same layout, so
/// optimizer updates, EMA, gradient clipping and checkpointing are single loops over the whole
/// buffer. Layers register their parameters while they are built (the buffer may move then) and
/// afterwards address them through ``ParameterHandle`` offsets, resolved on every call.
public final class ParameterStore {
    /// One named parameter.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let handle: ParameterHandle
        /// Whether decoupled weight decay applies (weights yes; biases, norm gains and frozen buffers no).
        public let decays: Bool
        /// Frozen entries (fixed random features) never receive gradients.
        public let trainable: Bool
        public var offset: Int { handle.offset }
        public var count: Int { handle.count }
        public var shape: [Int] { handle.shape }
    }

    /// The seed of the initialisation streams.
    public let seed: UInt64
    /// Parameters in registration order.
    public private(set) var entries: [Entry] = []
    /// Total number of scalars.
    public private(set) var count = 0
    /// Parameter values (`count` of them; the buffer may be larger).
    public private(set) var values: UnsafeMutablePointer<Float>
    /// Gradients, same layout as ``values``. Layers accumulate into it; ``zeroGradients()`` clears it.
    public private(set) var gradients: UnsafeMutablePointer<Float>
    private var capacity: Int
    private var indexByName: [String: Int] = [:]

    public init(seed: UInt64) {
        self.seed = seed
        self.capacity = 1024
        self.values = ParameterStore.allocate(capacity)
        self.gradients = ParameterStore.allocate(capacity)
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    /// A naming scope at the root of this store.
    public var root: ParameterScope { ParameterScope(store: self, prefix: "") }

    /// Adds a parameter and fills it with `initializer`. Throws for a duplicate name or an empty shape.
    @discardableResult
    public func register(
        name: String, shape: [Int], initializer: ParameterInitializer, decays: Bool = true, trainable: Bool = true
    ) throws(TensorError) -> ParameterHandle {
        guard !name.isEmpty else {
            throw .invalidArgument(operation: "ParameterStore.register", message: "a parameter needs a non-empty name")
        }
        guard indexByName[name] == nil else {
            throw .invalidArgument(operation: "ParameterStore.register", message: "a parameter named '\(name)' already exists")
        }
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidShape(operation: "ParameterStore.register(\(name))", shape: shape, expectation: "every extent must be > 0")
        }
        let size = shape.reduce(1, *)
        if count + size > capacity { grow(to: count + size) }
        let handle = ParameterHandle(offset: count, count: size, shape: shape)
        fill(values + count, count: size, initializer: initializer, name: name)
        (gradients + count).initialize(repeating: 0, count: size)
        indexByName[name] = entries.count
        entries.append(Entry(name: name, handle: handle, decays: decays, trainable: trainable))
        count += size
        return handle
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    /// The values of one parameter.
    public func values(of handle: ParameterHandle) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: values + handle.offset, count: handle.count)
    }

    /// The gradient of one parameter.
    public func gradients(of handle: ParameterHandle) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: gradients + handle.offset, count: handle.count)
    }

    /// Sets every gradient to zero (one loop over the buffer).
    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// A copy of all values, in layout order.
    public func snapshotValues() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// A copy of all gradients, in layout order.
    public func snapshotGradients() -> [Float] { Array(UnsafeBufferPointer(start: gradients, count: count)) }

    /// Overwrites all values from `source` (same count as the store); throws otherwise.
    public func loadValues(_ source: [Float]) throws(TensorError) {
        guard source.count == count else {
            throw .shapeMismatch(operation: "ParameterStore.loadValues", lhs: [count], rhs: [source.count],
                                 expectation: "the source must hold exactly one value per parameter scalar")
        }
        source.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }

    /// Copies the values of the frozen (non-trainable) entries — fixed random features such as Fourier
    /// frequencies — from `source` into `destination`, both buffers in this store's layout. An average
    /// of a frozen value must stay that value, and the blend μ·f + (1 − μ)·f rounds to a neighbour of f
    /// for a few entries in a hundred; EMAs and target networks call this after blending.
    public func copyFrozenValues(from source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
        for entry in entries where !entry.trainable {
            (destination + entry.offset).update(from: source + entry.offset, count: entry.count)
        }
    }

    /// Global L2 norm of the gradients, √Σ g², accumulated in Double.
    public func gradientNorm() -> Double { Kernels.sumOfSquares(gradients, count: count).squareRoot() }

    /// True when every gradient is finite.
    public var gradientsAreFinite: Bool { Kernels.allFinite(gradients, count: count) }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let newValues = ParameterStore.allocate(newCapacity)
        let newGradients = ParameterStore.allocate(newCapacity)
        newValues.update(from: values, count: count)
        newGradients.update(from: gradients, count: count)
        values.deallocate()
        gradients.deallocate()
        values = newValues
        gradients = newGradients
        capacity = newCapacity
    }

    private func fill(_ target: UnsafeMutablePointer<Float>, count: Int, initializer: ParameterInitializer, name: String) {
        var stream = RandomStream(seed: seed, purpose: "init/" + name)
        switch initializer {
        case .zeros: target.update(repeating: 0, count: count)
        case .ones: target.update(repeating: 1, count: count)
        case .constant(let value): target.update(repeating: value, count: count)
        case .uniform(let bound):
            for i in 0..<count { target[i] = (2 * stream.nextUniformFloat() - 1) * bound }
        case .normal(let standardDeviation):
            stream.fillNormal(target, count: count, standardDeviation: standardDeviation)
        case .lecunNormal(let fanIn):
            stream.fillNormal(target, count: count, standardDeviation: (1 / Float(max(fanIn, 1))).squareRoot())
        case .fanInUniform(let fanIn):
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            for i in 0..<count { target[i] = (2 * stream.nextUniformFloat() - 1) * bound }
        }
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }
}

/// A dotted name prefix inside a ``ParameterStore``: `scope.child("blocks").child(2)` registers
/// "blocks.2.weight".
public struct ParameterScope {
    public let store: ParameterStore
    public let prefix: String

    public init(store: ParameterStore, prefix: String) {
        self.store = store
        self.prefix = prefix
    }

    /// The scope one level down.
    public func child(_ name: String) -> ParameterScope {
        ParameterScope(store: store, prefix: qualified(name))
    }

    /// The scope one level down, for the i-th element of a list.
    public func child(_ index: Int) -> ParameterScope { child(String(index)) }

    /// `prefix.name` (or `name` at the root).
    public func qualified(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// Registers `prefix.name` in the store.
    public func register(
        _ name: String, shape: [Int], initializer: ParameterInitializer, decays: Bool = true, trainable: Bool = true
    ) throws(TensorError) -> ParameterHandle {
        try store.register(name: qualified(name), shape: shape, initializer: initializer, decays: decays, trainable: trainable)
    }
}
