import Agents
import Foundation
import PropertyBased
import Tensors
import Testing

/// Shared helpers of the loss tests.
enum LossTestSupport {
    /// Every metric with a constant in general position.
    static let metrics: [TDErrorMetric] = [
        .squaredL2, .l1, .meanSquared, .pseudoHuber(c: 0.7), .pseudoHuber(c: 0), .pseudoHuberElementwise(c: 0.3), .cauchy(c: 0.5),
    ]

    /// Values drawn from N(0, scale²), rounded to Float so that the Float and Double paths see the same input.
    static func vector(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var stream = RandomStream(seed: seed, purpose: "loss-test")
        return (0..<count).map { _ in Double(Float(scale * stream.nextNormal())) }
    }

    /// The Float kernel on `delta` (rounded to Float): (loss, gradient) in Double.
    static func floatLossAndGradient(_ metric: TDErrorMetric, _ delta: [Double], gradientScale: Float = 1) -> (loss: Double, gradient: [Double]) {
        let input = delta.map { Float($0) }
        var gradient = [Float](repeating: .nan, count: delta.count)
        let loss = input.withUnsafeBufferPointer { x in
            gradient.withUnsafeMutableBufferPointer { g in
                metric.lossAndGradient(x.baseAddress!, dimension: delta.count, gradient: g.baseAddress!, gradientScale: gradientScale)
            }
        }
        return (loss, gradient.map { Double($0) })
    }

    /// Central differences (f(x + h eᵢ) − f(x − h eᵢ)) / 2h with h = step·max(1, |xᵢ|), in Double.
    static func finiteDifferenceGradient(at x: [Double], step: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
        x.indices.map { i in
            let h = step * max(1, abs(x[i]))
            var plus = x, minus = x
            plus[i] += h
            minus[i] -= h
            return (f(plus) - f(minus)) / (plus[i] - minus[i])
        }
    }

    /// ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂, tiny).
    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let difference = zip(a, b).reduce(0.0) { sum, pair in sum + (pair.0 - pair.1) * (pair.0 - pair.1) }.squareRoot()
        let scale = max(a.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), b.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
        return difference / scale
    }
}

@Suite("TD-error metrics: values, gradients, limits and names")
struct LossMetricTests {
    typealias Support = LossTestSupport

    @Test("each metric has its hand-computed value and gradient on Δ = (3, −4, 0), in Double and in Float")
    func handComputedValues() {
        let delta: [Double] = [3, -4, 0]
        let cases: [(TDErrorMetric, Double, [Double])] = [
            (.squaredL2, 25, [6, -8, 0]),
            (.l1, 7, [1, -1, 0]),
            (.meanSquared, 25.0 / 3, [2, -8.0 / 3, 0]),
            (.pseudoHuber(c: 12), 1, [3.0 / 13, -4.0 / 13, 0]),                       // √(25 + 144) − 12
            (.pseudoHuber(c: 0), 5, [0.6, -0.8, 0]),                                  // ECT CIFAR-10: ‖Δ‖
            (.pseudoHuberElementwise(c: 4), 4 * Foundation.sqrt(2.0) - 3, [0.6, -1 / Foundation.sqrt(2.0), 0]),  // (5 − 4) + (√32 − 4)
            (.cauchy(c: 2.5), Foundation.log(3), [6 / 37.5, -8 / 37.5, 0]),           // log(1 + 25 / 12.5), 2Δ / (12.5 + 25)
        ]
        for (metric, value, gradient) in cases {
            let exact = metric.lossAndGradient(delta)
            #expect(abs(exact.loss - value) <= 1e-14 * max(1, value), "\(metric)")
            #expect(Support.relativeError(exact.gradient, gradient) <= 1e-14, "\(metric)")
            let float = Support.floatLossAndGradient(metric, delta)
            #expect(abs(float.loss - value) <= 1e-6 * max(1, value), "\(metric)")
            #expect(Support.relativeError(float.gradient, gradient) <= 1e-6, "\(metric)")
        }
    }

