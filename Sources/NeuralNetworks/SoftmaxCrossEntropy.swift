import Foundation
import Tensors

/// The mean softmax cross-entropy of a batch of logits z ∈ ℝ^{B×K} against class labels y_b ∈ 0..<K
/// (the classification loss; e.g. Goodfellow, Bengio & Courville 2016, §6.2.2.3):
///
///     L = (1/B) Σ_b [ log Σ_k exp z_bk − z_b,y_b ],        ∂L/∂z_bk = (softmax(z_b)_k − [k = y_b]) / B
///
/// The log-sum-exp subtracts the row maximum m_b first, log Σ_k exp z_bk = m_b + log Σ_k exp(z_bk − m_b),
/// so logits of any size give a finite loss; everything is accumulated in Double.
public enum SoftmaxCrossEntropy {
    /// L for `logits` [B, K] and B `labels`; when `gradient` is given it is resized to [B, K] and filled
    /// with ∂L/∂z. Throws for a shape other than [B, K] with B ≥ 1, a label count other than B, or a
    /// label outside 0..<K (naming the row).
    public static func loss(logits: Tensor, labels: [Int32], gradient: Tensor? = nil) throws(TensorError) -> Double {
        guard logits.rank == 2, logits.rows >= 1, logits.shape[1] >= 1 else {
            throw .invalidShape(operation: "SoftmaxCrossEntropy", shape: logits.shape,
                                expectation: "the logits must be [batch ≥ 1, classes ≥ 1]")
        }
        let rows = logits.rows, classes = logits.shape[1]
        guard labels.count == rows else {
            throw .shapeMismatch(operation: "SoftmaxCrossEntropy", lhs: [labels.count], rhs: [rows],
                                 expectation: "one label per row of logits")
        }
        if let row = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw .invalidArgument(operation: "SoftmaxCrossEntropy",
                                   message: "label \(labels[row]) at row \(row) is not a class: expected 0…\(classes - 1)")
        }
        if let gradient { try gradient.resize(rows: rows, columns: classes) }
        var total = 0.0
        let inverseRows = 1 / Double(rows)
        for row in 0..<rows {
            let z = logits.data + row * classes
            var maximum = -Double.infinity
            for k in 0..<classes { maximum = max(maximum, Double(z[k])) }
            var sum = 0.0
            for k in 0..<classes { sum += exp(Double(z[k]) - maximum) }
            let logSumExp = maximum + log(sum)
            let label = Int(labels[row])
            total += logSumExp - Double(z[label])
            if let gradient {
                let g = gradient.data + row * classes
                for k in 0..<classes {
                    let probability = exp(Double(z[k]) - logSumExp)
                    g[k] = Float((probability - (k == label ? 1 : 0)) * inverseRows)
                }
            }
        }
        return total * inverseRows
    }
}
