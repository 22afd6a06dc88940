/// The reference set {x₀^(1), …, x₀^(n)} of a score-identity estimate (SCT after STF; METHODS.md §3.4):
/// the data points whose posterior weights w_j = softmax_j(−‖x_t − x₀^(j)‖² / 2t²) make up
/// D̂ = Σ_j w_j x₀^(j). Two layouts:
///
/// - ``shared(points:labels:dimension:)`` — every query uses all n points. SCT's default: the
///   minibatch itself, which contains each query's own x₀ (query i = row i noised). With the whole
///   training set it is the "empirical exact" estimator (METHODS.md §3.5).
/// - ``ownPlusPool(own:ownLabels:pool:poolLabels:dimension:)`` — query i uses {own_i} ∪ pool: its own
///   x₀ plus n − 1 extra draws shared by the batch. With an empty pool (n = 1) the estimate is the
///   conditional single-sample estimator (METHODS.md §3.3).
///
/// `Scalar` is `Double` for ``ScoreIdentityDenoiser`` (ground truth) and `Float` for the batched
/// ``FastScoreIdentityDenoiser``. Points are row-major, one D-vector per row. Float references also
/// keep a copy packed in panels of 16 points (D × 16, dimension-major) for the vectorised distance
/// kernel, so they take twice the memory of the points.
public struct ScoreIdentityReferences<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
    /// How each query's reference set is formed.
    public enum Layout: Sendable, Equatable {
        case shared
        case ownPlusPool
    }

    public let layout: Layout
    /// D, the number of coordinates of a point.
    public let dimension: Int
    /// `shared`: all points (count × D). `ownPlusPool`: the pool (poolCount × D).
    public let points: [Scalar]
    /// Labels of `points` (nil when unlabelled).
    public let labels: [Int32]?
    /// `ownPlusPool` only: the queries' own x₀ (one row per query); empty for `shared`.
    public let ownPoints: [Scalar]
    /// `ownPlusPool` only: labels of `ownPoints`.
    public let ownLabels: [Int32]?
    /// `points` packed for the Float kernel: ⌈count/16⌉ panels of D × 16 values (empty for Double).
    let panels: [Scalar]

    /// Number of rows in `points`.
    public var pointCount: Int { points.count / dimension }
    /// Number of own points (`ownPlusPool`), 0 for `shared`.
    public var ownCount: Int { ownPoints.count / dimension }
    /// n, the size of each query's reference set: count (`shared`) or 1 + poolCount (`ownPlusPool`).
    public var referenceSize: Int { layout == .shared ? pointCount : 1 + pointCount }

    /// Every query uses all `points` (n × D, row-major); the query's own x₀ is among them (by default
    /// the minibatch itself). `labels`, when given, holds one class label per point.
    public static func shared(points: [Scalar], labels: [Int32]? = nil, dimension: Int) throws(ScoreIdentityError) -> Self {
        try checkPoints(points, labels: labels, dimension: dimension, what: "the shared reference points")
        guard !points.isEmpty else { throw .emptyReferences }
        return Self(layout: .shared, dimension: dimension, points: points, labels: labels, ownPoints: [], ownLabels: nil)
    }

    /// Query i uses {own_i} ∪ pool: its own x₀ (row i of `own`) plus the shared extra draws `pool`
    /// (n − 1 rows, may be empty). Labels, when given, are one per row of `own` and of `pool`.
    public static func ownPlusPool(own: [Scalar], ownLabels: [Int32]? = nil, pool: [Scalar], poolLabels: [Int32]? = nil,
                                   dimension: Int) throws(ScoreIdentityError) -> Self {
        try checkPoints(own, labels: ownLabels, dimension: dimension, what: "the own points")
        try checkPoints(pool, labels: poolLabels, dimension: dimension, what: "the pool points")
        guard !own.isEmpty else { throw .emptyReferences }
        return Self(layout: .ownPlusPool, dimension: dimension, points: pool, labels: poolLabels,
                    ownPoints: own, ownLabels: ownLabels)
    }

    private init(layout: Layout, dimension: Int, points: [Scalar], labels: [Int32]?, ownPoints: [Scalar], ownLabels: [Int32]?) {
        self.layout = layout
        self.dimension = dimension
        self.points = points
        self.labels = labels
        self.ownPoints = ownPoints
        self.ownLabels = ownLabels
        panels = Scalar.self == Float.self ? Self.packPanels(points, dimension: dimension) : []
    }

    /// Points per panel of the Float distance kernel (one 16-lane vector).
    static var panelWidth: Int { 16 }

    /// Panel p holds points 16p … 16p + 15 as D rows of 16 values (coordinate k of point 16p + l at
    /// p·16D + 16k + l); the last panel is padded with zeros.
    static func packPanels(_ points: [Scalar], dimension: Int) -> [Scalar] {
        let count = points.count / dimension, width = panelWidth
        let panelCount = (count + width - 1) / width
        var packed = [Scalar](repeating: 0, count: panelCount * width * dimension)
        for point in 0..<count {
            let panel = point / width, lane = point % width
            for k in 0..<dimension { packed[panel * width * dimension + k * width + lane] = points[point * dimension + k] }
        }
        return packed
    }

    private static func checkPoints(_ points: [Scalar], labels: [Int32]?, dimension: Int, what: String) throws(ScoreIdentityError) {
        guard dimension >= 1 else { throw .invalidDimension(dimension) }
        guard points.count % dimension == 0 else {
            throw .sizeMismatch(what: what, count: points.count, expected: "a multiple of the dimension \(dimension) (rows × D)")
        }
        let rows = points.count / dimension
        for row in 0..<rows {
            for k in 0..<dimension where !points[row * dimension + k].isFinite { throw .nonFinite(what: what, row: row) }
        }
        if let labels, labels.count != rows {
            throw .sizeMismatch(what: "the labels of \(what)", count: labels.count, expected: "\(rows), one per point")
        }
    }

    /// Whether query `row`'s reference set holds a point labelled `label` (its own point or the pool
    /// for `ownPlusPool`, the points for `shared`). Only used to name an error, so a linear scan.
    func containsReference(labelled label: Int32, forQuery row: Int) -> Bool {
        if layout == .ownPlusPool, ownLabels?[row] == label { return true }
        return labels?.contains(label) ?? false
    }

    /// Checks that `count` queries fit these references and that labels exist when queries have labels.
    func checkQueries(count: Int, labelled: Bool) throws(ScoreIdentityError) {
        if layout == .ownPlusPool, count != ownCount { throw .queryCountMismatch(queries: count, ownPoints: ownCount) }
        guard labelled else { return }
        switch layout {
        case .shared:
            if labels == nil { throw .labelsMissing(what: "the shared reference set") }
        case .ownPlusPool:
            if ownLabels == nil { throw .labelsMissing(what: "the own points") }
            if labels == nil, pointCount > 0 { throw .labelsMissing(what: "the pool") }
        }
    }
}
