/// Distances between generated samples and a held-out data sample of the same size, for any data
/// (METHODS.md §9): ``squaredSlicedWasserstein2(_:_:dimension:projections:stream:)``,
/// ``squaredMaximumMeanDiscrepancy(_:_:dimension:bandwidths:)`` and ``energyDistance(_:_:dimension:)``.
/// Everything is computed in Double from row-major sets of points (count × D); ``SampleDistanceReport``
/// computes all three at once.
public enum SampleDistance {
    /// The rows of a row-major set (count × D) with a NaN or infinite coordinate: the distances are
    /// undefined for such a set, so evaluations count these rows and report NaN instead of calling them.
    /// Trailing values that do not make a whole row are ignored.
    public static func nonFiniteRowCount(_ points: [Double], dimension: Int) -> Int {
        guard dimension >= 1 else { return 0 }
        return (0..<(points.count / dimension)).count { row in
            !points[(row * dimension)..<((row + 1) * dimension)].allSatisfy(\.isFinite)
        }
    }

    /// The number of points of two sets after checking they are usable: equal, non-zero sizes (at least
    /// `minimumCount`), whole points of dimension D, every coordinate finite.
    static func checkedCount(_ samples: [Double], _ reference: [Double], dimension: Int, minimumCount: Int) throws(SampleQualityError) -> Int {
        guard dimension >= 1 else { throw .invalidSetting("dimension \(dimension); expected D ≥ 1") }
        guard !samples.isEmpty, !reference.isEmpty else { throw .emptySamples }
        guard samples.count % dimension == 0 else { throw .dimensionMismatch(values: samples.count, dimension: dimension) }
        guard reference.count % dimension == 0 else { throw .dimensionMismatch(values: reference.count, dimension: dimension) }
        let count = samples.count / dimension
        guard reference.count == samples.count else {
            throw .invalidSetting("\(count) samples against \(reference.count / dimension) reference points; expected a held-out sample of the same size")
        }
        guard count >= minimumCount else { throw .invalidSetting("\(count) points per set; expected at least \(minimumCount)") }
        for (name, set) in [("sample", samples), ("reference", reference)] {
            if let index = set.firstIndex(where: { !$0.isFinite }) {
                throw .invalidSetting("the \(name) point at row \(index / dimension) is not finite; expected finite coordinates (drop or count non-finite samples first)")
            }
        }
        return count
    }

    /// ‖a_i − b_j‖² by direct differences.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dimension: Int) -> Double {
        var sum = 0.0
        for k in 0..<dimension {
            let difference = a[k] - b[k]
            sum += difference * difference
        }
        return sum
    }

    /// Calls `body(i, j, ‖x_i − y_j‖²)` for every i of `x` and j of `y` (or every i < j when `x` and
    /// `y` are the same set, `within`).
    static func forEachPair(_ x: [Double], _ y: [Double], dimension: Int, within: Bool,
                            _ body: (Double) -> Void) {
        let nx = x.count / dimension, ny = y.count / dimension
        x.withUnsafeBufferPointer { a in
            y.withUnsafeBufferPointer { b in
                for i in 0..<nx {
                    let row = a.baseAddress! + i * dimension
                    for j in (within ? i + 1 : 0)..<ny {
                        body(squaredDistance(row, b.baseAddress! + j * dimension, dimension: dimension))
                    }
                }
            }
        }
    }
}
