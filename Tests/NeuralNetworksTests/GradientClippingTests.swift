import NeuralNetworks
import Tensors
import Testing

private typealias Support = OptimizerTestSupport

@Suite("Gradient clipping")
struct GradientClippingTests {
    @Test("a gradient above maxNorm is scaled to norm exactly maxNorm; the pre-clip norm is returned")
    func clipsToMaxNorm() throws {
        let store = try Support.mixedStore()
        Support.writeSyntheticGradients(into: store, step: 0)
        let before = store.snapshotGradients().map(Double.init)
        let expectedNorm = before.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let norm = try clipGradientNorm(store, maxNorm: 0.5)
        #expect(abs(norm - expectedNorm) <= 1e-6 * expectedNorm)
        #expect(abs(store.gradientNorm() - 0.5) <= 1e-6)
        // The direction is kept.
        let after = store.snapshotGradients().map(Double.init)
        for i in before.indices { #expect(abs(after[i] - before[i] * 0.5 / expectedNorm) <= 1e-6) }
    }

    @Test("a (3, 4) gradient clipped to 1 becomes (0.6, 0.8)")
    func clipsHandExample() throws {
        let store = try Support.store(values: [0, 0])
        store.gradients[0] = 3
        store.gradients[1] = 4
        #expect(try clipGradientNorm(store, maxNorm: 1) == 5)
        #expect(abs(store.gradients[0] - 0.6) < 1e-7 && abs(store.gradients[1] - 0.8) < 1e-7)
    }

    @Test("a gradient below maxNorm is left untouched")
    func leavesSmallGradients() throws {
        let store = try Support.store(values: [0, 0])
        store.gradients[0] = 0.3
        store.gradients[1] = -0.4
        #expect(abs(try clipGradientNorm(store, maxNorm: 1) - 0.5) < 1e-7)
        #expect(store.gradients[0] == 0.3 && store.gradients[1] == -0.4)
    }

    @Test("a non-finite gradient is reported and not scaled; maxNorm must be positive")
    func nonFiniteAndValidation() throws {
        let store = try Support.store(values: [0, 0])
        store.gradients[0] = .infinity
        store.gradients[1] = 1
        #expect(!(try clipGradientNorm(store, maxNorm: 1)).isFinite)
        #expect(store.gradients[1] == 1)
        #expect(Support.throwsInvalidArgument { try clipGradientNorm(store, maxNorm: 0) })
        #expect(Support.throwsInvalidArgument { try clipGradientNorm(store, maxNorm: .nan) })
    }

    /// The exploding-gradient case clipping exists for: finite entries whose Float squares overflow
    /// used to give ‖g‖ = ∞, and the step went through unclipped.
    @Test("finite gradients beyond Float's squared range are clipped to maxNorm")
    func hugeFiniteGradientIsClipped() throws {
        let store = try Support.store(values: [0, 0])
        store.gradients[0] = 3e19
        store.gradients[1] = 4e19
        let norm = try clipGradientNorm(store, maxNorm: 1)
        #expect(abs(norm - 5e19) <= 1e-6 * 5e19)
        #expect(abs(store.gradients[0] - 0.6) < 1e-6 && abs(store.gradients[1] - 0.8) < 1e-6)
    }
}
