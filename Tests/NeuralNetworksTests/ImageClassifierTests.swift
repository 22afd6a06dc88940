import Foundation
import NeuralNetworks
import Tensors
import Testing

/// Global average pooling, softmax cross-entropy and the convolutional image classifier: exact forward
/// oracles and finite-difference gradients.
@Suite("Image classifier: pooling, cross-entropy, network gradients")
struct ImageClassifierTests {
    /// A small classifier for gradient checks: 2×6×5 images, 3 classes, stages [4, 6], 5 features.
    static let small = ImageClassifierConfiguration(imageChannels: 2, height: 6, width: 5, classCount: 3, stageChannels: [4, 6],
                                                    featureCount: 5, groups: 2)

    @Test("global average pooling equals the per-channel mean and its backward spreads dy/P")
    func poolingMatchesDefinition() throws {
        let pool = GlobalAveragePool()
        let input = try LayerTestSupport.randomTensor([3, 4, 5, 2], seed: 1)
        let output = try pool(input)
        #expect(output.shape == [3, 4])
        for b in 0..<3 {
            for c in 0..<4 {
                var total = 0.0
                for p in 0..<10 { total += Double(input.data[(b * 4 + c) * 10 + p]) }
                #expect(abs(Double(output[b, c]) - total / 10) < 1e-6)
            }
        }
        let reports = try LayerTestSupport.gradientReports(of: pool, store: nil, input: input)
        #expect(reports.input.relativeError < 1e-3, "\(reports.input)")
        // Backward over the leading 2 rows only.
        _ = try pool(input)
        let partial = try pool.backward(try LayerTestSupport.leadingRows(try ProbeLoss(shape: [3, 4], seed: 2).gradient, 2))
        #expect(partial.shape == [2, 4, 5, 2])
        #expect(throws: TensorError.self) { try pool(try Tensor(zeros: [3, 4])) }
    }

