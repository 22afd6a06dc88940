import Tensors

/// An optimizer step and a gradient reset split across the lanes of a ``ParallelLanes``: each lane
/// updates (or clears) its contiguous share of the store's scalars. Every optimizer here updates each
/// scalar from that scalar's own state, so the result is bit-identical to ``Optimizer/step(_:learningRate:)``.
/// Create it once and reuse it: it allocates nothing per step.
public final class ParallelOptimizerStep: LaneWork {
    public let optimizer: any Optimizer
    public let store: ParameterStore
    public let lanes: ParallelLanes
    private var learningRate: Float = 0
    private var clearing = false

    public init(optimizer: any Optimizer, store: ParameterStore, lanes: ParallelLanes) {
        self.optimizer = optimizer
        self.store = store
        self.lanes = lanes
    }

    /// `optimizer.beginStep` once, then every lane updates its share. Throws for a negative or
    /// non-finite learning rate.
    public func step(learningRate: Float) throws(TensorError) {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw .invalidArgument(operation: "ParallelOptimizerStep.step",
                                   message: "the learning rate must be finite and ≥ 0, got \(learningRate)")
        }
        try optimizer.beginStep(store)
        self.learningRate = learningRate
        clearing = false
        lanes.run(self)
    }

    /// Sets every gradient to zero, each lane clearing its share.
    public func zeroGradients() {
        clearing = true
        lanes.run(self)
    }

    public func run(lane: Int, of laneCount: Int) {
        let range = ParallelLanes.share(of: store.count, lane: lane, of: laneCount)
        if clearing {
            (store.gradients + range.lowerBound).update(repeating: 0, count: range.count)
        } else {
            optimizer.update(store, range: range, learningRate: learningRate)
        }
    }
}
