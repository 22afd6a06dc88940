import Foundation
import NeuralNetworks
import Tensors
import Testing

private typealias Support = OptimizerTestSupport

/// The quadratic of the hand-computed tests: a = (1, 2), c = (3, −1), θ₀ = (0, 0).
private let handQuadratic = OptimizerTestSupport.Quadratic(curvatures: [1, 2], centres: [3, -1])

/// Runs `steps` steps of `optimizer` on `quadratic` from `start` and returns θ after each step.
private func trajectory(
    _ optimizer: any Optimizer, on quadratic: OptimizerTestSupport.Quadratic, from start: [Float],
    steps: Int, learningRate: Float
) throws -> [[Double]] {
    let store = try Support.store(values: start)
    var result: [[Double]] = []
    for _ in 0..<steps {
        quadratic.writeGradient(into: store)
        try optimizer.step(store, learningRate: learningRate)
        result.append(Support.values(of: store))
    }
    return result
}

@Suite("SGD")
struct SGDTests {
    @Test("heavy-ball momentum matches hand-computed steps on a quadratic")
    func heavyBallMatchesHandValues() throws {
        // g = a(θ − c);  b ← 0.9 b + g;  θ ← θ − 0.1 b
        // t=1: g = (−3, 2),       b = (−3, 2),        θ = (0.3, −0.2)
        // t=2: g = (−2.7, 1.6),   b = (−5.4, 3.4),    θ = (0.84, −0.54)
        // t=3: g = (−2.16, 0.92), b = (−7.02, 3.98),  θ = (1.542, −0.938)
        let path = try trajectory(SGD(momentum: 0.9), on: handQuadratic, from: [0, 0], steps: 3, learningRate: 0.1)
        let expected: [[Double]] = [[0.3, -0.2], [0.84, -0.54], [1.542, -0.938]]
        for t in 0..<3 {
            #expect(Support.maximumRelativeError(path[t], expected[t]) < 1e-6, "step \(t + 1): \(path[t]) vs \(expected[t])")
        }
    }

    @Test("Nesterov momentum matches hand-computed steps on a quadratic")
    func nesterovMatchesHandValues() throws {
        // d = g + 0.9 b
        // t=1: g = (−3, 2),       b = (−3, 2),        d = (−5.7, 3.8),      θ = (0.57, −0.38)
        // t=2: g = (−2.43, 1.24), b = (−5.13, 3.04),  d = (−7.047, 3.976),  θ = (1.2747, −0.7776)
        let path = try trajectory(SGD(momentum: 0.9, nesterov: true), on: handQuadratic, from: [0, 0], steps: 2, learningRate: 0.1)
        #expect(Support.maximumRelativeError(path[0], [0.57, -0.38]) < 1e-6)
        #expect(Support.maximumRelativeError(path[1], [1.2747, -0.7776]) < 1e-6)
    }

    @Test("without momentum one step is θ − lr·g and there is no state")
    func plainStep() throws {
        let optimizer = try SGD()
        let path = try trajectory(optimizer, on: handQuadratic, from: [0, 0], steps: 1, learningRate: 0.1)
        #expect(Support.maximumRelativeError(path[0], [0.3, -0.2]) < 1e-7)
        #expect(optimizer.slotNames.isEmpty)
    }

    @Test("Nesterov without momentum and a momentum of 1 are rejected")
    func rejectsBadArguments() {
        #expect(Support.throwsInvalidArgument { _ = try SGD(nesterov: true) })
        #expect(Support.throwsInvalidArgument { _ = try SGD(momentum: 1) })
        #expect(Support.throwsInvalidArgument { _ = try SGD(weightDecay: -0.1) })
    }
}

