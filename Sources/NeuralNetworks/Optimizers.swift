import Tensors

/// A first-order optimizer over one ``ParameterStore`` ("one small protocol per concept").
///
/// A step reads `store.gradients` and updates `store.values`, entry by entry: only trainable entries
/// move, and weight decay applies only to entries with `decays == true`. A whole step is
///
///     step(store, lr)  ≡  beginStep(store);  update(store, range: 0..<store.count, learningRate: lr)
///
/// and the two halves are public so a training step can update each layer right after its
/// gradient is ready (BENCHMARK.md §3): call ``beginStep(_:)`` once (it advances `t` and computes
/// the bias corrections), then ``update(_:range:learningRate:)`` once per disjoint range. Any split
/// of the store into disjoint ranges gives bit-for-bit the result of one ``step(_:learningRate:)``.
///
/// State lives in buffers laid out like the store's values, one per named slot ("m", "v",
/// "momentum"), so a checkpoint writes `optimizer/<kind>/<slot>/<parameter name>` by slicing a slot
/// with an entry's handle (DESIGN.md §5). State is allocated by the first ``beginStep(_:)`` (or by
/// ``prepare(for:)``); after that a step allocates nothing. An optimizer belongs to the first store
/// it is prepared for; using it with another store throws. Parameters registered after that are
/// picked up with zero state at the next ``beginStep(_:)``.
///
/// Non-finite gradients are not checked here: the training loop tests
/// `store.gradientsAreFinite` and skips the step (DESIGN.md §7).
public protocol Optimizer: AnyObject {
    /// The checkpoint group: "sgd", "adam", "radam".
    var kind: String { get }
    /// `t`, the number of steps begun so far (0 before the first ``beginStep(_:)``).
    var stepCount: Int { get }
    /// The names of the state buffers, in a fixed order (empty for plain SGD).
    var slotNames: [String] { get }
    /// State buffer `name`, laid out like the store's values; nil for an unknown name or before the
    /// state exists. Writing into it (when restoring a checkpoint) is allowed.
    func slot(named name: String) -> UnsafeMutableBufferPointer<Float>?
    /// Allocates zero state for `store`'s layout (or grows it for newly registered parameters) and
    /// binds the optimizer to `store`. Throws when the optimizer belongs to another store.
    func prepare(for store: ParameterStore) throws(TensorError)
    /// Advances `t` by one and computes the step's scalar constants (bias corrections) once.
    func beginStep(_ store: ParameterStore) throws(TensorError)
    /// Updates the trainable scalars of `store` whose indices lie in `range`, from `store.gradients`,
    /// with the constants of the last ``beginStep(_:)``. Ranges of one step must be disjoint.
    /// Preconditions: ``beginStep(_:)`` was called, `range` lies inside the store.
    func update(_ store: ParameterStore, range: Range<Int>, learningRate: Float)
    /// One whole step: ``beginStep(_:)`` then ``update(_:range:learningRate:)`` over the whole store.
    /// Throws for a negative or non-finite learning rate.
    func step(_ store: ParameterStore, learningRate: Float) throws(TensorError)
    /// Restores `t` and every slot (each a full-layout array of `store.count` values, keyed by the
    /// names in ``slotNames``) for `store`. Throws for missing, unknown or misshapen slots.
    func restore(stepCount: Int, slots: [String: [Float]], for store: ParameterStore) throws(TensorError)
    /// Forgets all state (t = 0, slots zero) and the store binding.
    func reset()
}

extension Optimizer {
    public func step(_ store: ParameterStore, learningRate: Float) throws(TensorError) {
        try validateLearningRate(learningRate, operation: "\(kind).step")
        try beginStep(store)
        update(store, range: 0..<store.count, learningRate: learningRate)
    }

    /// Every slot by name (views, not copies): what a checkpoint writer iterates over.
    public var slots: [String: UnsafeMutableBufferPointer<Float>] {
        var result: [String: UnsafeMutableBufferPointer<Float>] = [:]
        for name in slotNames {
            if let buffer = slot(named: name) { result[name] = buffer }
        }
        return result
    }

    /// Copies of every slot, keyed by name (the inverse of ``restore(stepCount:slots:for:)``).
    public func snapshotSlots() -> [String: [Float]] {
        slots.mapValues { Array($0) }
    }

