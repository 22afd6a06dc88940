/// What was wrong with the inputs of a minibatch optimal-transport coupling, and what is expected.
public enum OptimalTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDimension(Int)
    case sizeMismatch(what: String, count: Int, expected: String)
    case batchTooLarge(Int, limit: Int)
    case nonFinite(what: String, row: Int)
    case costOverflow(targetRow: Int, sourceRow: Int)
    case invalidPairing(String)

    public var description: String {
        switch self {
        case let .invalidDimension(d):
            return "optimal-transport coupling: the dimension must be ≥ 1, got \(d)"
        case let .sizeMismatch(what, count, expected):
            return "optimal-transport coupling: \(what) has \(count) values; expected \(expected)"
        case let .batchTooLarge(size, limit):
            return "optimal-transport coupling: a batch of \(size) points is too large for the exact O(B³) assignment; "
                + "B must be ≤ \(limit) (split the batch into chunks of at most \(limit) and couple each chunk)"
        case let .nonFinite(what, row):
            return "optimal-transport coupling: \(what) row \(row) has a NaN or infinite coordinate; all points must be finite"
        case let .costOverflow(targetRow, sourceRow):
            return "optimal-transport coupling: the squared distance between data row \(targetRow) and noise row \(sourceRow) "
                + "overflows Double (or leaves no room for the assignment's potentials); coordinates must stay far below 1e150 — rescale the data"
        case let .invalidPairing(reason):
            return "optimal-transport coupling: the pairing \(reason); expected a permutation of the source rows"
        }
    }
}

/// Minibatch optimal-transport coupling of sLCT (improved latent consistency training; Dao, Doan, Liu,
/// Le, Metaxas 2025; METHODS.md §6): before noising, the batch's noises are permuted to the exact
/// optimal assignment
///
///     π* = argmin_π Σ_i ‖z_π(i) − x_i‖²     over permutations π of {0, …, B − 1}
///
/// between B noises z (sources) and B data points x (targets). Costs are squared Euclidean distances
/// by direct differences in Double. The assignment is solved exactly by the Hungarian algorithm in
/// its shortest-augmenting-path form (Jonker–Volgenant style: one Dijkstra search with dual potentials
/// per row), O(B³) time and O(B²) memory; B ≤ ``maximumBatchSize``. A cost above Double's largest
/// value / 4B (point differences of about 1e152 and more), which the dual potentials could overflow,
/// ends in ``OptimalTransportError/costOverflow(targetRow:sourceRow:)`` instead of a search that never
/// finds a column.
public enum OptimalTransportCoupling {
    /// The largest batch the exact assignment accepts.
    public static let maximumBatchSize = 1024

    /// π with `π[i]` = the source (noise) row paired with target (data) row i, minimising
    /// Σ_i ‖sources[π(i)] − targets[i]‖². Both are B × `dimension`, row-major. Ties are broken
    /// deterministically (the result depends only on the inputs).
    public static func assignment(sources: [Double], targets: [Double], dimension: Int) throws(OptimalTransportError) -> [Int] {
        let size = try checkInputs(sources: sources, targets: targets, dimension: dimension)
        guard size > 0 else { return [] }
        var costs = [Double](repeating: 0, count: size * size)
        // Potentials stay within a few multiples of the largest cost; keep n times that representable.
        let largestUsableCost = Double.greatestFiniteMagnitude / Double(4 * size)
        var overflow: (targetRow: Int, sourceRow: Int)?
        sources.withUnsafeBufferPointer { z in
            targets.withUnsafeBufferPointer { x in
                costs.withUnsafeMutableBufferPointer { c in
                    for i in 0..<size {
                        let target = x.baseAddress! + i * dimension
                        for j in 0..<size {
                            let source = z.baseAddress! + j * dimension
                            var squared = 0.0
                            for k in 0..<dimension {
                                let difference = source[k] - target[k]
                                squared += difference * difference
                            }
                            c[i * size + j] = squared
                            if overflow == nil, !(squared <= largestUsableCost) { overflow = (i, j) }
                        }
                    }
                }
            }
        }
        if let overflow { throw .costOverflow(targetRow: overflow.targetRow, sourceRow: overflow.sourceRow) }
        return costs.withUnsafeBufferPointer { solveAssignment(costs: $0.baseAddress!, size: size) }
    }

