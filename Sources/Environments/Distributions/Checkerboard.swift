import Tensors

/// The checkerboard toy distribution in 2-D (sampling only).
///
/// Recipe: a board of `cells` × `cells` squares of side `cellSize`, centred on the origin, so it
/// covers [−cells·cellSize/2, cells·cellSize/2]². Square (i, j) (i the column along x, j the row
/// along y, both from 0) is "dark" when i + j is even; the density is uniform over the dark squares
/// and zero elsewhere. A point is drawn by choosing a dark square uniformly (one uniform) and then a
/// uniform position inside it (two uniforms). Defaults (cells 4, side 1) give the FFJORD board on
/// [−2, 2]² with 8 dark squares.
public struct Checkerboard: DataDistribution, Sendable, Equatable {
    public static let kind = "checkerboard"
    public let cells: Int
    public let cellSize: Double
    public var dimension: Int { 2 }

    public init(cells: Int = 4, cellSize: Double = 1) throws(DistributionSpecError) {
        try ParameterValidation.positive(cells, kind: Self.kind, field: "cells")
        try ParameterValidation.positive(cellSize, kind: Self.kind, field: "cell_size")
        self.cells = cells
        self.cellSize = cellSize
    }

    /// Whether the square containing `(x, y)` is dark (points outside the board are not, nor are
    /// points with a NaN or infinite coordinate, which a diverged sampler produces).
    public func isDark(x: Double, y: Double) -> Bool {
        let half = Double(cells) * cellSize / 2
        let column = ((x + half) / cellSize).rounded(.down), row = ((y + half) / cellSize).rounded(.down)
        // Compared as Doubles first: NaN fails both, and Int(_:) would trap on NaN, ±∞ or |value| ≥ 2⁶³.
        guard column >= 0, column < Double(cells), row >= 0, row < Double(cells) else { return false }
        return (Int(column) + Int(row)) % 2 == 0
    }

    public func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        let darkCount = (cells * cells + 1) / 2
        let half = Double(cells) * cellSize / 2
        for n in 0 ..< count {
            // Dark squares enumerated row by row: the m-th dark square in row j.
            let index = min(Int(stream.nextUniform() * Double(darkCount)), darkCount - 1)
            var remaining = index, row = 0
            while true {
                let inRow = (cells - (row % 2) + 1) / 2   // columns i with i + row even
                if remaining < inRow { break }
                remaining -= inRow
                row += 1
            }
            let column = 2 * remaining + (row % 2)
            points[2 * n] = -half + (Double(column) + stream.nextUniform()) * cellSize
            points[2 * n + 1] = -half + (Double(row) + stream.nextUniform()) * cellSize
        }
    }
}