@Suite("Adam")
struct AdamTests {
    @Test("the first three steps equal the closed form computed in Double", arguments: [(0.1, 1e-8), (0.05, 0.3)])
    func firstStepsMatchClosedForm(lr: Double, eps: Double) throws {
        // A large ε (0.3) makes where ε enters (√v̂ + ε, not √v + ε) visible.
        let quadratic = Support.Quadratic(curvatures: [1, 2, 0.5], centres: [3, -1, 0.25])
        let theta0: [Double] = [0, 0.5, 2]
        let path = try trajectory(Adam(epsilon: Float(eps)), on: quadratic, from: theta0.map(Float.init), steps: 3, learningRate: Float(lr))
        // Written out step by step with β1 = 0.9, β2 = 0.999:
        //   t = 1: 1 − β1 = 0.1,   1 − β2 = 0.001
        //   t = 2: 1 − β1² = 0.19,  1 − β2² = 0.001999
        //   t = 3: 1 − β1³ = 0.271, 1 − β2³ = 0.002997001
        var expected: [[Double]] = [[], [], []]
        for i in 0..<3 {
            let a = quadratic.curvatures[i], c = quadratic.centres[i]
            let g1 = a * (theta0[i] - c)
            let m1 = 0.1 * g1, v1 = 0.001 * g1 * g1
            let theta1 = theta0[i] - lr * (m1 / 0.1) / ((v1 / 0.001).squareRoot() + eps)
            let g2 = a * (theta1 - c)
            let m2 = 0.9 * m1 + 0.1 * g2, v2 = 0.999 * v1 + 0.001 * g2 * g2
            let theta2 = theta1 - lr * (m2 / 0.19) / ((v2 / 0.001999).squareRoot() + eps)
            let g3 = a * (theta2 - c)
            let m3 = 0.9 * m2 + 0.1 * g3, v3 = 0.999 * v2 + 0.001 * g3 * g3
            let theta3 = theta2 - lr * (m3 / 0.271) / ((v3 / 0.002997001).squareRoot() + eps)
            expected[0].append(theta1)
            expected[1].append(theta2)
            expected[2].append(theta3)
        }
        if eps < 1e-6 {
            // Step 1 moves every coordinate by lr·sign(g) (up to ε).
            #expect(abs(expected[0][0] - 0.1) < 1e-7 && abs(expected[0][1] - 0.4) < 1e-7 && abs(expected[0][2] - 1.9) < 1e-7)
        }
        for t in 0..<3 {
            #expect(Support.maximumRelativeError(path[t], expected[t]) < 2e-6, "step \(t + 1): \(path[t]) vs \(expected[t])")
        }
    }