    @Test("every metric's Double gradient matches central finite differences", arguments: LossTestSupport.metrics)
    func doubleGradientMatchesFiniteDifferences(metric: TDErrorMetric) {
        for (dimension, seed) in [(1, 1), (2, 2), (7, 3), (40, 4)] as [(Int, UInt64)] {
            // Keep |Δ_j| away from 0, where L1 and the c = 0 forms have a kink.
            let delta = Support.vector(dimension, seed: seed).map { $0 + ($0 >= 0 ? 0.05 : -0.05) }
            let analytic = metric.lossAndGradient(delta).gradient
            let numeric = Support.finiteDifferenceGradient(at: delta) { metric.loss($0) }
            #expect(Support.relativeError(analytic, numeric) < 1e-6, "\(metric), D = \(dimension)")
        }
    }

    @Test("the Float kernel agrees with the Double ground truth, including rows longer than one reduction run",
          arguments: LossTestSupport.metrics)
    func floatAgreesWithDouble(metric: TDErrorMetric) {
        for (dimension, seed) in [(1, 5), (5, 6), (16, 7), (37, 8), (2051, 9)] as [(Int, UInt64)] {
            let delta = Support.vector(dimension, seed: seed, scale: 0.8)
            let exact = metric.lossAndGradient(delta), float = Support.floatLossAndGradient(metric, delta)
            #expect(abs(float.loss - exact.loss) <= 2e-6 * abs(exact.loss), "\(metric), D = \(dimension)")
            #expect(Support.relativeError(float.gradient, exact.gradient) <= 2e-6, "\(metric), D = \(dimension)")
        }
    }

    @Test("random vectors: Float kernel and Double ground truth agree for every metric")
    func floatAgreesWithDoubleOnRandomVectors() async {
        await propertyCheck(count: 80, input: Gen.double(in: -3...3).array(of: 1...70), Gen.int(in: 0...6)) { values, which in
            let metric = LossTestSupport.metrics[which]
            let delta = values.map { Double(Float($0)) }
            let exact = metric.lossAndGradient(delta), float = LossTestSupport.floatLossAndGradient(metric, delta)
            #expect(abs(float.loss - exact.loss) <= 2e-6 * abs(exact.loss) + 1e-30)
            #expect(LossTestSupport.relativeError(float.gradient, exact.gradient) <= 2e-6)
        }
    }

    @Test("the Float kernel works in place (gradient buffer = Δ) and gradientScale scales the gradient only",
          arguments: LossTestSupport.metrics)
    func inPlaceAndScaled(metric: TDErrorMetric) {
        let delta = Support.vector(45, seed: 10)
        let reference = Support.floatLossAndGradient(metric, delta)
        var buffer = delta.map { Float($0) }
        let loss = buffer.withUnsafeMutableBufferPointer { b in
            metric.lossAndGradient(b.baseAddress!, dimension: 45, gradient: b.baseAddress!, gradientScale: 0.25)
        }
        #expect(loss == reference.loss)
        for (scaled, unscaled) in zip(buffer, reference.gradient) { #expect(abs(Double(scaled) - 0.25 * unscaled) <= 1e-7 * (1 + abs(unscaled))) }
    }

    @Test("pseudo-Huber with c = 0 is the Euclidean norm ‖Δ‖ and has gradient 0 at Δ = 0; its element-wise form is L1")
    func pseudoHuberWithoutConstant() {
        let delta = Support.vector(9, seed: 11)
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(TDErrorMetric.pseudoHuber(c: 0).loss(delta) - norm) <= 1e-15 * norm)
        #expect(abs(TDErrorMetric.pseudoHuberElementwise(c: 0).loss(delta) - TDErrorMetric.l1.loss(delta)) <= 1e-14)
        for metric in [TDErrorMetric.pseudoHuber(c: 0), .pseudoHuberElementwise(c: 0)] {
            let zero = [Double](repeating: 0, count: 20)
            let exact = metric.lossAndGradient(zero), float = Support.floatLossAndGradient(metric, zero)
            #expect(exact.loss == 0 && exact.gradient.allSatisfy { $0 == 0 })
            #expect(float.loss == 0 && float.gradient.allSatisfy { $0 == 0 })
        }
    }

