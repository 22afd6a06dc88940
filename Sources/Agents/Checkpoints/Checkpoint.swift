import Foundation
import NeuralNetworks
import Tensors

/// A named `Float` array: one parameter (or one optimizer slot or average of it).
public struct NamedArray: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Everything needed to continue a run exactly where it stopped (DESIGN.md §5): the step, the online
/// parameters by stable name, the target network when it differs, evaluation EMAs, the optimizer's
/// slots, the random streams, the curriculum state, the resolved config and provenance.
///
/// ``CheckpointFile`` writes and reads it in the layout
///
///     /                                   attrs: format, format_version, step, created_utc, toolkit_version,
///                                                config (JSON), method, seed, provenance_*
///     /parameters/<name>                  float32, one dataset per parameter
///     /target_parameters/<name>           when the target network differs from the online one
///     /ema/<rate>/<name>                  attrs: update_count
///     /optimizer/<kind>/<slot>/<name>     attrs on /optimizer/<kind>: step, lr
///     /random/<stream>                    uint64 [key₀, key₁, position]
///     /curriculum                         attrs: stage, N, mu, …
public struct Checkpoint: Equatable {
    public static let formatName = "consistency-td.checkpoint"
    public static let formatVersion: Int64 = 1

    /// The optimizer's state: its kind ("adam", "radam", "sgd"), step count t, the learning rate of
    /// the last step, and each slot ("m", "v", "momentum") as one array per parameter.
    public struct OptimizerState: Equatable {
        public var kind: String
        public var stepCount: Int
        public var learningRate: Float
        public var slots: [String: [NamedArray]]

        public init(kind: String, stepCount: Int, learningRate: Float, slots: [String: [NamedArray]]) {
            self.kind = kind
            self.stepCount = stepCount
            self.learningRate = learningRate
            self.slots = slots
        }
    }

    /// One evaluation average: its rate as text ("0.9999"), how many updates it has seen, its values.
    public struct Average: Equatable {
        public var rate: String
        public var updateCount: Int
        public var parameters: [NamedArray]

        public init(rate: String, updateCount: Int, parameters: [NamedArray]) {
            self.rate = rate
            self.updateCount = updateCount
            self.parameters = parameters
        }
    }

    public var step: Int
    public var method: String
    public var seed: UInt64
    /// The resolved run configuration as a JSON string.
    public var configuration: String
    public var createdUTC: String
    public var provenance: Provenance
    public var parameters: [NamedArray]
    public var targetParameters: [NamedArray]?
    public var averages: [Average]
    public var optimizer: OptimizerState?
    public var randomStreams: [String: RandomStream]
    public var curriculum: [String: Double]

    public init(
        step: Int, method: String, seed: UInt64, configuration: String = "{}", createdUTC: String = Checkpoint.timestamp(),
        provenance: Provenance = .current, parameters: [NamedArray], targetParameters: [NamedArray]? = nil,
        averages: [Average] = [], optimizer: OptimizerState? = nil, randomStreams: [String: RandomStream] = [:],
        curriculum: [String: Double] = [:]
    ) {
        self.step = step
        self.method = method
        self.seed = seed
        self.configuration = configuration
        self.createdUTC = createdUTC
        self.provenance = provenance
        self.parameters = parameters
        self.targetParameters = targetParameters
        self.averages = averages
        self.optimizer = optimizer
        self.randomStreams = randomStreams
        self.curriculum = curriculum
    }

    /// Captures the live training state: the online store, an optional separate target store, the
    /// optimizer (with the learning rate of its last step), the evaluation EMAs and random streams.
    public init(
        step: Int, method: String, seed: UInt64, configuration: String = "{}", store: ParameterStore,
        target: ParameterStore? = nil, optimizer: (any Optimizer)? = nil, learningRate: Float = 0,
        averages: ExponentialMovingAverage? = nil, randomStreams: [String: RandomStream] = [:],
        curriculum: [String: Double] = [:]
    ) {
        let layout = store.entries
        var optimizerState: OptimizerState?
        if let optimizer {
            var slots: [String: [NamedArray]] = [:]
            for name in optimizer.slotNames {
                guard let buffer = optimizer.slot(named: name) else { continue }
                slots[name] = Checkpoint.split(UnsafeBufferPointer(buffer), layout: layout)
            }
            optimizerState = OptimizerState(kind: optimizer.kind, stepCount: optimizer.stepCount, learningRate: learningRate, slots: slots)
        }
        var averageStates: [Average] = []
        if let averages {
            for index in 0..<averages.rates.count {
                averageStates.append(Average(rate: averages.names[index], updateCount: averages.updateCounts[index],
                                             parameters: Checkpoint.split(UnsafeBufferPointer(averages.values(index)), layout: layout)))
            }
        }
        self.init(
            step: step, method: method, seed: seed, configuration: configuration,
            parameters: Checkpoint.split(UnsafeBufferPointer(start: store.values, count: store.count), layout: layout),
            targetParameters: target.map { Checkpoint.split(UnsafeBufferPointer(start: $0.values, count: $0.count), layout: $0.entries) },
            averages: averageStates, optimizer: optimizerState, randomStreams: randomStreams, curriculum: curriculum)
    }