    @Test("cross-entropy equals log Σ exp z − z_y averaged over rows, and stays finite for logits of 10⁴")
    func crossEntropyMatchesDefinition() throws {
        let logits = try Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 0.5])
        let loss = try SoftmaxCrossEntropy.loss(logits: logits, labels: [2, 0])
        let expected = ((log(exp(1.0) + exp(2.0) + exp(3.0)) - 3) + (log(exp(-1.0) + exp(0.0) + exp(0.5)) + 1)) / 2
        #expect(abs(loss - expected) < 1e-6)
        // Shifting every logit of a row by the same constant leaves the loss unchanged; no overflow.
        let shifted = try Tensor(shape: [2, 3], values: [10001, 10002, 10003, -10001, -10000, -9999.5])
        let gradient = try Tensor(zeros: [0])
        let shiftedLoss = try SoftmaxCrossEntropy.loss(logits: shifted, labels: [2, 0], gradient: gradient)
        #expect(abs(shiftedLoss - expected) < 1e-3)
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
        // Each gradient row sums to 0 (softmax sums to 1, the one-hot to 1).
        for row in 0..<2 { #expect(abs((0..<3).map { gradient[row, $0] }.reduce(0, +)) < 1e-6) }
    }

    @Test("the cross-entropy gradient matches finite differences")
    func crossEntropyGradientMatchesFiniteDifferences() throws {
        let logits = try LayerTestSupport.randomTensor([4, 5], seed: 3, scale: 2)
        let labels: [Int32] = [0, 4, 2, 2]
        let gradient = try Tensor(zeros: [0])
        _ = try SoftmaxCrossEntropy.loss(logits: logits, labels: labels, gradient: gradient)
        let report = try GradientChecker.checkInput(logits, analyticGradient: gradient.copy(), step: 1e-2) {
            try SoftmaxCrossEntropy.loss(logits: logits, labels: labels)
        }
        #expect(report.relativeError < 1e-3, "\(report)")
    }

    @Test("cross-entropy rejects a label outside 0..<K and a label count other than B, naming them")
    func crossEntropyRejectsBadLabels() throws {
        let logits = try Tensor(zeros: [2, 3])
        do {
            _ = try SoftmaxCrossEntropy.loss(logits: logits, labels: [0, 3])
            Issue.record("a label of 3 with 3 classes must fail")
        } catch {
            #expect("\(error)".contains("label 3 at row 1"))
            #expect("\(error)".contains("0…2"))
        }
        #expect(throws: TensorError.self) { try SoftmaxCrossEntropy.loss(logits: logits, labels: [0]) }
    }

    @Test("the classifier's parameter and input gradients of the cross-entropy match finite differences")
    func classifierGradientsMatchFiniteDifferences() throws {
        let classifier = try ImageClassifier(Self.small, seed: 4)
        LayerTestSupport.randomizeParameters(classifier.store, seed: 5, scale: 0.4)
        classifier.computesInputGradient = true
        let images = try LayerTestSupport.randomTensor([3, 2, 6, 5], seed: 6)
        let labels: [Int32] = [2, 0, 1]
        let gradient = try Tensor(zeros: [0])
        let loss = { () throws -> Double in try SoftmaxCrossEntropy.loss(logits: classifier.logits(images), labels: labels) }
        let parameters = try GradientChecker.checkParameters(of: classifier.store, maximumPerParameter: 24, loss: loss) {
            _ = try SoftmaxCrossEntropy.loss(logits: classifier.logits(images), labels: labels, gradient: gradient)
            _ = try classifier.backward(logitsGradient: gradient)
        }
        #expect(parameters.relativeError < 5e-3, "\(parameters)")
        _ = try SoftmaxCrossEntropy.loss(logits: classifier.logits(images), labels: labels, gradient: gradient)
        let inputGradient = try classifier.backward(logitsGradient: gradient).copy()
        #expect(inputGradient.shape == images.shape)
        let input = try GradientChecker.checkInput(images, analyticGradient: inputGradient, maximumCount: 96, loss: loss)
        #expect(input.relativeError < 5e-3, "\(input)")
    }

    @Test("the penultimate features' gradient (through backward(featureGradient:)) matches finite differences")
    func featureGradientsMatchFiniteDifferences() throws {
        let classifier = try ImageClassifier(Self.small, seed: 7)
        LayerTestSupport.randomizeParameters(classifier.store, seed: 8, scale: 0.4)
        let images = try LayerTestSupport.randomTensor([2, 2 * 6 * 5], seed: 9)  // flat rows
        let features = try classifier.features(images)
        #expect(features.shape == [2, 5])
        let probe = try ProbeLoss(shape: [2, 5], seed: 10)
        let report = try GradientChecker.checkParameters(
            of: classifier.store, maximumPerParameter: 24, loss: { try probe.value(of: classifier.features(images)) },
            accumulateGradient: {
                _ = try classifier.features(images)
                _ = try classifier.backward(featureGradient: probe.gradient)
            })
        #expect(report.relativeError < 5e-3, "\(report)")
    }

    @Test("flat [B, C·H·W] and image [B, C, H, W] inputs give bit-identical logits; features feed the head")
    func flatAndImageInputsAgree() throws {
        let classifier = try ImageClassifier(Self.small, seed: 11)
        let images = try LayerTestSupport.randomTensor([3, 2, 6, 5], seed: 12)
        let flat = try Tensor(shape: [3, 60], values: images.scalars)
        let fromImages = try classifier.logits(images).scalars
        let fromFlat = try classifier.logits(flat).scalars
        #expect(fromImages == fromFlat)
        #expect(fromImages.count == 9)
        // Logits = features · W_head + b_head.
        let phi = try classifier.features(images).scalars
        let weight = classifier.store.values(of: classifier.store.entry(named: "head.weight")!.handle)
        let bias = classifier.store.values(of: classifier.store.entry(named: "head.bias")!.handle)
        for row in 0..<3 {
            for k in 0..<3 {
                var z = Double(bias[k])
                for f in 0..<5 { z += Double(phi[row * 5 + f]) * Double(weight[f * 3 + k]) }
                #expect(abs(z - Double(fromImages[row * 3 + k])) < 1e-5)
            }
        }
    }

    @Test("invalid settings, wrong image shapes and a backward without logits fail with what was expected")
    func invalidUseFails() throws {
        var bad = Self.small
        bad.groups = 3
        #expect(throws: TensorError.self) { try ImageClassifier(bad, seed: 0) }
        bad = Self.small
        bad.classCount = 1
        #expect(throws: TensorError.self) { try ImageClassifier(bad, seed: 0) }
        let classifier = try ImageClassifier(Self.small, seed: 0)
        do {
            _ = try classifier.logits(try Tensor(zeros: [2, 1, 6, 5]))
            Issue.record("a one-channel image must be rejected by a two-channel classifier")
        } catch {
            #expect("\(error)".contains("[batch, 2, 6, 5] or [batch, 60]"))
        }
        _ = try classifier.features(try Tensor(zeros: [2, 60]))
        #expect(throws: TensorError.self) { try classifier.backward(logitsGradient: try Tensor(zeros: [2, 3])) }
        let resolution = ImageClassifierConfiguration.digits.finalResolution
        #expect(resolution.height == 2 && resolution.width == 2)
    }
}