    @Test("Adam converges to the minimum of an ill-conditioned quadratic")
    func convergesOnQuadratic() throws {
        let curvatures: [Double] = [0.5, 1, 2, 4, 8, 16, 0.25, 3]
        let centres: [Double] = [1, -2, 0.5, 3, -0.75, 0.1, 2.5, -1.5]
        let quadratic = Support.Quadratic(curvatures: curvatures, centres: centres)
        let store = try Support.store(values: Array(repeating: 0, count: 8))
        let optimizer = try Adam()
        let schedule = try InverseSquareRootDecay(learningRate: 0.05, referenceSteps: 500)
        let initialLoss = quadratic.value(at: Support.values(of: store))
        for _ in 0..<4000 {
            quadratic.writeGradient(into: store)
            try optimizer.step(store, learningRate: schedule.learningRate(at: optimizer.stepCount))
        }
        let theta = Support.values(of: store)
        let finalLoss = quadratic.value(at: theta)
        #expect(finalLoss < initialLoss * 1e-6, "loss \(initialLoss) → \(finalLoss)")
        for i in 0..<8 { #expect(abs(theta[i] - centres[i]) < 1e-3, "θ[\(i)] = \(theta[i]), c = \(centres[i])") }
    }

    @Test("a restored optimizer continues bit for bit like the uninterrupted one")
    func restoreResumesExactly() throws {
        let uninterrupted = try Support.mixedStore(), resumed = try Support.mixedStore()
        let first = try Adam(weightDecay: 0.1)
        for step in 0..<3 {
            Support.writeSyntheticGradients(into: uninterrupted, step: step)
            try first.step(uninterrupted, learningRate: 0.01)
        }
        try resumed.loadValues(uninterrupted.snapshotValues())
        let second = try Adam(weightDecay: 0.1)
        try second.restore(stepCount: first.stepCount, slots: first.snapshotSlots(), for: resumed)
        #expect(second.stepCount == 3)
        for step in 3..<6 {
            Support.writeSyntheticGradients(into: uninterrupted, step: step)
            Support.writeSyntheticGradients(into: resumed, step: step)
            try first.step(uninterrupted, learningRate: 0.01)
            try second.step(resumed, learningRate: 0.01)
        }
        #expect(uninterrupted.snapshotValues() == resumed.snapshotValues())
        #expect(first.snapshotSlots() == second.snapshotSlots())
    }

    @Test("restoring with a missing, unknown or misshapen slot throws")
    func restoreValidates() throws {
        let store = try Support.mixedStore()
        let optimizer = try Adam()
        let good = Array(repeating: Float(0), count: store.count)
        #expect(throws: TensorError.self) { try optimizer.restore(stepCount: 1, slots: ["m": good], for: store) }
        #expect(throws: TensorError.self) { try optimizer.restore(stepCount: 1, slots: ["m": good, "v": good, "w": good], for: store) }
        #expect(throws: TensorError.self) { try optimizer.restore(stepCount: 1, slots: ["m": good, "v": [1, 2]], for: store) }
        #expect(throws: TensorError.self) { try optimizer.restore(stepCount: -1, slots: ["m": good, "v": good], for: store) }
        try optimizer.restore(stepCount: 7, slots: ["m": good, "v": good], for: store)
        #expect(optimizer.stepCount == 7)
    }

    @Test("slots are named per checkpoint layout and sliced per entry")
    func slotsAreNamed() throws {
        let store = try Support.mixedStore()
        let optimizer = try Adam()
        #expect(optimizer.kind == "adam")
        #expect(optimizer.slotNames == ["m", "v"])
        #expect(optimizer.slot(named: "m") == nil)  // no state before the first step
        Support.writeSyntheticGradients(into: store, step: 0)
        try optimizer.step(store, learningRate: 0.01)
        #expect(Set(optimizer.slots.keys) == ["m", "v"])
        let bias = try #require(store.entry(named: "layer0.bias"))
        let m = try #require(optimizer.slot(named: "m", for: bias))
        #expect(m.count == 4)
        // After one step m = (1 − β1)·g.
        for i in 0..<4 {
            let g = store.gradients[bias.offset + i]
            #expect(abs(m[i] - 0.1 * g) <= 1e-6 * abs(g), "m[\(i)] = \(m[i]), g = \(g)")
        }
    }

    @Test("an optimizer used on a second store throws instead of mixing state")
    func bindsToOneStore() throws {
        let optimizer = try Adam()
        let a = try Support.mixedStore(), b = try Support.mixedStore()
        try optimizer.step(a, learningRate: 0.01)
        #expect(throws: TensorError.self) { try optimizer.step(b, learningRate: 0.01) }
        optimizer.reset()
        #expect(optimizer.stepCount == 0)
        try optimizer.step(b, learningRate: 0.01)
    }

    @Test("parameters registered after the first step join with zero state; old state is kept")
    func storeGrowth() throws {
        let store = try Support.store(values: [1, 2])
        let optimizer = try Adam()
        store.gradients[0] = 1
        store.gradients[1] = -1
        try optimizer.step(store, learningRate: 0.1)
        let mBefore = Array(try #require(optimizer.slot(named: "m")))
        try store.register(name: "late", shape: [3], initializer: .ones)
        store.zeroGradients()
        for i in 0..<store.count { store.gradients[i] = 0.5 }
        try optimizer.step(store, learningRate: 0.1)
        let m = try #require(optimizer.slot(named: "m"))
        #expect(m.count == 5)
        #expect(abs(m[0] - (0.9 * mBefore[0] + 0.05)) < 1e-7)
        #expect(abs(m[2] - 0.05) < 1e-7)  // new entry: m = (1 − β1)·g from zero
        #expect(store.values[2] != 1)
    }

    @Test("a negative or non-finite learning rate is rejected")
    func rejectsBadLearningRate() throws {
        let store = try Support.mixedStore()
        let optimizer = try Adam()
        #expect(Support.throwsInvalidArgument { try optimizer.step(store, learningRate: -1) })
        #expect(Support.throwsInvalidArgument { try optimizer.step(store, learningRate: .nan) })
        #expect(optimizer.stepCount == 0)
        #expect(Support.throwsInvalidArgument { _ = try Adam(beta1: 1) })
        #expect(Support.throwsInvalidArgument { _ = try Adam(epsilon: -1) })
    }
}

@Suite("RAdam")
struct RAdamTests {
    /// torch.optim.RAdam written out plainly in Double, for one coordinate vector.
    private struct ReferenceRAdam {
        let beta1: Double, beta2: Double, epsilon: Double
        var m: [Double], v: [Double], t = 0

        init(beta1: Double, beta2: Double, epsilon: Double, count: Int) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            m = Array(repeating: 0, count: count)
            v = Array(repeating: 0, count: count)
        }

        /// Returns the new θ and whether the step was rectified.
        mutating func step(_ theta: [Double], gradient: [Double], learningRate lr: Double) -> ([Double], Bool) {
            t += 1
            let rhoInfinity = 2 / (1 - beta2) - 1
            let rho = rhoInfinity - 2 * Double(t) * pow(beta2, Double(t)) / (1 - pow(beta2, Double(t)))
            var next = theta
            for i in theta.indices {
                m[i] = beta1 * m[i] + (1 - beta1) * gradient[i]
                v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i]
                let mHat = m[i] / (1 - pow(beta1, Double(t)))
                if rho > 5 {
                    let r = sqrt((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho))
                    let adaptive = sqrt(1 - pow(beta2, Double(t))) / (sqrt(v[i]) + epsilon)
                    next[i] = theta[i] - lr * mHat * r * adaptive
                } else {
                    next[i] = theta[i] - lr * mHat
                }
            }
            return (next, rho > 5)
        }
    }