    /// Writes the checkpoint's state into live objects of the same layout. Everything is checked
    /// before anything is written, so a mismatch leaves the objects untouched.
    public func restore(
        into store: ParameterStore, target: ParameterStore? = nil, optimizer: (any Optimizer)? = nil,
        averages: ExponentialMovingAverage? = nil, path: String = "checkpoint"
    ) throws {
        let values = try Checkpoint.join(parameters, layout: store.entries, group: "parameters", path: path)
        let targetValues = try target.map { targetStore -> [Float] in
            guard let targetParameters else {
                throw CheckpointError.malformed(path: path, object: "/target_parameters", problem: "is missing but a target network was given")
            }
            return try Checkpoint.join(targetParameters, layout: targetStore.entries, group: "target_parameters", path: path)
        }
        var slotValues: [String: [Float]] = [:]
        if let optimizer {
            guard let state = self.optimizer else {
                throw CheckpointError.malformed(path: path, object: "/optimizer", problem: "is missing but an optimizer was given")
            }
            guard state.kind == optimizer.kind else {
                throw CheckpointError.malformed(path: path, object: "/optimizer/\(state.kind)",
                                                problem: "holds \(state.kind) state but the run uses \(optimizer.kind)")
            }
            for name in optimizer.slotNames {
                guard let arrays = state.slots[name] else {
                    throw CheckpointError.malformed(path: path, object: "/optimizer/\(state.kind)/\(name)", problem: "is missing")
                }
                slotValues[name] = try Checkpoint.join(arrays, layout: store.entries, group: "optimizer/\(state.kind)/\(name)", path: path)
            }
        }
        var averageValues: [[Float]] = []
        if let averages {
            for name in averages.names {
                guard let average = self.averages.first(where: { $0.rate == name }) else {
                    throw CheckpointError.malformed(path: path, object: "/ema/\(name)", problem: "is missing")
                }
                averageValues.append(try Checkpoint.join(average.parameters, layout: store.entries, group: "ema/\(name)", path: path))
            }
        }
        try store.loadValues(values)
        if let target, let targetValues { try target.loadValues(targetValues) }
        if let optimizer, let state = self.optimizer {
            try optimizer.restore(stepCount: state.stepCount, slots: slotValues, for: store)
        }
        if let averages {
            for (index, name) in averages.names.enumerated() {
                let count = self.averages.first(where: { $0.rate == name })?.updateCount ?? 0
                try averages.load(index, from: averageValues[index], updateCount: count)
            }
        }
    }

    /// "2026-11-21T18:30:00Z".
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// One array per entry of `layout`, cut out of a whole-store buffer.
    static func split(_ buffer: UnsafeBufferPointer<Float>, layout: [ParameterStore.Entry]) -> [NamedArray] {
        layout.map { entry in
            NamedArray(name: entry.name, shape: entry.shape,
                       values: Array(buffer[entry.offset..<(entry.offset + entry.count)]))
        }
    }

    /// The whole-store buffer for `layout` from named arrays; throws, naming every missing,
    /// unexpected and reshaped parameter, unless names and shapes match exactly.
    static func join(_ arrays: [NamedArray], layout: [ParameterStore.Entry], group: String, path: String) throws -> [Float] {
        try checkLayout(arrays.map { ($0.name, $0.shape) }, layout: layout, group: group, path: path)
        let byName = Dictionary(arrays.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in layout where byName[entry.name]!.values.count != entry.count {
            throw CheckpointError.malformed(path: path, object: "/\(group)/\(entry.name)",
                                            problem: "holds \(byName[entry.name]!.values.count) values for shape \(entry.shape)")
        }
        // The store's layout tiles 0 ..< total, so every element is written once (no zero fill first).
        let total = layout.reduce(0) { $0 + $1.count }
        return [Float](unsafeUninitializedCapacity: total) { buffer, initialised in
            for entry in layout {
                _ = byName[entry.name]!.values.withUnsafeBufferPointer { values in
                    UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<(entry.offset + entry.count)]).initialize(from: values)
                }
            }
            initialised = total
        }
    }

    /// Compares stored (name, shape) pairs with a layout; throws a ``CheckpointError/parameterMismatch``.
    static func checkLayout(_ stored: [(String, [Int])], layout: [ParameterStore.Entry], group: String, path: String) throws {
        let storedShapes = Dictionary(stored, uniquingKeysWith: { first, _ in first })
        let expected = Set(layout.map(\.name))
        let missing = layout.map(\.name).filter { storedShapes[$0] == nil }
        let unexpected = stored.map(\.0).filter { !expected.contains($0) }.sorted()
        let reshaped = layout.compactMap { entry -> (name: String, expected: [Int], found: [Int])? in
            guard let found = storedShapes[entry.name], found != entry.shape else { return nil }
            return (entry.name, entry.shape, found)
        }
        if !missing.isEmpty || !unexpected.isEmpty || !reshaped.isEmpty {
            throw CheckpointError.parameterMismatch(path: path, group: group, missing: missing, unexpected: unexpected, reshaped: reshaped)
        }
    }
}
