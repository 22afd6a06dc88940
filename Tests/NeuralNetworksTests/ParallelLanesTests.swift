import NeuralNetworks
import Synchronization
import Tensors
import Testing

/// Each lane writes its share in phase 1; after the barrier each lane reads the OTHER lanes' shares.
private final class BarrierProbe: LaneWork {
    let lanes: ParallelLanes
    var values: [Int]
    var sums: [Int]
    let failures = Mutex(0)
    init(lanes: ParallelLanes, count: Int) {
        self.lanes = lanes
        values = Array(repeating: 0, count: count)
        sums = Array(repeating: 0, count: lanes.laneCount)
    }
    func run(lane: Int, of laneCount: Int) {
        for round in 1...50 {
            values.withUnsafeMutableBufferPointer { buffer in
                for i in ParallelLanes.share(of: buffer.count, lane: lane, of: laneCount) { buffer[i] = round * (i + 1) }
            }
            lanes.barrier()
            let total = values.withUnsafeBufferPointer { $0.reduce(0, +) }
            if total != round * values.count * (values.count + 1) / 2 { failures.withLock { $0 += 1 } }
            lanes.barrier()
        }
        sums.withUnsafeMutableBufferPointer { $0[lane] = lane + 1 }
    }
}

@Suite("Parallel lanes")
struct ParallelLanesTests {
    @Test("shares partition 0..<n into contiguous ranges differing in size by at most one")
    func sharesPartition() {
        for count in [0, 1, 5, 16, 1023] {
            for laneCount in 1...4 {
                let shares = (0..<laneCount).map { ParallelLanes.share(of: count, lane: $0, of: laneCount) }
                #expect(shares.first!.lowerBound == 0 && shares.last!.upperBound == count)
                #expect(zip(shares, shares.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(shares.map(\.count).max()! - shares.map(\.count).min()! <= 1)
            }
        }
    }

    @Test("a pool released at once, before its threads have started, stops them cleanly (workers never reach a released pool)")
    func poolReleasedBeforeWorkersStart() {
        for round in 0..<300 {
            let lanes = ParallelLanes(laneCount: 2 + round % 3)
            _ = lanes.laneCount
        }
        let lanes = ParallelLanes(laneCount: 2)
        let probe = BarrierProbe(lanes: lanes, count: 100)
        lanes.run(probe)
        #expect(probe.sums == [1, 2])
    }

    @Test("every lane runs, and a barrier makes each lane's writes visible to the others")
    func barrierOrdersWrites() {
        let lanes = ParallelLanes(laneCount: 2)
        let probe = BarrierProbe(lanes: lanes, count: 1000)
        for _ in 0..<20 { lanes.run(probe) }
        #expect(probe.sums == [1, 2])
        #expect(probe.failures.withLock { $0 } == 0)
    }

    @Test("an MLP on two lanes matches one lane and is bitwise repeatable")
    func mlpOnLanesMatchesOneLane() throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 3, width: 40, depth: 3)
        let serial = try TimeConditionedMLP(configuration, seed: 4), parallel = try TimeConditionedMLP(configuration, seed: 4)
        serial.computesInputGradient = true
        parallel.computesInputGradient = true
        parallel.lanes = ParallelLanes(laneCount: 2)
        let input = try LayerTestSupport.randomTensor([37, 3], seed: 1)
        let conditioning = try LayerTestSupport.randomTensor([37], seed: 2)
        let gradient = try LayerTestSupport.randomTensor([19, 3], seed: 3)
        var runs: [[Float]] = []
        for network in [serial, parallel, parallel] {
            network.store.zeroGradients()
            let context = ForwardContext(gradientRows: 19)
            let output = try network.forward(input, noiseConditioning: conditioning, context: context).scalars
            let inputGradient = try network.backward(gradient).scalars
            runs.append(output + inputGradient + network.store.snapshotGradients())
        }
        #expect(LayerTestSupport.maximumRelativeDifference(runs[1], runs[0]) < 1e-5)
        #expect(runs[1] == runs[2])
    }

    @Test("a lane-parallel optimizer step and gradient reset equal the serial ones bit for bit")
    func parallelOptimizerStep() throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 24)
        let a = try TimeConditionedMLP(configuration, seed: 1), b = try TimeConditionedMLP(configuration, seed: 1)
        let serialAdam = try RAdam(weightDecay: 0.01), laneAdam = try RAdam(weightDecay: 0.01)
        let parallel = ParallelOptimizerStep(optimizer: laneAdam, store: b.store, lanes: ParallelLanes(laneCount: 2))
        for step in 0..<8 {
            var stream = RandomStream(seed: 9, purpose: "gradients", index: UInt64(step))
            stream.fillNormal(a.store.gradients, count: a.store.count)
            b.store.gradients.update(from: a.store.gradients, count: a.store.count)
            try serialAdam.step(a.store, learningRate: 1e-2)
            try parallel.step(learningRate: 1e-2)
        }
        #expect(a.store.snapshotValues() == b.store.snapshotValues())
        parallel.zeroGradients()
        #expect(b.store.snapshotGradients().allSatisfy { $0 == 0 })
        #expect(throws: TensorError.self) { try parallel.step(learningRate: .nan) }
    }

    @Test("a lane-parallel training step allocates nothing after the first step")
    func parallelStepIsAllocationFree() throws {
        let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 4, width: 64), seed: 0)
        let lanes = ParallelLanes(laneCount: 2)
        network.lanes = lanes
        let optimizer = ParallelOptimizerStep(optimizer: try Adam(), store: network.store, lanes: lanes)
        let input = try LayerTestSupport.randomTensor([32, 4], seed: 1)
        let conditioning = try LayerTestSupport.randomTensor([32], seed: 2)
        let gradient = try LayerTestSupport.randomTensor([16, 4], seed: 3)
        func trainingStep() throws {
            _ = try network.forward(input, noiseConditioning: conditioning, context: ForwardContext(isTraining: true, gradientRows: 16))
            optimizer.zeroGradients()
            _ = try network.backward(gradient)
            try optimizer.step(learningRate: 1e-3)
        }
        try trainingStep()
        let allocations = try LayerTestSupport.toolkitAllocations { for _ in 0..<5 { try trainingStep() } }
        #expect(allocations == 0)
    }
}