    /// The slice of slot `slotName` that belongs to `entry` (`optimizer/<kind>/<slot>/<entry.name>`).
    public func slot(named slotName: String, for entry: ParameterStore.Entry) -> UnsafeMutableBufferPointer<Float>? {
        guard let buffer = slot(named: slotName), entry.offset + entry.count <= buffer.count else { return nil }
        return UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<(entry.offset + entry.count)])
    }
}

/// How weight decay λ enters an update. The default everywhere is ``decoupled``.
public enum WeightDecayStyle: Equatable, Sendable {
    /// Decoupled (Loshchilov & Hutter 2019, "AdamW"; PyTorch `AdamW`, `RAdam(decoupled_weight_decay=True)`):
    /// the parameter shrinks independently of the gradient statistics,
    ///
    ///     p ← p · (1 − lr·λ)    then the optimizer's own update.
    case decoupled
    /// L2 regularisation coupled into the gradient (PyTorch's `weight_decay` for SGD, Adam, RAdam):
    ///
    ///     g ← g + λ·p    before the moments are updated.
    ///
    /// `store.gradients` itself is not modified.
    case coupled
}

func validateLearningRate(_ learningRate: Float, operation: String) throws(TensorError) {
    guard learningRate.isFinite, learningRate >= 0 else {
        throw .invalidArgument(operation: operation, message: "the learning rate must be finite and ≥ 0, got \(learningRate)")
    }
}

func validateWeightDecay(_ weightDecay: Float, operation: String) throws(TensorError) {
    guard weightDecay.isFinite, weightDecay >= 0 else {
        throw .invalidArgument(operation: operation, message: "the weight decay must be finite and ≥ 0, got \(weightDecay)")
    }
}

/// The settings Adam and RAdam share: β1, β2 in [0, 1), ε finite and ≥ 0, weight decay ≥ 0.
func validateAdaptiveMomentSettings(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, operation: String) throws(TensorError) {
    try validateBeta(beta1, name: "β1", operation: operation)
    try validateBeta(beta2, name: "β2", operation: operation)
    guard epsilon.isFinite, epsilon >= 0 else {
        throw .invalidArgument(operation: operation, message: "ε must be finite and ≥ 0, got \(epsilon)")
    }
    try validateWeightDecay(weightDecay, operation: operation)
}

func validateBeta(_ beta: Float, name: String, operation: String) throws(TensorError) {
    guard beta >= 0, beta < 1 else {
        throw .invalidArgument(operation: operation, message: "\(name) must be in [0, 1), got \(beta)")
    }
}

/// `base^exponent` for `exponent ≥ 0` by repeated squaring (bias corrections, in Double).
func integerPower(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0, factor = base, remaining = exponent
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
    }
    return result
}

/// A maximal run of consecutive trainable scalars that share a `decays` flag.
struct UpdateSegment {
    var lowerBound: Int
    var upperBound: Int
    var decays: Bool
}

/// An optimizer whose checkpointable state lives in an ``OptimizerState``: the protocol supplies
/// everything of ``Optimizer`` that is pure bookkeeping (kind, t, slots, prepare, restore, reset), so
/// each optimizer writes only its step constants and its update loop.
public protocol StateBackedOptimizer: Optimizer {
    /// The shared bookkeeping (opaque outside this module).
    var state: OptimizerState { get }
}

extension StateBackedOptimizer {
    public var kind: String { state.kind }
    public var stepCount: Int { state.stepCount }
    public var slotNames: [String] { state.slotNames }
    public func slot(named name: String) -> UnsafeMutableBufferPointer<Float>? { state.slot(named: name) }
    public func prepare(for store: ParameterStore) throws(TensorError) { try state.prepare(for: store) }
    public func reset() { state.reset() }

    public func restore(stepCount: Int, slots: [String: [Float]], for store: ParameterStore) throws(TensorError) {
        try state.restore(stepCount: stepCount, slots: slots, for: store)
    }
}

/// The bookkeeping every optimizer shares: the bound store, the trainable segments of its layout and
/// the slot buffers (64-byte aligned, one per slot name, `capacity ≥ count` scalars each). Its
/// members are internal: outside the module it is only carried, never inspected.
public final class OptimizerState {
    let kind: String
    let slotNames: [String]
    private(set) var slots: [UnsafeMutablePointer<Float>]
    private(set) var count = 0
    private(set) var entryCount = 0
    private(set) var segments: ContiguousArray<UpdateSegment> = []
    private(set) var isPrepared = false
    private weak var store: ParameterStore?
    var stepCount = 0

