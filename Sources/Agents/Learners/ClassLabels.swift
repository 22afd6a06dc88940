import Environments
import NeuralNetworks

/// How the learners hand class labels to a class-conditional network F: the labels drawn with the data
/// (``TrainingDraws``) go to the online rows, and row r of every stacked bootstrap block of B rows gets
/// the label of row r mod B (the block's rows are the same samples further along their paths).
enum ClassLabels {
    /// Throws when a class-conditional network (K classes) meets data without labels or with labels
    /// beyond K − 1; an unconditional network ignores labels.
    static func check(architecture: TimeConditionedNetworkArchitecture, distribution: any DataDistribution) throws {
        let k = architecture.classCount
        guard k > 0 else { return }
        guard let dataClasses = distribution.classCount else {
            throw AgentError.incompatible("the class-conditional network (\(architecture.summary)) needs labelled data, but \(type(of: distribution)) has no labels; use classCount = 0 for unlabelled data")
        }
        guard dataClasses <= k else {
            throw AgentError.shapeMismatch("the data have \(dataClasses) classes (labels 0…\(dataClasses - 1)) but the network has only \(k) (labels 0…\(k - 1)); set classCount ≥ \(dataClasses)")
        }
    }

    /// `labels[r mod b]` for r = 0…rows−1 (nil stays nil).
    static func repeated(_ labels: [Int32]?, period b: Int, rows: Int) -> [Int32]? {
        guard let labels else { return nil }
        return (0..<rows).map { labels[$0 % b] }
    }

    /// Runs `body` with a pointer to the labels (nil for none).
    static func withPointer<R>(_ labels: [Int32]?, _ body: (UnsafePointer<Int32>?) throws -> R) rethrows -> R {
        guard let labels else { return try body(nil) }
        return try labels.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}
