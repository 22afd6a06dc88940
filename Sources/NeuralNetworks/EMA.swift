import Tensors

/// Exponential moving averages of a store's values at several rates, each in its own contiguous
/// buffer with the store's layout (evaluation EMAs; also the CM target network θ⁻):
///
///     emaᵢ ← μᵢ · emaᵢ + (1 − μᵢ) · θ
///
/// With a constant μ and starting value ema₀ (the store's values when the averages were created),
/// after n updates with parameters θ₁ … θₙ
///
///     emaₙ = μⁿ · ema₀ + (1 − μ) Σₖ₌₁ⁿ μⁿ⁻ᵏ · θₖ.
///
/// A scheduled rate — CM's μ(k) = exp(s0 · ln μ0 / (N(k) − 1)) of METHODS.md §2 — is passed per
/// update with ``update(_:from:rate:)``. Each average has a checkpoint name, its nominal rate
/// written in shortest form ("0.999", "0.9999"), for `/ema/<name>/<parameter>` (DESIGN.md §5).
/// Every trainable scalar is averaged; frozen entries (fixed random features) are copied, since
/// blending a value with itself can round it to a neighbour (``ParameterStore/copyFrozenValues(from:into:)``).
/// Updates, copies and swaps are single loops and allocate nothing.
public final class ExponentialMovingAverage {
    /// The nominal rate μ of each average, in the order given.
    public let rates: [Float]
    /// The checkpoint name of each average (its nominal rate).
    public let names: [String]
    /// How many updates each average has received since it was last reset, in ``rates`` order.
    public var updateCounts: [Int] { Array(UnsafeBufferPointer(start: counters, count: rates.count)) }
    /// Scalars per average (the store's count when the averages were created).
    public let count: Int
    private let buffers: [UnsafeMutablePointer<Float>]
    /// Update counters (a raw buffer, so counting never copies an array someone else holds).
    private let counters: UnsafeMutablePointer<Int>

