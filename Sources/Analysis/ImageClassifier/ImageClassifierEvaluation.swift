import NeuralNetworks
import Tensors

/// Classifier-based metrics of generated images (METHODS.md §9): the accuracy of a
/// fixed trained ``NeuralNetworks/ImageClassifier`` on labelled images (for class-conditional
/// samples: the fraction classified as the class they were asked for),
///
///     accuracy = (1/N) Σ_n [argmax_k z_k(x_n) = y_n]        (ties go to the lowest class),
///
/// and its penultimate features φ(x_n) ∈ ℝ^F, the embedding in which a Fréchet distance compares
/// generated samples with the test images (as FID uses Inception features; Heusel et al. 2017).
///
/// Images are N × C·H·W row-major values (channel-major within an image, the layout of the dataset
/// file and of the samplers). Evaluation runs in batches of ``batchSize`` in evaluation mode, so results
/// are deterministic and independent of N's split into batches up to the sgemm's summation order.
public final class ImageClassifierEvaluation {
    public let classifier: ImageClassifier
    /// Images per forward pass.
    public let batchSize: Int
    private let batch = try! Tensor(zeros: [0, 0])

    /// Evaluates with an existing classifier (e.g. one just trained).
    public init(classifier: ImageClassifier, batchSize: Int = 256) {
        self.classifier = classifier
        self.batchSize = max(batchSize, 1)
    }

    /// Loads the classifier from the checkpoint at `checkpointPath` (``ImageClassifierCheckpoint``). With
    /// `expectedSHA256` the file's SHA-256 must equal it; with `expectedConfiguration` its architecture
    /// must equal that one. Each failure is an ``ImageClassifierError`` naming the file.
    public convenience init(checkpointPath: String, expectedSHA256: String? = nil,
                            expectedConfiguration: ImageClassifierConfiguration? = nil, batchSize: Int = 256) throws {
        let checkpoint = try ImageClassifierCheckpoint(contentsOf: checkpointPath, expectedSHA256: expectedSHA256,
                                                       expectedConfiguration: expectedConfiguration)
        self.init(classifier: checkpoint.classifier, batchSize: batchSize)
    }

    /// K, the number of classes.
    public var classCount: Int { classifier.configuration.classCount }
    /// F, the width of the penultimate features.
    public var featureCount: Int { classifier.configuration.featureCount }

    /// argmax_k z_k(x_n) for each of the N images (ties: the lowest class). A NaN logit throws
    /// ``ImageClassifierError/nonFiniteLogits(index:)`` naming the image: every comparison with NaN is
    /// false, so the arg-max would silently be class 0 (and count as correct for label 0).
    public func predictions(images: [Float]) throws -> [Int32] {
        var result: [Int32] = []
        let k = classCount
        try forEachBatch(images) { batch in
            let z = try classifier.logits(batch)
            for row in 0..<z.rows {
                let line = z.data + row * k
                if (0..<k).contains(where: { line[$0].isNaN }) { throw ImageClassifierError.nonFiniteLogits(index: result.count) }
                var best = 0
                for c in 1..<k where line[c] > line[best] { best = c }
                result.append(Int32(best))
            }
        }
        return result
    }

    /// The fraction of images whose predicted class equals their label. Throws for a label count
    /// other than N or a label outside 0..<K (naming the image).
    public func accuracy(images: [Float], labels: [Int32]) throws -> Double {
        let count = try imageCount(images)
        guard labels.count == count else { throw ImageClassifierError.labelCountMismatch(labels: labels.count, images: count) }
        if let index = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw ImageClassifierError.labelOutOfRange(index: index, label: labels[index], classCount: classCount)
        }
        let predicted = try predictions(images: images)
        var correct = 0
        for i in 0..<count where predicted[i] == labels[i] { correct += 1 }
        return Double(correct) / Double(count)
    }

    /// φ(x_n) for each image: N × F row-major, widened to Double (the input of a Fréchet distance).
    public func penultimateFeatures(images: [Float]) throws -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(try imageCount(images) * featureCount)
        try forEachBatch(images) { batch in
            let phi = try classifier.features(batch)
            for i in 0..<phi.count { result.append(Double(phi.data[i])) }
        }
        return result
    }

    /// N for `images`, after checking it is a positive whole number of finite images.
    private func imageCount(_ images: [Float]) throws(ImageClassifierError) -> Int {
        let d = classifier.configuration.dataDimension
        guard !images.isEmpty, images.count % d == 0 else {
            throw .imageCountMismatch(values: images.count, imageShape: classifier.configuration.imageShape)
        }
        if let bad = images.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteImages(index: bad / d) }
        return images.count / d
    }

    private func forEachBatch(_ images: [Float], _ body: (Tensor) throws -> Void) throws {
        let d = classifier.configuration.dataDimension
        let count = try imageCount(images)
        var start = 0
        while start < count {
            let rows = min(batchSize, count - start)
            try batch.resize(rows: rows, columns: d)
            images.withUnsafeBufferPointer { batch.data.update(from: $0.baseAddress! + start * d, count: rows * d) }
            try body(batch)
            start += rows
        }
    }
}