    @Test("matches a plain Double re-implementation through both regimes (β2 = 0.9: ρt ≤ 5 for t ≤ 5, > 5 after)")
    func matchesReferenceInBothRegimes() throws {
        let quadratic = Support.Quadratic(curvatures: [1, 2, 0.5, 4], centres: [3, -1, 0.25, 0.5])
        let start: [Double] = [0, 0.5, 2, -1]
        let store = try Support.store(values: start.map(Float.init))
        // ε = 0.05 is comparable to √v here, so adding it to √v (PyTorch) rather than to √v̂ matters.
        let optimizer = try RAdam(beta2: 0.9, epsilon: 0.05)
        #expect(optimizer.kind == "radam")
        #expect(abs(optimizer.rhoInfinity - 19) < 1e-5)
        var reference = ReferenceRAdam(beta1: 0.9, beta2: Double(Float(0.9)), epsilon: Double(Float(0.05)), count: 4)
        var theta = start
        var regimes: [Bool] = []
        for t in 1...9 {
            quadratic.writeGradient(into: store)
            // The reference sees the same gradient the optimizer sees (Float-rounded at Float θ).
            let gradient = store.snapshotGradients().map(Double.init)
            try optimizer.step(store, learningRate: 0.05)
            let (next, rectified) = reference.step(theta, gradient: gradient, learningRate: 0.05)
            theta = Support.values(of: store)
            #expect(optimizer.isRectified == rectified, "step \(t)")
            #expect(Support.maximumRelativeError(theta, next) < 2e-6, "step \(t): \(theta) vs \(next)")
            regimes.append(rectified)
        }
        #expect(regimes == [false, false, false, false, false, true, true, true, true])
    }

    @Test("with β2 = 0.999 the first five steps are un-adapted momentum steps")
    func defaultWarmsUpWithMomentum() throws {
        let store = try Support.store(values: [0, 0])
        let optimizer = try RAdam()
        for t in 1...6 {
            handQuadratic.writeGradient(into: store)
            try optimizer.step(store, learningRate: 1e-4)
            #expect(optimizer.isRectified == (t == 6), "step \(t): ρt = \(optimizer.rho)")
        }
    }
}

@Suite("Optimizer protocol")
struct OptimizerProtocolTests {
    private static func makeOptimizers() throws -> [(String, () throws -> any Optimizer)] {
        [
            ("sgd", { try SGD(momentum: 0.9, weightDecay: 0.1) }),
            ("sgd-nesterov-coupled", { try SGD(momentum: 0.8, nesterov: true, weightDecay: 0.05, weightDecayStyle: .coupled) }),
            ("adam", { try Adam(weightDecay: 0.1) }),
            ("adam-coupled", { try Adam(weightDecay: 0.01, weightDecayStyle: .coupled) }),
            ("radam", { try RAdam(beta2: 0.9, weightDecay: 0.1) }),
            ("radam-coupled", { try RAdam(beta2: 0.9, weightDecay: 0.01, weightDecayStyle: .coupled) }),
        ]
    }

