import Environments
import NeuralNetworks
import Tensors

/// Trains an ``NeuralNetworks/ImageClassifier`` on labelled images (the digits classifier whose
/// penultimate features and accuracy are the image metrics of METHODS.md §9):
///
///     θ ← Adam(θ, ∇_θ (1/B) Σ_b CE(z_θ(shift_b(x_{i_b})), y_{i_b}), lr(s))     s = 0, …, S − 1
///
/// with the minibatch indices i_b drawn uniformly with replacement and the shifts (δy, δx) uniform in
/// {−m, …, m}² (``ImageClassifierTrainingSettings``), both from the stream
/// `RandomStream(seed, "image-classifier.batch", index: s)`, and the parameters initialised from the
/// store seeded with `seed`: the same settings and data give the same network. A step whose gradient
/// is not finite is skipped (DESIGN.md §7).
public enum ImageClassifierTraining {
    /// One progress report: the step just finished (1-based), the mean loss since the previous report
    /// and the learning rate of that step.
    public struct Progress: Sendable {
        public let step: Int
        public let meanLoss: Double
        public let learningRate: Double
    }

    /// The trained network and the loss of every step (NaN for a skipped step).
    public struct Result {
        public let classifier: ImageClassifier
        public let losses: [Double]
        /// Steps skipped because their gradient was not finite.
        public let skippedSteps: Int
    }

    /// Trains a new classifier with `configuration` on `data` (points of shape C×H×W, or flat with
    /// D = C·H·W, labelled in 0..<K). Calls `progress` every `reportEvery` steps (never when 0).
    /// Throws ``ImageClassifierError`` for invalid settings or data that do not fit the network.
    public static func train(
        _ configuration: ImageClassifierConfiguration, on data: EmpiricalDataset, settings: ImageClassifierTrainingSettings,
        reportEvery: Int = 0, progress: (Progress) -> Void = { _ in }
    ) throws -> Result {
        try settings.validate()
        try configuration.validate()
        try validate(data, for: configuration)
        let labels = data.labels!
        let classifier = try ImageClassifier(configuration, seed: settings.seed)
        let store = classifier.store
        let optimizer = try Adam(weightDecay: Float(settings.weightDecay))
        let c = configuration, d = c.dataDimension
        let images = try Tensor(zeros: [settings.batchSize, c.imageChannels, c.height, c.width])
        var batchLabels = [Int32](repeating: 0, count: settings.batchSize)
        let gradient = try Tensor(zeros: [settings.batchSize, c.classCount])
        var losses: [Double] = []
        losses.reserveCapacity(settings.steps)
        var skipped = 0, reportTotal = 0.0, reportCount = 0
        for step in 0..<settings.steps {
            var stream = RandomStream(seed: settings.seed, purpose: "image-classifier.batch", index: UInt64(step))
            data.points.withUnsafeBufferPointer { points in
                for row in 0..<settings.batchSize {
                    let index = min(Int(stream.nextUniform() * Double(data.count)), data.count - 1)
                    let span = 2 * settings.maximumShift + 1
                    let shiftY = Int(stream.nextWord() % UInt32(span)) - settings.maximumShift
                    let shiftX = Int(stream.nextWord() % UInt32(span)) - settings.maximumShift
                    translate(points.baseAddress! + index * d, channels: c.imageChannels, height: c.height, width: c.width,
                              by: (shiftY, shiftX), fill: settings.fillValue, into: images.data + row * d)
                    batchLabels[row] = labels[index]
                }
            }
            store.zeroGradients()
            let logits = try classifier.logits(images, context: ForwardContext(isTraining: true))
            let loss = try SoftmaxCrossEntropy.loss(logits: logits, labels: batchLabels, gradient: gradient)
            _ = try classifier.backward(logitsGradient: gradient)
            let learningRate = settings.learningRate(atStep: step)
            if loss.isFinite, store.gradientsAreFinite {
                try optimizer.step(store, learningRate: Float(learningRate))
                losses.append(loss)
                reportTotal += loss
                reportCount += 1
            } else {
                losses.append(.nan)
                skipped += 1
            }
            if reportEvery > 0, (step + 1) % reportEvery == 0 || step + 1 == settings.steps {
                progress(Progress(step: step + 1, meanLoss: reportCount > 0 ? reportTotal / Double(reportCount) : .nan,
                                  learningRate: learningRate))
                reportTotal = 0
                reportCount = 0
            }
        }
        return Result(classifier: classifier, losses: losses, skippedSteps: skipped)
    }

    /// Throws unless `data` holds labelled images of the configuration's shape with labels in 0..<K.
    static func validate(_ data: EmpiricalDataset, for c: ImageClassifierConfiguration) throws(ImageClassifierError) {
        guard data.pointShape == c.imageShape || data.pointShape == [c.dataDimension] else {
            throw .datasetMismatch(reason: "the points have shape \(data.pointShape); the classifier expects \(c.imageShape) images (or \(c.dataDimension) values per point)")
        }
        guard let labels = data.labels else {
            throw .datasetMismatch(reason: "the dataset has no labels; a classifier needs one label in 0…\(c.classCount - 1) per image")
        }
        if let index = labels.firstIndex(where: { $0 < 0 || Int($0) >= c.classCount }) {
            throw .labelOutOfRange(index: index, label: labels[index], classCount: c.classCount)
        }
    }

    /// Copies a C×H×W image shifted by (δy, δx): out[c, y, x] = in[c, y − δy, x − δx], `fill` outside.
    static func translate(_ source: UnsafePointer<Float>, channels: Int, height: Int, width: Int, by shift: (Int, Int),
                          fill: Float, into target: UnsafeMutablePointer<Float>) {
        let (dy, dx) = shift
        for channel in 0..<channels {
            let plane = channel * height * width
            for y in 0..<height {
                let sourceY = y - dy
                for x in 0..<width {
                    let sourceX = x - dx
                    let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                    target[plane + y * width + x] = inside ? source[plane + sourceY * width + sourceX] : fill
                }
            }
        }
    }
}