    init(kind: String, slotNames: [String]) {
        self.kind = kind
        self.slotNames = slotNames
        self.slots = slotNames.map { _ in OptimizerState.allocate(1) }
    }

    deinit { for slot in slots { slot.deallocate() } }

    func slot(named name: String) -> UnsafeMutableBufferPointer<Float>? {
        guard isPrepared, let index = slotNames.firstIndex(of: name) else { return nil }
        return UnsafeMutableBufferPointer(start: slots[index], count: count)
    }

    /// Binds to `store` and brings the state to its layout. Allocates only when the layout changed.
    func prepare(for store: ParameterStore) throws(TensorError) {
        if isPrepared {
            guard self.store === store else {
                throw .invalidArgument(operation: "\(kind).prepare",
                                       message: "this optimizer's state belongs to another parameter store; use one optimizer per store (or call reset())")
            }
            if store.count == count && store.entries.count == entryCount { return }
        }
        let newCount = store.count
        let oldCount = isPrepared ? count : 0
        for index in slots.indices {
            let grown = OptimizerState.allocate(max(newCount, 1))
            grown.update(from: slots[index], count: oldCount)
            (grown + oldCount).update(repeating: 0, count: newCount - oldCount)
            slots[index].deallocate()
            slots[index] = grown
        }
        var newSegments: ContiguousArray<UpdateSegment> = []
        for entry in store.entries where entry.trainable && entry.count > 0 {
            if let last = newSegments.last, last.upperBound == entry.offset, last.decays == entry.decays {
                newSegments[newSegments.count - 1].upperBound = entry.offset + entry.count
            } else {
                newSegments.append(UpdateSegment(lowerBound: entry.offset, upperBound: entry.offset + entry.count, decays: entry.decays))
            }
        }
        segments = newSegments
        count = newCount
        entryCount = store.entries.count
        self.store = store
        isPrepared = true
    }

    func restore(stepCount: Int, slots source: [String: [Float]], for store: ParameterStore) throws(TensorError) {
        let operation = "\(kind).restore"
        guard stepCount >= 0 else {
            throw .invalidArgument(operation: operation, message: "the step count must be ≥ 0, got \(stepCount)")
        }
        let unknown = source.keys.filter { !slotNames.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw .invalidArgument(operation: operation,
                                   message: "unknown slot(s) \(unknown); a \(kind) optimizer has \(slotNames)")
        }
        for name in slotNames {
            guard let values = source[name] else {
                throw .invalidArgument(operation: operation, message: "slot '\(name)' is missing; a \(kind) optimizer needs \(slotNames)")
            }
            guard values.count == store.count else {
                throw .shapeMismatch(operation: operation, lhs: [values.count], rhs: [store.count],
                                     expectation: "slot '\(name)' must hold one value per parameter scalar")
            }
        }
        try prepare(for: store)
        for (index, name) in slotNames.enumerated() {
            source[name]!.withUnsafeBufferPointer { slots[index].update(from: $0.baseAddress!, count: count) }
        }
        self.stepCount = stepCount
    }

    func reset() {
        for slot in slots { slot.update(repeating: 0, count: count) }
        stepCount = 0
        store = nil
        isPrepared = false
        count = 0
        entryCount = 0
        segments = []
    }

    /// Calls `body(lowerBound, upperBound, decays)` for every piece of a trainable segment inside `range`.
    @inline(__always)
    func forEachTrainablePiece(in range: Range<Int>, _ body: (Int, Int, Bool) -> Void) {
        precondition(isPrepared && stepCount > 0, "\(kind).update: call beginStep(_:) before update")
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "\(kind).update: range \(range) lies outside the store's \(count) scalars")
        for index in segments.indices {
            let segment = segments[index]
            if segment.lowerBound >= range.upperBound { break }
            let lower = max(segment.lowerBound, range.lowerBound)
            let upper = min(segment.upperBound, range.upperBound)
            if lower < upper { body(lower, upper, segment.decays) }
        }
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        return pointer
    }
}