    @Test("pseudo-Huber tends to ½‖Δ‖²/c when ‖Δ‖ ≪ c: m / (‖Δ‖²/2c) = 1 − u/4 + O(u²), u = ‖Δ‖²/c²")
    func pseudoHuberQuadraticLimit() {
        let c = 0.03, direction = Support.vector(12, seed: 12)
        let directionSquares = direction.reduce(0) { $0 + $1 * $1 }
        var previousGap = Double.infinity
        for exponent in 1...6 {
            let scale = c * Foundation.pow(10, -Double(exponent)) / directionSquares.squareRoot()
            let delta = direction.map { $0 * scale }
            let s = delta.reduce(0) { $0 + $1 * $1 }, u = s / (c * c)
            let quadratic = s / (2 * c)
            let ratio = TDErrorMetric.pseudoHuber(c: c).loss(delta) / quadratic
            #expect(abs(ratio - (1 - u / 4)) <= u * u / 8 + 1e-15, "u = \(u)")
            #expect(abs(ratio - 1) < previousGap)
            previousGap = abs(ratio - 1)
            // The Float kernel keeps full relative accuracy here (a naive √(S + c²) − c would cancel to 0).
            let float = Support.floatLossAndGradient(.pseudoHuber(c: c), delta)
            #expect(abs(float.loss / quadratic - ratio) < 1e-5, "u = \(u)")
        }
    }

    @Test("Cauchy's gradient matches finite differences and its norm never exceeds 1/(√2 c), reached at ‖Δ‖ = √2 c")
    func cauchyGradient() async {
        let c = 0.2
        for scale in [0.01, 0.1, 1.0, 10.0] {
            let delta = Support.vector(6, seed: 13, scale: scale)
            let analytic = TDErrorMetric.cauchy(c: c).lossAndGradient(delta).gradient
            let numeric = Support.finiteDifferenceGradient(at: delta, step: 1e-6) { TDErrorMetric.cauchy(c: c).loss($0) }
            #expect(Support.relativeError(analytic, numeric) < 1e-6, "scale \(scale)")
        }
        let bound = 1 / (Foundation.sqrt(2.0) * c)
        await propertyCheck(count: 100, input: Gen.double(in: -2...2).array(of: 1...8)) { delta in
            let gradient = TDErrorMetric.cauchy(c: c).lossAndGradient(delta).gradient
            #expect(gradient.reduce(0) { $0 + $1 * $1 }.squareRoot() <= bound * (1 + 1e-12))
        }
        let peak = TDErrorMetric.cauchy(c: c).lossAndGradient([Foundation.sqrt(2.0) * c, 0]).gradient
        #expect(abs(peak[0] - bound) <= 1e-12 * bound)
    }

    @Test("iCT's pseudo-Huber constant is 0.00054·√D")
    func improvedConsistencyConstant() {
        #expect(abs(TDErrorMetric.improvedConsistencyHuberConstant(dimension: 3072) - 0.0299298379547902) < 1e-15)
        #expect(abs(TDErrorMetric.improvedConsistencyHuberConstant(dimension: 4) - 0.00108) < 1e-17)
    }

    @Test("named lookup round-trips every metric and rejects unknown names, listing every valid one")
    func namedLookup() throws {
        for metric in Support.metrics {
            #expect(try TDErrorMetric.named(metric.name, c: metric.constant) == metric)
        }
        #expect(Set(Support.metrics.map { $0.name }) == Set(TDErrorMetric.names))
        do {
            _ = try TDErrorMetric.named("huber", c: 0.1)
            Issue.record("an unknown name was accepted")
        } catch {
            #expect(error == .unknownMetric("huber", valid: TDErrorMetric.names))
            for name in TDErrorMetric.names { #expect(error.description.contains("\"\(name)\"")) }
        }
    }

    @Test("invalid constants are rejected with a message naming the metric, its c and what is expected")
    func invalidConstants() {
        let invalid: [TDErrorMetric] = [.pseudoHuber(c: -0.1), .pseudoHuber(c: .nan), .pseudoHuberElementwise(c: .infinity),
                                        .cauchy(c: 0), .cauchy(c: -1)]
        for metric in invalid {
            #expect { try metric.validate() } throws: { error in
                let message = (error as? LossSettingError)?.description ?? ""
                return message.contains(metric.name) && message.contains("expected")
            }
        }
        for metric in Support.metrics { #expect(throws: Never.self) { try metric.validate() } }
        #expect { try TDErrorMetric.named("cauchy") } throws: { error in "\(error)".contains("missing") }
        #expect { try TDErrorMetric.named("l1", c: 0.5) } throws: { error in "\(error)".contains("no constant") }
        #expect { try TDErrorMetric.named("pseudo-huber", c: -1) } throws: { error in "\(error)".contains("c ≥ 0") }
    }
}