    /// Σ_i ‖sources[π(i)] − targets[i]‖², the transport cost of a pairing (Double, direct differences).
    /// `pairing` must be a permutation of 0..<B.
    public static func totalCost(sources: [Double], targets: [Double], dimension: Int, pairing: [Int]) throws(OptimalTransportError) -> Double {
        let size = try checkInputs(sources: sources, targets: targets, dimension: dimension, limit: .max)
        guard pairing.count == size else {
            throw .sizeMismatch(what: "the pairing", count: pairing.count, expected: "\(size), one source index per target")
        }
        var used = [Bool](repeating: false, count: size)
        for (i, j) in pairing.enumerated() {
            guard j >= 0, j < size else { throw .invalidPairing("gives data row \(i) the source row \(j), outside 0..<\(size)") }
            guard !used[j] else { throw .invalidPairing("gives the source row \(j) to more than one data row (again to row \(i))") }
            used[j] = true
        }
        var total = 0.0
        for i in 0..<size {
            for k in 0..<dimension {
                let difference = sources[pairing[i] * dimension + k] - targets[i * dimension + k]
                total += difference * difference
            }
        }
        return total
    }

    /// Permutes the noise rows in place to the optimal coupling with `data`: afterwards row i of
    /// `noise` is the z paired with x_i (noise ← noise[π]). Returns π.
    @discardableResult
    public static func coupleNoise(_ noise: inout [Double], to data: [Double], dimension: Int) throws(OptimalTransportError) -> [Int] {
        let pairing = try assignment(sources: noise, targets: data, dimension: dimension)
        let original = noise
        for (i, j) in pairing.enumerated() {
            for k in 0..<dimension { noise[i * dimension + k] = original[j * dimension + k] }
        }
        return pairing
    }

    private static func checkInputs(sources: [Double], targets: [Double], dimension: Int,
                                    limit: Int = maximumBatchSize) throws(OptimalTransportError) -> Int {
        guard dimension >= 1 else { throw .invalidDimension(dimension) }
        guard sources.count % dimension == 0 else {
            throw .sizeMismatch(what: "the sources (noises)", count: sources.count, expected: "a multiple of the dimension \(dimension)")
        }
        let size = sources.count / dimension
        guard targets.count == sources.count else {
            throw .sizeMismatch(what: "the targets (data)", count: targets.count,
                                expected: "\(sources.count) (\(size) points × \(dimension), as many as the sources)")
        }
        guard size <= limit else { throw .batchTooLarge(size, limit: limit) }
        for row in 0..<size {
            for k in 0..<dimension {
                if !sources[row * dimension + k].isFinite { throw .nonFinite(what: "the sources (noises)", row: row) }
                if !targets[row * dimension + k].isFinite { throw .nonFinite(what: "the targets (data)", row: row) }
            }
        }
        return size
    }

    /// The Hungarian algorithm with potentials on a dense `size × size` cost matrix (row i = target,
    /// column j = source): rows are inserted one at a time, each by a Dijkstra search over reduced
    /// costs c_ij − u_i − v_j ≥ 0 for the shortest augmenting path, then the potentials are updated so
    /// the reduced costs stay non-negative. Returns, for each row, its column.
    static func solveAssignment(costs: UnsafePointer<Double>, size n: Int) -> [Int] {
        // 1-based bookkeeping; index 0 of the columns is a virtual column holding the row being inserted.
        var rowPotential = [Double](repeating: 0, count: n + 1)
        var columnPotential = [Double](repeating: 0, count: n + 1)
        var rowOfColumn = [Int](repeating: 0, count: n + 1)
        var previousColumn = [Int](repeating: 0, count: n + 1)
        var distance = [Double](repeating: 0, count: n + 1)
        var visited = [Bool](repeating: false, count: n + 1)
        for row in 1...n {
            rowOfColumn[0] = row
            var column = 0
            for j in 0...n { distance[j] = .infinity; visited[j] = false }
            repeat {
                visited[column] = true
                let current = rowOfColumn[column]
                let costRow = costs + (current - 1) * n
                let offset = rowPotential[current]
                var delta = Double.infinity, next = 0
                for j in 1...n where !visited[j] {
                    let reduced = costRow[j - 1] - offset - columnPotential[j]
                    if reduced < distance[j] { distance[j] = reduced; previousColumn[j] = column }
                    if distance[j] < delta { delta = distance[j]; next = j }
                }
                for j in 0...n {
                    if visited[j] {
                        rowPotential[rowOfColumn[j]] += delta
                        columnPotential[j] -= delta
                    } else {
                        distance[j] -= delta
                    }
                }
                // Every column is reachable with finite reduced costs, which the cost bound of `assignment` keeps.
                precondition(next != 0, "optimal-transport coupling: no augmenting column (a reduced cost overflowed)")
                column = next
            } while rowOfColumn[column] != 0
            // Augment along the path back to the virtual column.
            repeat {
                let previous = previousColumn[column]
                rowOfColumn[column] = rowOfColumn[previous]
                column = previous
            } while column != 0
        }
        var result = [Int](repeating: 0, count: n)
        for j in 1...n { result[rowOfColumn[j] - 1] = j - 1 }
        return result
    }
}