    @Test("beginStep + update over disjoint ranges in any order equals one step, bit for bit")
    func perRangeUpdatesEqualStep() throws {
        for (name, make) in try Self.makeOptimizers() {
            let whole = try Support.mixedStore(), pieces = try Support.mixedStore()
            let a = try make(), b = try make()
            // Ranges: per entry in reverse order, with the first weight split in an odd place and one
            // range straddling two entries (layer1.weight's tail + layer1.bias).
            let count = whole.count
            let layer1 = try #require(whole.entry(named: "layer1.weight"))
            let ranges: [Range<Int>] = [
                (layer1.offset + 5)..<count, layer1.offset..<(layer1.offset + 5),
                16..<layer1.offset, 12..<16, 7..<12, 0..<7,
            ]
            #expect(ranges.reduce(0) { $0 + $1.count } == count)
            for step in 0..<9 {
                Support.writeSyntheticGradients(into: whole, step: step)
                Support.writeSyntheticGradients(into: pieces, step: step)
                let lr: Float = 0.01 * Float(step + 1)
                try a.step(whole, learningRate: lr)
                try b.beginStep(pieces)
                for range in ranges { b.update(pieces, range: range, learningRate: lr) }
            }
            #expect(whole.snapshotValues() == pieces.snapshotValues(), "\(name)")
            #expect(a.snapshotSlots() == b.snapshotSlots(), "\(name)")
            #expect(a.stepCount == 9 && b.stepCount == 9)
        }
    }

    @Test("frozen entries never change, even with non-zero gradients")
    func frozenEntriesStay() throws {
        for (name, make) in try Self.makeOptimizers() {
            let store = try Support.mixedStore()
            let frozen = try #require(store.entry(named: "features"))
            let before = Array(store.values(of: frozen.handle))
            let optimizer = try make()
            for step in 0..<7 {
                Support.writeSyntheticGradients(into: store, step: step)
                try optimizer.step(store, learningRate: 0.1)
            }
            #expect(Array(store.values(of: frozen.handle)) == before, "\(name)")
            for slot in optimizer.slotNames {
                let state = try #require(optimizer.slot(named: slot, for: frozen))
                #expect(state.allSatisfy { $0 == 0 }, "\(name) slot \(slot)")
            }
        }
    }

    @Test("decoupled weight decay scales decaying entries by (1 − lr·λ) and leaves the others alone")
    func decoupledDecayOnlyOnDecayingEntries() throws {
        let optimizers: [any Optimizer] = [try SGD(weightDecay: 0.5), try SGD(momentum: 0.9, weightDecay: 0.5),
                                           try Adam(weightDecay: 0.5), try RAdam(weightDecay: 0.5)]
        for optimizer in optimizers {
            let store = try Support.mixedStore()
            let before = store.snapshotValues()
            store.zeroGradients()
            try optimizer.step(store, learningRate: 0.1)
            let keep: Float = 1 - 0.1 * 0.5
            for entry in store.entries {
                for i in entry.offset..<(entry.offset + entry.count) {
                    let expected = entry.decays && entry.trainable ? before[i] * keep : before[i]
                    #expect(store.values[i] == expected, "\(optimizer.kind) \(entry.name)[\(i - entry.offset)]")
                }
            }
        }
    }

    @Test("coupled (L2) decay adds λ·θ to the gradient of decaying entries only")
    func coupledDecayOnlyOnDecayingEntries() throws {
        let store = try Support.mixedStore()
        let before = store.snapshotValues()
        store.zeroGradients()
        try SGD(weightDecay: 0.5, weightDecayStyle: .coupled).step(store, learningRate: 0.1)
        for entry in store.entries {
            for i in entry.offset..<(entry.offset + entry.count) {
                let expected = entry.decays && entry.trainable ? before[i] - 0.1 * (0.5 * before[i]) : before[i]
                #expect(abs(store.values[i] - expected) <= 1e-7 * max(1, abs(expected)), "\(entry.name)")
            }
        }
        #expect(store.snapshotGradients().allSatisfy { $0 == 0 })  // the store's gradients are not modified
    }

    @Test("a step allocates nothing after the first one")
    func stepsDoNotAllocate() throws {
        for (name, make) in try Self.makeOptimizers() {
            let store = try Support.mixedStore()
            let optimizer = try make()
            Support.writeSyntheticGradients(into: store, step: 0)
            try optimizer.step(store, learningRate: 0.01)
            let allocations = try Support.allocations {
                for _ in 0..<10 {
                    try optimizer.step(store, learningRate: 0.01)
                    try optimizer.beginStep(store)
                    optimizer.update(store, range: 0..<10, learningRate: 0.01)
                    optimizer.update(store, range: 10..<store.count, learningRate: 0.01)
                }
            }
            try #require(allocations != nil, "the allocation counter is not interposed in the test binary")
            #expect(allocations == 0, "\(name)")
        }
    }
}