    /// Averages starting at `store`'s current values. Throws for no rates, a rate outside [0, 1],
    /// or two rates with the same name.
    public init(of store: ParameterStore, rates: [Float]) throws(TensorError) {
        guard !rates.isEmpty else {
            throw .invalidArgument(operation: "ExponentialMovingAverage", message: "give at least one rate, e.g. [0.999, 0.9999]")
        }
        for rate in rates {
            try ExponentialMovingAverage.validate(rate: rate, operation: "ExponentialMovingAverage")
        }
        let names = rates.map { "\($0)" }
        guard Set(names).count == names.count else {
            throw .invalidArgument(operation: "ExponentialMovingAverage", message: "the rates \(names) must be distinct")
        }
        self.rates = rates
        self.names = names
        self.count = store.count
        self.counters = .allocate(capacity: rates.count)
        counters.initialize(repeating: 0, count: rates.count)
        self.buffers = rates.map { _ in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(store.count, 1) * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(store.count, 1))
            buffer.initialize(from: store.values, count: store.count)
            return buffer
        }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        counters.deallocate()
    }

    /// The index of the average called `name` ("0.9999"), if any.
    public func index(named name: String) -> Int? { names.firstIndex(of: name) }

    /// The values of average `index`, laid out like the store (writable, for checkpoint loading).
    public func values(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers[index], count: count)
    }

    /// The slice of average `index` that belongs to `entry`.
    public func values(_ index: Int, for entry: ParameterStore.Entry) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers[index] + entry.offset, count: entry.count)
    }

    /// A copy of average `index`.
    public func snapshot(_ index: Int) -> [Float] { Array(values(index)) }

    /// Every average at its nominal rate: `emaᵢ ← μᵢ·emaᵢ + (1 − μᵢ)·θ`.
    public func update(from store: ParameterStore) throws(TensorError) {
        try checkLayout(of: store, operation: "ExponentialMovingAverage.update")
        for index in buffers.indices {
            ExponentialMovingAverage.blend(buffers[index], toward: store.values, rate: rates[index], count: count)
            store.copyFrozenValues(from: store.values, into: buffers[index])
            counters[index] += 1
        }
    }

    /// Average `index` at a scheduled rate μ for this update (the hook for CM's μ(k)):
    /// `ema ← μ·ema + (1 − μ)·θ`. Throws for μ outside [0, 1] or a store of another layout.
    public func update(_ index: Int, from store: ParameterStore, rate: Float) throws(TensorError) {
        try checkIndex(index, operation: "ExponentialMovingAverage.update")
        try ExponentialMovingAverage.validate(rate: rate, operation: "ExponentialMovingAverage.update")
        try checkLayout(of: store, operation: "ExponentialMovingAverage.update")
        ExponentialMovingAverage.blend(buffers[index], toward: store.values, rate: rate, count: count)
        store.copyFrozenValues(from: store.values, into: buffers[index])
        counters[index] += 1
    }

    /// Overwrites the store's values with average `index` (for evaluation or for a target network).
    public func copy(_ index: Int, into store: ParameterStore) throws(TensorError) {
        try checkIndex(index, operation: "ExponentialMovingAverage.copy")
        try checkLayout(of: store, operation: "ExponentialMovingAverage.copy")
        store.values.update(from: buffers[index], count: count)
    }

    /// Exchanges the store's values with average `index`: evaluate, then swap again to resume
    /// training with the online parameters intact.
    public func swap(_ index: Int, with store: ParameterStore) throws(TensorError) {
        try checkIndex(index, operation: "ExponentialMovingAverage.swap")
        try checkLayout(of: store, operation: "ExponentialMovingAverage.swap")
        let average = buffers[index], values = store.values
        for i in 0..<count {
            let kept = values[i]
            values[i] = average[i]
            average[i] = kept
        }
    }

    /// Restarts every average at the store's current values.
    public func reset(from store: ParameterStore) throws(TensorError) {
        try checkLayout(of: store, operation: "ExponentialMovingAverage.reset")
        for index in buffers.indices {
            buffers[index].update(from: store.values, count: count)
            counters[index] = 0
        }
    }

    /// Restores average `index` (a full-layout array, e.g. from a checkpoint) and its update count.
    public func load(_ index: Int, from source: [Float], updateCount: Int = 0) throws(TensorError) {
        try checkIndex(index, operation: "ExponentialMovingAverage.load")
        guard source.count == count else {
            throw .shapeMismatch(operation: "ExponentialMovingAverage.load", lhs: [source.count], rhs: [count],
                                 expectation: "an average holds one value per parameter scalar")
        }
        guard updateCount >= 0 else {
            throw .invalidArgument(operation: "ExponentialMovingAverage.load", message: "the update count must be ≥ 0, got \(updateCount)")
        }
        source.withUnsafeBufferPointer { buffers[index].update(from: $0.baseAddress!, count: count) }
        counters[index] = updateCount
    }

    /// `ema[i] ← μ·ema[i] + (1 − μ)·θ[i]`.
    @inline(__always)
    static func blend(_ ema: UnsafeMutablePointer<Float>, toward theta: UnsafePointer<Float>, rate: Float, count: Int) {
        let complement = 1 - rate
        for i in 0..<count { ema[i] = rate * ema[i] + complement * theta[i] }
    }

    private static func validate(rate: Float, operation: String) throws(TensorError) {
        guard rate >= 0, rate <= 1 else {
            throw .invalidArgument(operation: operation, message: "an EMA rate must be in [0, 1], got \(rate)")
        }
    }

    private func checkIndex(_ index: Int, operation: String) throws(TensorError) {
        guard buffers.indices.contains(index) else {
            throw .invalidArgument(operation: operation, message: "no average \(index); there are \(buffers.count) (\(names))")
        }
    }

    private func checkLayout(of store: ParameterStore, operation: String) throws(TensorError) {
        guard store.count == count else {
            throw .shapeMismatch(operation: operation, lhs: [store.count], rhs: [count],
                                 expectation: "the store must have the layout the averages were created with")
        }
    }
}
